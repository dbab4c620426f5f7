package jvm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"otter-entrypoint/internal/exit"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// JDK is the Java runtime the entrypoint starts.
type JDK struct {
	Java    string // the java binary, symlinks resolved
	Home    string // its JAVA_HOME (for a JDK 8 jre/bin/java: the JDK's directory)
	Version string // e.g. "1.8.0_392", "17.0.15", "25.0.3"
	Major   int    // 8, 17, 25
}

// Update is the update number of a JDK 8 version ("1.8.0_181" → 181; 0 when
// the version has none). Later JDKs number updates differently and need none.
func (j JDK) Update() int {
	_, u, ok := strings.Cut(j.Version, "_")
	if !ok {
		return 0
	}
	n := 0
	for _, c := range u {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// versionTimeout bounds the `java -version` fallback; versionWaitDelay
// bounds how long its output is awaited once java has exited or been
// killed, should a process it started keep the pipe open; versionOutputMax
// bounds the output kept.
var versionTimeout = 10 * time.Second

const (
	versionWaitDelay = 500 * time.Millisecond
	versionOutputMax = 64 << 10
)

// Detect finds java: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on
// PATH with symlinks resolved. The version comes from the home's release file
// (JAVA_VERSION=...; for a JDK 8 …/jre/bin/java, the release file of the
// directory above jre) and only when there is none from `java -version`.
// No java is an *exit.Error with code 127. Cancelling ctx ends a
// `java -version` in progress (it and every process it started are killed).
func Detect(ctx context.Context, getenv func(string) (string, bool), log *zap.Logger) (JDK, error) {
	if log == nil {
		log = zap.NewNop()
	}
	java, source, err := findJava(getenv)
	if err != nil {
		return JDK{}, err
	}
	real, err := filepath.EvalSymlinks(java)
	if err != nil {
		return JDK{}, &exit.Error{Code: exit.NotFound, Err: err, Problems: []string{fmt.Sprintf("java %s (%s): %v", java, source, err)}}
	}
	jdk := JDK{Java: real, Home: filepath.Dir(filepath.Dir(real))}
	b, err := os.ReadFile(filepath.Join(jdk.Home, "release"))
	if errors.Is(err, fs.ErrNotExist) && filepath.Base(jdk.Home) == "jre" {
		if b2, err2 := os.ReadFile(filepath.Join(filepath.Dir(jdk.Home), "release")); err2 == nil {
			jdk.Home, b, err = filepath.Dir(jdk.Home), b2, nil
		}
	}
	if err == nil {
		jdk.Version = ReleaseVersion(b)
	}
	how := "release file"
	if jdk.Version == "" {
		how = "java -version"
		out, runErr := runVersion(ctx, real)
		if ctx.Err() != nil {
			return JDK{}, ctx.Err()
		}
		jdk.Version = VersionOutput(out)
		if jdk.Version == "" {
			return JDK{}, &exit.Error{Code: exit.NotFound, Err: runErr, Problems: []string{fmt.Sprintf(
				"java %s (%s): cannot tell its version: no JAVA_VERSION in %s/release and `java -version` said %q (%v); set JAVA_HOME to a JDK 8 to 25",
				real, source, jdk.Home, firstLine(out), runErr)}}
		}
	}
	jdk.Major = MajorVersion(jdk.Version)
	if jdk.Major == 0 {
		return JDK{}, &exit.Error{Code: exit.NotFound, Problems: []string{fmt.Sprintf("java %s (%s): version %q is not a Java version", real, source, jdk.Version)}}
	}
	log.Debug("found java", zap.String("java", jdk.Java), zap.String("source", source), zap.String("version", jdk.Version), zap.Int("major", jdk.Major), zap.String("from", how))
	return jdk, nil
}

func findJava(getenv func(string) (string, bool)) (path, source string, err error) {
	if home, ok := getenv("JAVA_HOME"); ok && home != "" {
		p := filepath.Join(home, "bin", "java")
		if !isExecutableFile(p) {
			return "", "", &exit.Error{Code: exit.NotFound, Problems: []string{fmt.Sprintf(
				"JAVA_HOME=%q (environment): %s is not an executable file; point JAVA_HOME at a JDK or JRE, or unset it to use java on PATH", home, p)}}
		}
		return p, "JAVA_HOME", nil
	}
	pathList, _ := getenv("PATH")
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, "java")
		if isExecutableFile(p) {
			return p, "PATH", nil
		}
	}
	return "", "", &exit.Error{Code: exit.NotFound, Problems: []string{fmt.Sprintf(
		"no java: JAVA_HOME is unset and no java is on PATH=%q; install a JDK 8 to 25 in the image or set JAVA_HOME", pathList)}}
}

func isExecutableFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// ReleaseVersion returns JAVA_VERSION from a JDK's release file
// (KEY="value" lines), or "".
func ReleaseVersion(release []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(release))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && strings.TrimSpace(k) == "JAVA_VERSION" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// VersionOutput returns the quoted version of `java -version` output
// (`openjdk version "17.0.15" 2025-04-15` → "17.0.15"), or "".
func VersionOutput(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, ` version "`)
		if i < 0 {
			continue
		}
		rest := line[i+len(` version "`):]
		if j := strings.IndexByte(rest, '"'); j > 0 {
			return rest[:j]
		}
	}
	return ""
}

// MajorVersion maps a Java version to its major number: "1.8.0_392" → 8,
// "17.0.15" → 17, "21" → 21, "26-ea" → 26, "jdk-17.0.9+9" → 17,
// "jdk8u392-b08" → 8. 0 when there is none.
func MajorVersion(v string) int {
	i := strings.IndexAny(v, "0123456789")
	if i < 0 {
		return 0
	}
	v = strings.TrimPrefix(v[i:], "1.")
	j := 0
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(v[:j])
	if err != nil {
		return 0
	}
	return n
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// runVersion runs `java -version` in a process group of its own and
// returns what it printed. It returns within versionTimeout (or when ctx
// is done) plus versionWaitDelay whatever java does: on the timeout the
// whole group is killed, and output is awaited at most versionWaitDelay
// after java has gone, should a process it started (in its group or not)
// keep the pipe open; a group left behind is killed too.
func runVersion(ctx context.Context, java string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	out := &capped{max: versionOutputMax}
	cmd := exec.CommandContext(ctx, java, "-version")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = versionWaitDelay
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		// java exited, but what it started still holds the pipe: the group
		// still exists (so its id was not reused); end it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = nil
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("no answer within %v", versionTimeout)
	}
	return out.b.Bytes(), err
}

// capped keeps the first max bytes written to it and drops the rest.
type capped struct {
	b   bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
