package jvmtest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// knownJDKs are the JDKs this project's machines carry (see CONTEXT).
var knownJDKs = []JDK{
	{Name: "jdk17", Home: "/usr/lib/jvm/java-17-openjdk-amd64", Major: 17},
	{Name: "jdk25", Home: "/usr/lib/jvm/temurin-25-jdk-amd64", Major: 25},
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
		if _, err := os.Stat(j.Java()); err == nil {
			have = append(have, j)
			continue
		}
		if j.Major == 17 {
			MissingTool(t, "JDK 17 is missing at %s (apt-get install openjdk-17-jdk-headless)", j.Home)
		}
		fmt.Fprintf(os.Stderr, "NOTE LOUDLY: %s: %s is not installed on this machine; running on the other JDKs only\n", t.Name(), j.Home)
	}
	return have
}

// AnyJDK returns one installed JDK (17 first), skipping the test loudly
// when there is none; for tests that need a JVM but not every JDK.
func AnyJDK(t testing.TB) JDK {
	t.Helper()
	for _, j := range knownJDKs {
		if _, err := os.Stat(j.Java()); err == nil {
			return j
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

// StubJar compiles the stand-in once per source version and returns the jar.
// The jar is cached under the user cache dir (otter-entrypoint/otter-stub/<hash>)
// so that test packages running in parallel share it; it is written atomically.
func StubJar(t testing.TB) string {
	t.Helper()
	src, err := SourceDir()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := SourceHash(src)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	jar := filepath.Join(cache, "otter-entrypoint", "otter-stub", hash, "otter-stub.jar")
	if _, err := os.Stat(jar); err == nil {
		return jar
	}
	if err := BuildJar(Javac(t), src, jar); err != nil {
		t.Fatal(err)
	}
	return jar
}

// Home lays out a release-like OTTER_HOME for role ("manager" or "node") at dir.
func Home(t testing.TB, role, dir string) string {
	t.Helper()
	src, err := SourceDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := LayoutHome(role, dir, src, StubJar(t)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// BuildRelease lays out root/manager and root/node (root "" = a new
// t.TempDir()) and returns the two OTTER_HOMEs.
func BuildRelease(t testing.TB, root string) (managerHome, nodeHome string) {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	return Home(t, "manager", filepath.Join(root, "manager")), Home(t, "node", filepath.Join(root, "node"))
}

// StartPrefix begins the line the stand-in prints to stdout when it starts.
const StartPrefix = "OTTER-STUB-START "

// Start is what the stand-in reports on its start line.
type Start struct {
	Role           string            `json:"role"`
	Pid            int               `json:"pid"`
	JavaVersion    string            `json:"javaVersion"`
	MaxHeap        int64             `json:"maxHeap"` // Runtime.maxMemory()
	Collectors     []string          `json:"collectors"`
	InputArguments []string          `json:"inputArguments"`
	Sysprops       map[string]string `json:"sysprops"` // every system property (secrets masked)
	Conf           map[string]string `json:"conf"`     // effective value of every otter.properties key (secrets masked)
}

// ErrNoStartLine means the output holds no start line (yet).
var ErrNoStartLine = errors.New("no " + StartPrefix + "line in the output")

// ParseStartLine finds and decodes the stand-in's start line in output.
func ParseStartLine(output []byte) (*Start, error) {
	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if i := bytes.Index(line, []byte(StartPrefix)); i >= 0 {
			var s Start
			if err := json.Unmarshal(line[i+len(StartPrefix):], &s); err != nil {
				return nil, err
			}
			return &s, nil
		}
	}
	return nil, ErrNoStartLine
}

// MaskSecret is how the stand-in prints the value of a key whose name holds
// password, passwd, secret or token: "sha256:" and the hex digest.
func MaskSecret(value string) string {
	sum := sha256.Sum256([]byte(value))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Log lines the stand-in writes (tests and readiness checks wait for them).
const (
	ManagerRunning = "## the manager server is running now ......"
	NodeRunning    = "## the otter server is running now ......"
	NodeStopping   = "## stop the otter server"
	NodeDown       = "## otter server is down."
	ManagerFailed  = "## Something goes wrong when starting up the manager Server"
)

// ManagerLog and NodeLog are the stand-in's main logs relative to OTTER_HOME.
const (
	ManagerLog = "logs/manager.log"
	NodeLog    = "logs/node/node.log"
)
