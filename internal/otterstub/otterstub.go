package otterstub

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/testkit"
)

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
	if _, err := ZooKeeperClientJars(); err != nil {
		testkit.MissingTool(t, "%v", err)
	}
	if _, err := os.Stat(jar); err == nil {
		return jar
	}
	if err := BuildJar(testkit.Javac(t), src, jar); err != nil {
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
	ManagerRunning = "## " + otter.ManagerRunningText + " ......"
	NodeRunning    = "## " + otter.NodeRunningText + " ......"
	NodeStopping   = "## stop the otter server"
	NodeDown       = "## otter server is down."
	ManagerFailed  = "## Something goes wrong when starting up the manager Server"
)

// ManagerLog and NodeLog are the stand-in's main logs relative to OTTER_HOME.
var (
	ManagerLog = otter.Manager.MainLogRel()
	NodeLog    = otter.Node.MainLogRel()
)

// StartLine waits up to timeout for the stand-in's start line in p's
// output (the pipe may deliver it after the log file shows the running
// line) and decodes it.
func StartLine(t testing.TB, p *testkit.Proc, timeout time.Duration) *Start {
	t.Helper()
	var s *Start
	testkit.Eventually(t, "the start line", timeout, func() bool {
		var err error
		s, err = ParseStartLine(p.Out.Bytes())
		return err == nil
	}, p.Out.Bytes)
	return s
}
