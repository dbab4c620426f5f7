package jvm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMajorVersion(t *testing.T) {
	for in, want := range map[string]int{
		"1.8.0_392": 8, "1.8.0_181-b13": 8, "17.0.15": 17, "25.0.3": 25, "21": 21, "26-ea": 26,
		"jdk-17.0.9+9": 17, "jdk8u392-b08": 8, "11.0.16.1": 11, "10": 10, "1.7.0_80": 7, "": 0, "abc": 0,
	} {
		if got := MajorVersion(in); got != want {
			t.Errorf("MajorVersion(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestUpdate(t *testing.T) {
	for in, want := range map[string]int{"1.8.0_392": 392, "1.8.0_181-b13": 181, "1.8.0": 0, "17.0.15": 0} {
		if got := (JDK{Version: in}).Update(); got != want {
			t.Errorf("JDK{%q}.Update() = %d, want %d", in, got, want)
		}
	}
}

func TestReleaseVersion(t *testing.T) {
	tests := map[string]string{
		"IMPLEMENTOR=\"Debian\"\nJAVA_RUNTIME_VERSION=\"17.0.15+6-Debian-1deb12u1\"\nJAVA_VERSION=\"17.0.15\"\n": "17.0.15",
		"JAVA_VERSION=\"1.8.0_392\"\nOS_NAME=\"Linux\"\n":                                                        "1.8.0_392",
		"  JAVA_VERSION = '21'  \n": "21",
		"IMPLEMENTOR=\"x\"\n":       "",
		"":                          "",
	}
	for in, want := range tests {
		if got := ReleaseVersion([]byte(in)); got != want {
			t.Errorf("ReleaseVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionOutput(t *testing.T) {
	tests := map[string]string{
		"openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6)\n": "17.0.15",
		"Picked up JAVA_TOOL_OPTIONS: -Xmx1g\njava version \"1.8.0_181\"\nJava(TM) SE Runtime\n":  "1.8.0_181",
		"Error: could not open\n": "",
	}
	for in, want := range tests {
		if got := VersionOutput([]byte(in)); got != want {
			t.Errorf("VersionOutput(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeJDK makes a JDK tree with an executable bin/java (a shell script that
// prints versionOut to stderr) and, when release != "", a release file.
func fakeJDK(t *testing.T, home, release, versionOut string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(home, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	java := filepath.Join(home, "bin", "java")
	script := "#!/bin/sh\necho '" + versionOut + "' >&2\n"
	if err := os.WriteFile(java, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if release != "" {
		if err := os.WriteFile(filepath.Join(home, "release"), []byte(release), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return java
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDetect(t *testing.T) {
	root := t.TempDir()
	jdk17 := filepath.Join(root, "jdk-17")
	fakeJDK(t, jdk17, "JAVA_VERSION=\"17.0.15\"\n", "")
	// PATH → symlink chain like /usr/bin/java → /etc/alternatives/java → the JDK.
	bin := filepath.Join(root, "usr-bin")
	alt := filepath.Join(root, "alternatives")
	for _, d := range []string{bin, alt} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(jdk17, "bin", "java"), filepath.Join(alt, "java")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(alt, "java"), filepath.Join(bin, "java")); err != nil {
		t.Fatal(err)
	}
	// JDK 8 layout: the java on PATH is jre/bin/java, the release file is above jre/.
	jdk8 := filepath.Join(root, "jdk8")
	fakeJDK(t, filepath.Join(jdk8, "jre"), "", "")
	if err := os.WriteFile(filepath.Join(jdk8, "release"), []byte("JAVA_VERSION=\"1.8.0_181\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No release file: the version comes from running java -version.
	norel := filepath.Join(root, "no-release")
	fakeJDK(t, norel, "", `openjdk version "11.0.2" 2019-01-15`)
	broken := filepath.Join(root, "broken")
	fakeJDK(t, broken, "", "garbage")

	tests := []struct {
		name      string
		env       map[string]string
		wantHome  string
		wantMajor int
		wantVer   string
		wantCode  int
	}{
		{"JAVA_HOME", map[string]string{"JAVA_HOME": jdk17, "PATH": ""}, jdk17, 17, "17.0.15", 0},
		{"PATH with symlinks", map[string]string{"PATH": "/nonexistent:" + bin}, jdk17, 17, "17.0.15", 0},
		{"JAVA_HOME wins over PATH", map[string]string{"JAVA_HOME": norel, "PATH": bin}, norel, 11, "11.0.2", 0},
		{"JDK 8 jre layout", map[string]string{"PATH": filepath.Join(jdk8, "jre", "bin")}, jdk8, 8, "1.8.0_181", 0},
		{"java -version fallback", map[string]string{"PATH": filepath.Join(norel, "bin")}, norel, 11, "11.0.2", 0},
		{"empty JAVA_HOME is unset", map[string]string{"JAVA_HOME": "", "PATH": bin}, jdk17, 17, "17.0.15", 0},
		{"bad JAVA_HOME", map[string]string{"JAVA_HOME": filepath.Join(root, "nope"), "PATH": bin}, "", 0, "", 127},
		{"no java on PATH", map[string]string{"PATH": root}, "", 0, "", 127},
		{"no PATH", map[string]string{}, "", 0, "", 127},
		{"unknown version", map[string]string{"PATH": filepath.Join(broken, "bin")}, "", 0, "", 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jdk, err := Detect(context.Background(), envOf(tt.env), nil)
			if tt.wantCode != 0 {
				var e *exit.Error
				if !errors.As(err, &e) || e.Code != tt.wantCode {
					t.Fatalf("Detect error = %v, want exit code %d", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if jdk.Home != tt.wantHome || jdk.Major != tt.wantMajor || jdk.Version != tt.wantVer {
				t.Errorf("Detect = %+v, want home %s major %d version %s", jdk, tt.wantHome, tt.wantMajor, tt.wantVer)
			}
			if filepath.Base(jdk.Java) != "java" {
				t.Errorf("Java = %s", jdk.Java)
			}
		})
	}
}

// TestDetectRealJDKs finds the machine's real JDKs: /usr/bin/java (a symlink
// chain into JDK 17) through PATH, and every JDK (Temurin 25 too) through
// JAVA_HOME.
func TestDetectRealJDKs(t *testing.T) {
	jdks := testkit.JDKs(t) // JDK 17 first
	if _, err := os.Stat("/usr/bin/java"); err != nil {
		testkit.MissingTool(t, "no /usr/bin/java on this machine (apt-get install openjdk-17-jdk-headless)")
	}
	jdk, err := Detect(context.Background(), envOf(map[string]string{"PATH": "/usr/local/sbin:/usr/bin"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if jdk17 := jdks[0]; jdk.Home != jdk17.Home || jdk.Major != 17 || jdk.Java != jdk17.Java() {
		t.Errorf("Detect(PATH) = %+v, want JDK 17 at %s", jdk, jdk17.Home)
	}
	for _, j := range jdks {
		jdk, err = Detect(context.Background(), envOf(map[string]string{"JAVA_HOME": j.Home, "PATH": "/usr/bin"}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if jdk.Home != j.Home || jdk.Major != j.Major {
			t.Errorf("Detect(JAVA_HOME=%s) = %+v, want JDK %d", j.Home, jdk, j.Major)
		}
	}
}

// scriptJDK makes a JAVA_HOME without a release file whose bin/java is
// script, so that Detect falls back to `java -version`.
func scriptJDK(t *testing.T, script string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "bin", "java"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return home
}

// gone reports whether the process whose pid is in file has ended (or
// is a zombie waiting for whoever adopted it).
func gone(t *testing.T, file string) func() bool {
	return func() bool {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("no pid file: %v", err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
	}
}

// TestDetectVersionBounded: `java -version` cannot hold Detect beyond its
// timeout, not even through a process it started that keeps the output
// pipe open, and nothing it started is left running.
func TestDetectVersionBounded(t *testing.T) {
	defer func(d time.Duration) { versionTimeout = d }(versionTimeout)
	versionTimeout = 300 * time.Millisecond
	for _, tc := range []struct {
		name, script string
		wantErr      bool
	}{
		// java answers and exits, a child of its keeps the pipe.
		{"answers, child holds the pipe", `sleep 60 & echo $! > "$PIDFILE"; echo 'openjdk version "17.0.1" 2021-10-19' >&2; exit 0`, false},
		// the same child, in a process group of its own.
		{"answers, child in another group holds the pipe", `setsid sleep 60 & echo $! > "$PIDFILE"; echo 'openjdk version "17.0.1" 2021-10-19' >&2; exit 0`, false},
		// java never answers, and its child holds the pipe too.
		{"hangs, child holds the pipe", `sleep 60 & echo $! > "$PIDFILE"; exec sleep 60`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := scriptJDK(t, tc.script)
			pidFile := filepath.Join(t.TempDir(), "pid")
			t.Setenv("PIDFILE", pidFile)
			start := time.Now()
			jdk, err := Detect(context.Background(), envOf(map[string]string{"JAVA_HOME": home}), nil)
			took := time.Since(start)
			if tc.wantErr != (err != nil) || !tc.wantErr && jdk.Major != 17 {
				t.Errorf("Detect = %+v, %v", jdk, err)
			}
			if took > 5*time.Second {
				t.Errorf("Detect took %v; java -version's timeout is %v", took, versionTimeout)
			}
			if strings.Contains(tc.name, "another group") {
				// Out of java's group: not Detect's to kill, only to stop
				// waiting for.
				if b, err := os.ReadFile(pidFile); err == nil {
					if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
				return
			}
			testkit.Eventually(t, "java's child is killed", 5*time.Second, gone(t, pidFile), nil)
		})
	}
}

// TestDetectCancelled: cancelling Detect's context ends java -version at
// once, with every process it started.
func TestDetectCancelled(t *testing.T) {
	home := scriptJDK(t, `sleep 60 & echo $! > "$PIDFILE"; exec sleep 60`)
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Setenv("PIDFILE", pidFile)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		// Cancel once java -version has started its grandchild; give up
		// with Detect (whose own timeout then fails the test).
		for ctx.Err() == nil {
			if _, err := os.Stat(pidFile); err == nil {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	start := time.Now()
	_, err := Detect(ctx, envOf(map[string]string{"JAVA_HOME": home}), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Detect error %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Detect took %v after its context was cancelled", took)
	}
	testkit.Eventually(t, "java's child is killed", 5*time.Second, gone(t, pidFile), nil)
}
