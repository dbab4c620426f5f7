package jvm

import (
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

	"otter-entrypoint/internal/testkit"
)

// testCgroup is a memory cgroup made by a test (we are root), removed at cleanup.
type testCgroup struct {
	dir   string // the cgroup's directory
	procs string // its cgroup.procs
	v2    bool
}

// newMemoryCgroup creates a child of this process's memory cgroup with the
// given limit, on cgroup v1 (memory.limit_in_bytes) or v2 (memory.max).
func newMemoryCgroup(t *testing.T, limit int64) testCgroup {
	t.Helper()
	if os.Geteuid() != 0 {
		testkit.MissingTool(t, "creating a cgroup needs root")
	}
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	parent, ok := memoryCgroupDir(cg, mi)
	if !ok {
		t.Skip("SKIPPED LOUDLY: this machine has no memory cgroup controller")
	}
	dir := filepath.Join(parent.path, fmt.Sprintf("otter-jvm-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("create cgroup: %v", err)
	}
	t.Cleanup(func() {
		// The processes in it have exited; rmdir removes an empty cgroup
		// (the kernel may take a moment to see it empty).
		var err error
		testkit.Eventually(t, "removal of cgroup "+dir, 10*time.Second, func() bool {
			err = os.Remove(dir)
			return err == nil || os.IsNotExist(err)
		}, func() []byte { return []byte(err.Error()) })
	})
	file := parent.limitFile()
	if parent.v2 {
		// v2: the parent must delegate the memory controller.
		_ = os.WriteFile(filepath.Join(parent.path, "cgroup.subtree_control"), []byte("+memory"), 0o644)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Fatalf("set %s: %v", file, err)
	}
	// No swap: past its limit a process is killed, not swapped out.
	if parent.v2 {
		_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0o644)
	} else {
		_ = os.WriteFile(filepath.Join(dir, "memory.swappiness"), []byte("0"), 0o644)
	}
	t.Logf("cgroup %s (%s) limit %d", dir, file, limit)
	return testCgroup{dir: dir, procs: filepath.Join(dir, "cgroup.procs"), v2: parent.v2}
}

// runInCgroup runs argv inside the cgroup: the test binary re-executes
// itself, joins the cgroup and execs argv (see TestMain).
func runInCgroup(t *testing.T, cg testCgroup, argv ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "OTTER_JVM_TEST_CGROUP_PROCS="+cg.procs, "OTTER_JVM_TEST_EXEC="+strings.Join(argv, "\x1f"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var maxHeapRE = regexp.MustCompile(`(?m)^\s*size_t MaxHeapSize\s+=\s+(\d+)`)
var initialHeapRE = regexp.MustCompile(`(?m)^\s*size_t InitialHeapSize\s+=\s+(\d+)`)

// TestHeapUnderCgroupLimit puts the JVM, started with the built flags, in a
// memory cgroup made by the test: its max heap is the configured
// percentage of the limit (-XX:+PrintFlagsFinal), and ContainerMemoryLimit
// reads the same limit from inside the cgroup.
func TestHeapUnderCgroupLimit(t *testing.T) {
	const limit = 1 << 30
	cg := newMemoryCgroup(t, limit)
	out, err := runInCgroup(t, cg, "limit")
	if err != nil {
		t.Fatalf("ContainerMemoryLimit in the cgroup: %v\n%s", err, out)
	}
	if strings.TrimSpace(out) != fmt.Sprintf("%d <nil>", limit) {
		t.Errorf("ContainerMemoryLimit inside the cgroup = %q, want %d", strings.TrimSpace(out), limit)
	}
	home := t.TempDir()
	for _, jdk := range testkit.JDKs(t) {
		for _, ratio := range []struct{ max, initial float64 }{{75, 0}, {50, 25}} {
			t.Run(fmt.Sprintf("%s/max%v", jdk.Name, ratio.max), func(t *testing.T) {
				c, _, err := Build(detectReal(t, jdk), Options{Role: "manager", OtterHome: home, RenderDir: home, RenderedFile: home + "/otter.properties",
					Settings: Settings{MaxMemRatio: ratio.max, InitialMemRatio: ratio.initial}, MemoryLimit: limit})
				if err != nil {
					t.Fatal(err)
				}
				if err := c.MakeDirs(); err != nil {
					t.Fatal(err)
				}
				argv := append(append([]string{c.Path}, jvmArgs(t, c)...), "-XX:+PrintFlagsFinal", "-version")
				out, err := runInCgroup(t, cg, argv...)
				if err != nil {
					t.Fatalf("java in the cgroup: %v\n%s", err, testkit.Short(out))
				}
				m := maxHeapRE.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("no MaxHeapSize in:\n%s", testkit.Short(out))
				}
				got, _ := strconv.ParseInt(m[1], 10, 64)
				want := int64(float64(limit) * ratio.max / 100)
				// The JVM aligns the heap down to its alignment (a few MiB at most).
				if got > want || want-got > 8<<20 {
					t.Errorf("MaxHeapSize = %d, want %v%% of %d = %d", got, ratio.max, limit, want)
				}
				if ratio.initial > 0 {
					m := initialHeapRE.FindStringSubmatch(out)
					if m == nil {
						t.Fatalf("no InitialHeapSize in:\n%s", testkit.Short(out))
					}
					got, _ := strconv.ParseInt(m[1], 10, 64)
					want := int64(float64(limit) * ratio.initial / 100)
					if got > want || want-got > 8<<20 {
						t.Errorf("InitialHeapSize = %d, want %v%% of %d = %d", got, ratio.initial, limit, want)
					}
				}
			})
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return len(list)
}

// TestOOMKillsCountsTheKernelsKill: a process that outgrows its cgroup's
// limit is killed by the kernel's OOM killer with KILL, and the cgroup's
// oom_kill count, as ContainerOOMKills reads it, grows by one.
func TestOOMKillsCountsTheKernelsKill(t *testing.T) {
	cg := newMemoryCgroup(t, 32<<20)
	dir := memoryCgroup{path: cg.dir, v2: cg.v2}
	before, ok, err := oomKills("/", dir)
	if err != nil || !ok {
		t.Fatalf("oom_kill count of %s/%s: %d, %v, %v (Linux 4.13 and later have it)", cg.dir, dir.eventsFile(), before, ok, err)
	}
	// tail keeps the one endless line of /dev/zero in memory: it grows
	// until the kernel kills it.
	out, err := runInCgroup(t, cg, "/usr/bin/tail", "/dev/zero")
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("tail /dev/zero in a 32 MiB cgroup: %v, want it killed; output %q", err, out)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("tail /dev/zero ended with %v, want killed by KILL; output %q", ee, out)
	}
	after, ok, err := oomKills("/", dir)
	if err != nil || !ok || after != before+1 {
		t.Errorf("oom_kill count %d before, %d after (%v, %v); want one more", before, after, ok, err)
	}
}
