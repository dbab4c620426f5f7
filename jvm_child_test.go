package main

import (
	"os/exec"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// compileJava compiles testdata/java/<name>.java into a temporary directory.
func compileJava(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", "java", name+".java")
	if out, err := exec.Command(testkit.Javac(t), "--release", "8", "-d", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return dir
}

func TestJVMChild(t *testing.T) {
	classes := compileJava(t, "SignalProbe")
	for _, jdk := range testkit.JDKs(t) {
		t.Run(jdk.Name, func(t *testing.T) {
			for _, success := range []bool{false, true} {
				var env []string
				want := 143
				if success {
					env = []string{"ENTRYPOINT_SUCCESS_EXIT_CODES=143"}
					want = 0
				}
				p := start(t, env, "run", "--", jdk.Java(), "-cp", classes, "SignalProbe")
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
