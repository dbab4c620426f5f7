package jvm

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/testkit"
)

// jvmArgs are a built command's JVM options: its arguments before -classpath.
func jvmArgs(t *testing.T, c Command) []string {
	t.Helper()
	i := indexOf(c.Args, "-classpath")
	if i == len(c.Args) { // indexOf's "not found"
		t.Fatalf("no -classpath in %q", c.Args)
	}
	return c.Args[:i]
}

// flagValue finds a flag's value in -XX:+PrintFlagsFinal output.
func flagValue(out, name string) string {
	m := regexp.MustCompile(`(?m)^\s*\S+\s+` + regexp.QuoteMeta(name) + `\s+=\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestCollectorOnRealJDKs: with one CPU (what ergonomics sees in a small
// container, here forced by the user's -XX:ActiveProcessorCount=1) the JVM
// would pick Serial; the built flags give G1 on JDK 17 and 25, start
// without a complaint, make System.gc() a concurrent cycle, and stop RMI's
// periodic System.gc() (the intervals parse as "never"; the control run
// shows this JDK reads the same property).
func TestCollectorOnRealJDKs(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("testdata", "java", "RmiGC.java"))
	if err != nil {
		t.Fatal(err)
	}
	for _, jdk := range testkit.JDKs(t) {
		t.Run(jdk.Name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			c, _, err := Build(detectReal(t, jdk), Options{Role: otter.Node, OtterHome: home, Nid: 1,
				Settings: Settings{MaxMemRatio: 75, JavaOptions: "-XX:ActiveProcessorCount=1"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.MakeDirs(); err != nil {
				t.Fatal(err)
			}
			args := jvmArgs(t, c)

			code, out := runJava(t, jdk.Java(), append(append([]string{}, args...), "-XX:+PrintFlagsFinal", "-version")...)
			if code != 0 || complaint.MatchString(out) {
				t.Fatalf("java %q -version: exit %d:\n%s", args, code, testkit.Short(out))
			}
			for flag, want := range map[string]string{"UseG1GC": "true", "UseSerialGC": "false", "ExplicitGCInvokesConcurrent": "true", "DisableExplicitGC": "false"} {
				if got := flagValue(out, flag); got != want {
					t.Errorf("%s = %q, want %s (args %q)", flag, got, want, args)
				}
			}

			code, out = runJava(t, jdk.Java(), append(append([]string{}, args...), "-Xlog:gc:stdout", src, "1500", "gc")...)
			if code != 0 || !strings.Contains(out, "rmigc done") {
				t.Fatalf("RmiGC: exit %d:\n%s", code, testkit.Short(out))
			}
			if !strings.Contains(out, "rmigc intervals 9223372036854775806 9223372036854775806") {
				t.Errorf("RMI's GC intervals do not parse as never:\n%s", testkit.Short(out))
			}
			explicit := regexp.MustCompile(`(?m)^.*\(System\.gc\(\)\).*$`).FindAllString(out, -1)
			if len(explicit) != 1 || !strings.Contains(explicit[0], "Concurrent Start") {
				t.Errorf("System.gc() collections %q: want exactly the program's one, as a concurrent start:\n%s", explicit, testkit.Short(out))
			}

			// Control: a short interval given after the built flags wins, and
			// this JDK then collects on RMI's behalf by itself.
			code, out = runJava(t, jdk.Java(), append(append([]string{}, args...), "-Dsun.rmi.dgc.server.gcInterval=50", "-Xlog:gc:stdout", src, "1500")...)
			if code != 0 || !strings.Contains(out, "(System.gc())") {
				t.Errorf("control run with a 50 ms RMI interval: exit %d, no System.gc() collection:\n%s", code, testkit.Short(out))
			}
		})
	}
}
