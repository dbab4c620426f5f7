package jvm

// Tests with the real JDKs (17 and Temurin 25) and the Otter stand-in.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
	"otter-entrypoint/propsfile"
)

// Helper-process mode (the os/exec tests' pattern): the test binary joins a
// cgroup by writing its pid into OTTER_JVM_TEST_CGROUP_PROCS, then either
// prints ContainerMemoryLimit or execs OTTER_JVM_TEST_EXEC (arguments separated by \x1f).
func TestMain(m *testing.M) {
	if procs := os.Getenv("OTTER_JVM_TEST_CGROUP_PROCS"); procs != "" {
		if err := os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "join cgroup:", err)
			os.Exit(3)
		}
		argv := strings.Split(os.Getenv("OTTER_JVM_TEST_EXEC"), "\x1f")
		if argv[0] == "limit" {
			n, err := ContainerMemoryLimit("/proc", "/")
			fmt.Println(n, err)
			os.Exit(0)
		}
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "OTTER_JVM_TEST_") {
				env = append(env, kv)
			}
		}
		err := syscall.Exec(argv[0], argv, env)
		fmt.Fprintln(os.Stderr, "exec:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// runJava runs java with args to completion and returns its exit code and
// combined output.
func runJava(t *testing.T, java string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, java, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	case err != nil:
		t.Fatalf("java %q: %v", args, err)
	}
	return 0, string(out)
}

// complaint finds the JVM complaining about an option in its output.
var complaint = regexp.MustCompile(`Unrecognized (VM )?option|[Ii]gnoring option|VM warning|\[warning\]|was deprecated|is deprecated|is obsolete|not supported|no longer a supported|Could not create the Java Virtual Machine`)

// TestLegacyTableOnRealJDKs checks every row of the legacy-flag table on the
// real JDK 17 and 25: when the table keeps a flag, `java <flag> -version`
// starts (exit 0); when it drops or translates one, the JDK rejects it or
// complains about it (or, for documented silent no-ops, takes it), and the
// translation starts cleanly, without any complaint.
func TestLegacyTableOnRealJDKs(t *testing.T) {
	jdks := testkit.JDKs(t)
	dir := t.TempDir()
	for _, jdk := range jdks {
		for _, r := range legacyTable {
			t.Run(jdk.Name+"/"+strings.TrimLeft(r.name, "-"), func(t *testing.T) {
				t.Parallel()
				ex := strings.ReplaceAll(r.example, "{dir}", dir)
				tr := translate([]string{ex}, jdk.Major)
				code, out := runJava(t, jdk.Java(), ex, "-version")
				if len(tr.warnings) == 0 {
					if code != 0 {
						t.Fatalf("the table keeps %s on JDK %d, but java rejects it (exit %d):\n%s", ex, jdk.Major, code, out)
					}
					return
				}
				if r.quietUntil > jdk.Major {
					if code != 0 {
						t.Errorf("%s is documented as a silent no-op on JDK %d, but java exits %d:\n%s", ex, jdk.Major, code, out)
					}
				} else if code == 0 && !complaint.MatchString(out) {
					t.Errorf("the table drops %s on JDK %d, but java takes it without a word:\n%s", ex, jdk.Major, out)
				}
				code, out = runJava(t, jdk.Java(), append(append([]string{}, tr.args...), "-version")...)
				if code != 0 || complaint.MatchString(out) {
					t.Errorf("translation %q of %s on JDK %d: exit %d:\n%s", tr.args, ex, jdk.Major, code, testkit.Short(out))
				}
			})
		}
	}
}

// TestGCLogFamilyOnRealJDKs: a full JDK 8 GC-log line, writing into a
// directory whose name needs -Xlog's quoting, becomes one -Xlog that starts
// silently and writes the file.
func TestGCLogFamilyOnRealJDKs(t *testing.T) {
	for _, jdk := range testkit.JDKs(t) {
		t.Run(jdk.Name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "gc logs:a,b")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			in := []string{"-verbose:gc", "-XX:+PrintGCDetails", "-XX:+PrintGCDateStamps", "-XX:+PrintGCTimeStamps", "-Xloggc:" + dir + "/gc-%p.log",
				"-XX:+UseGCLogFileRotation", "-XX:NumberOfGCLogFiles=3", "-XX:GCLogFileSize=1m", "-XX:+PrintTenuringDistribution",
				"-XX:+PrintGCApplicationStoppedTime", "-XX:+PrintHeapAtGC", "-XX:+PrintGCCause", "-XX:+PrintAdaptiveSizePolicy"}
			tr := translate(in, jdk.Major)
			if len(tr.args) != 1 || len(tr.warnings) != len(in) {
				t.Fatalf("translate = %q with %d warnings, want one -Xlog and %d warnings", tr.args, len(tr.warnings), len(in))
			}
			code, out := runJava(t, jdk.Java(), tr.args[0], "-version")
			if code != 0 || complaint.MatchString(out) {
				t.Fatalf("%s: exit %d:\n%s", tr.args[0], code, out)
			}
			m, _ := filepath.Glob(filepath.Join(dir, "gc-*.log"))
			if len(m) != 1 {
				t.Errorf("GC log files in %s: %v, want one", dir, m)
			}
		})
	}
}

// startCommand runs a built Command with os/exec (as the supervisor will).
func startCommand(t *testing.T, c Command, env []string) *testkit.Proc {
	t.Helper()
	if err := c.MakeDirs(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir, cmd.Env = c.Dir, env
	return testkit.StartProc(t, cmd)
}

// renderInto renders the home's otter.properties with set's keys given as
// environment variables named like them, as the entrypoint does, into
// <renderDir>/otter.properties.
func renderInto(t *testing.T, role, home, renderDir string, set map[string]string) string {
	t.Helper()
	var environ []string
	for k, v := range set {
		environ = append(environ, k+"="+v)
	}
	r, err := propsfile.Render(propsfile.Options{Role: role, OtterHome: home, Environ: environ}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.WriteFile(renderDir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func detectReal(t *testing.T, jdk testkit.JDK) JDK {
	t.Helper()
	d, err := Detect(context.Background(), envOf(map[string]string{"JAVA_HOME": jdk.Home}), nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestStartupShOptionsOnRealJDKs pastes startup.sh's 64-bit and 32-bit
// JAVA_OPTS (and its debug flags) into JAVA_OPTIONS: both roles start on
// JDK 17 and 25 without a complaint from the JVM, none of the removed flags
// reaches it, and the entrypoint's own GC log is written. The node finds
// the rendered otter.properties before conf/'s on the classpath.
// (Launches through the whole entrypoint are otter_test.go's end-to-end
// tests.)
func TestStartupShOptionsOnRealJDKs(t *testing.T) {
	cases := map[string]string{"64-bit": testkit.StartupSh64, "32-bit": testkit.StartupSh32, "64-bit+debug": testkit.StartupSh64 + " " + testkit.StartupShDebug}
	for _, jdk := range testkit.JDKs(t) {
		for name, opts := range cases {
			for _, role := range []string{"manager", "node"} {
				t.Run(jdk.Name+"/"+name+"/"+role, func(t *testing.T) {
					root := t.TempDir()
					home := otterstub.Home(t, role, filepath.Join(root, role))
					// The node's address exists only in the rendered file.
					set := map[string]string{"otter.manager.address": "rendered-only:1099"}
					if role == "manager" {
						ports := testkit.FreePorts(t, 2)
						set = map[string]string{"otter.port": strconv.Itoa(ports[0]), "otter.communication.manager.port": strconv.Itoa(ports[1])}
					}
					rendered := renderInto(t, role, home, filepath.Join(root, "render"), set)
					c, warns, err := Build(detectReal(t, jdk), Options{Role: otter.Role(role), OtterHome: home, RenderDir: filepath.Dir(rendered), RenderedFile: rendered,
						Nid: 1, Settings: Settings{JavaOptions: opts, MaxMemRatio: 75}})
					if err != nil {
						t.Fatal(err)
					}
					if len(warns) == 0 {
						t.Error("no warnings for startup.sh's legacy flags")
					}
					p := startCommand(t, c, append(os.Environ(), "otter.zookeeper.sessionTimeout=1234"))
					running, log := otterstub.ManagerRunning, filepath.Join(home, otterstub.ManagerLog)
					if role == "node" {
						running, log = otterstub.NodeRunning, filepath.Join(home, otterstub.NodeLog)
					}
					testkit.Eventually(t, "the running line", 60*time.Second, func() bool { p.FailIfExited(t); return testkit.FileContains(log, running) }, p.Out.Bytes)
					s := otterstub.StartLine(t, p, 30*time.Second)
					if role == "node" {
						if got := s.Conf["otter.manager.address"]; got != set["otter.manager.address"] {
							t.Errorf("otter.manager.address = %q: the rendered file must come first on the classpath", got)
						}
						// Otter's placeholder rules: a variable named like a key wins.
						if got := s.Conf["otter.zookeeper.sessionTimeout"]; got != "1234" {
							t.Errorf("otter.zookeeper.sessionTimeout = %q, want the environment's 1234", got)
						}
					}
					for _, a := range s.InputArguments {
						if strings.Contains(a, "PermSize") || strings.Contains(a, "CMS") || strings.Contains(a, "ConcMarkSweep") || a == "-Xnoagent" {
							t.Errorf("a removed flag reached the JVM: %s", a)
						}
					}
					if out := string(p.Out.Bytes()); complaint.MatchString(out) {
						t.Errorf("the JVM complained:\n%s", out)
					}
					if st, err := os.Stat(filepath.Join(home, "logs", "gc", "gc.log")); err != nil || st.Size() == 0 {
						t.Errorf("GC log: %v", err)
					}
					if code := p.Stop(t, 30*time.Second); code != 143 {
						t.Errorf("exit after TERM = %d, want 143", code)
					}
				})
			}
		}
	}
}
