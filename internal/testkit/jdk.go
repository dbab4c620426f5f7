// Package testkit holds the helpers the tests of every package share:
// processes, polling with deadlines, free ports, JDK discovery and the rule
// for a missing tool. Nothing in production imports it.
package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// JDK is a JDK installed on this machine that the tests run against.
type JDK struct {
	Name  string // "jdk17", "jdk25"
	Home  string // JAVA_HOME
	Major int
}

// Java returns the JDK's java binary.
func (j JDK) Java() string { return filepath.Join(j.Home, "bin", "java") }

// knownJDKs are the JDKs the tests look for: Debian's OpenJDK 17 (which
// .ci/run installs) and Temurin 25 where a machine has it. Each is a glob
// over the architecture suffix (amd64, arm64, ...), so that the tests find
// them on any architecture.
var knownJDKs = []struct {
	name, glob string
	major      int
}{
	{"jdk17", "/usr/lib/jvm/java-17-openjdk-*", 17},
	{"jdk25", "/usr/lib/jvm/temurin-25-jdk-*", 25},
}

// findJDK returns the first home matching glob that holds bin/java.
func findJDK(glob string) (string, bool) {
	homes, _ := filepath.Glob(glob)
	for _, h := range homes {
		if isExecutable(filepath.Join(h, "bin", "java")) {
			return h, true
		}
	}
	return "", false
}

// JDKs returns the installed JDKs among JDK 17 and Temurin 25. JDK 17 comes
// from Debian (openjdk-17-jdk-headless, which .ci/run installs): without it
// the test fails under CI and is skipped loudly elsewhere. Temurin 25 is not
// a Debian package: when this machine lacks it, that is said on stderr (so
// it shows in CI's output) and the test runs on JDK 17 alone.
func JDKs(t testing.TB) []JDK {
	t.Helper()
	var have []JDK
	for _, j := range knownJDKs {
		if home, ok := findJDK(j.glob); ok {
			have = append(have, JDK{Name: j.name, Home: home, Major: j.major})
			continue
		}
		if j.major == 17 {
			MissingTool(t, "JDK 17 is missing: nothing matches %s (apt-get install openjdk-17-jdk-headless)", j.glob)
		}
		fmt.Fprintf(os.Stderr, "NOTE LOUDLY: %s: no JDK matches %s on this machine; running on the other JDKs only\n", t.Name(), j.glob)
	}
	return have
}

// AnyJDK returns one installed JDK (17 first), skipping the test loudly
// when there is none; for tests that need a JVM but not every JDK.
func AnyJDK(t testing.TB) JDK {
	t.Helper()
	for _, j := range knownJDKs {
		if home, ok := findJDK(j.glob); ok {
			return JDK{Name: j.name, Home: home, Major: j.major}
		}
	}
	MissingTool(t, "no JDK 17 or 25 installed; this test needs a real java (apt-get install openjdk-17-jdk-headless)")
	return JDK{}
}

// Javac returns a javac (JAVA_HOME's, else on PATH), skipping the test
// loudly when there is none.
func Javac(t testing.TB) string {
	t.Helper()
	if h := os.Getenv("JAVA_HOME"); h != "" {
		if p := filepath.Join(h, "bin", "javac"); isExecutable(p) {
			return p
		}
	}
	p, err := exec.LookPath("javac")
	if err != nil {
		MissingTool(t, "no javac on this machine, so the Otter stand-in cannot be compiled (apt-get install openjdk-17-jdk-headless)")
	}
	return p
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
