package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jdks are the JVMs this machine has; CI installs the first.
var jdks = []struct{ name, java string }{
	{"jdk17", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"},
	{"jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"},
}

// compileJava compiles testdata/java/<name>.java into a temporary directory.
func compileJava(t *testing.T, name string) string {
	t.Helper()
	javac, err := exec.LookPath("javac")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run JVM tests: javac not found: %v", err)
		}
		t.Skipf("SKIPPED LOUDLY: javac not found (install openjdk-17-jdk-headless): %v", err)
	}
	dir := t.TempDir()
	out, err := exec.Command(javac, "--release", "8", "-d", dir, filepath.Join("testdata", "java", name+".java")).CombinedOutput()
	if err != nil {
		// --release 8 is refused by some JDKs; compile for the default.
		out, err = exec.Command(javac, "-d", dir, filepath.Join("testdata", "java", name+".java")).CombinedOutput()
	}
	if err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return dir
}

func TestJVMChild(t *testing.T) {
	classes := compileJava(t, "SignalProbe")
	for _, jdk := range jdks {
		t.Run(jdk.name, func(t *testing.T) {
			if _, err := os.Stat(jdk.java); err != nil {
				if jdk.name == "jdk17" || os.Getenv("CI") == "" {
					t.Skipf("SKIPPED LOUDLY: %s not installed: %v", jdk.java, err)
				}
				t.Skipf("SKIPPED LOUDLY: %s not installed on this machine", jdk.java)
			}
			for _, success := range []bool{false, true} {
				var env []string
				want := 143
				if success {
					env = []string{"ENTRYPOINT_SUCCESS_EXIT_CODES=143"}
					want = 0
				}
				p := startReading(t, env, "run", "--", jdk.java, "-cp", classes, "SignalProbe")
				p.expect(30*time.Second, "ready", func(l string) bool { return l == "ready" }, nil)

				// QUIT: a thread dump on stdout, and the JVM keeps running.
				p.signal(syscall.SIGQUIT)
				p.expect(10*time.Second, "thread dump", func(l string) bool { return strings.HasPrefix(l, "Full thread dump") }, nil)
				p.expect(10*time.Second, "a tick after the dump", func(l string) bool { return strings.HasPrefix(l, "tick ") }, nil)

				// TERM: the shutdown hook runs to completion, exit 143.
				p.signal(syscall.SIGTERM)
				p.expect(10*time.Second, "hook start", func(l string) bool { return l == "hook start" }, nil)
				p.expect(10*time.Second, "hook done", func(l string) bool { return l == "hook done" }, nil)
				if code := p.wait(20 * time.Second); code != want {
					t.Errorf("exit %d, want %d (success codes %v); stderr:\n%s", code, want, success, p.stderr.String())
				}
			}
		})
	}
}
