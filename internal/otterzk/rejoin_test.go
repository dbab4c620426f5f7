package otterzk

// The stale-registration rules against a real ZooKeeper (Debian's, started
// by testkit with a 200 ms tick so that sessions expire quickly).

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/testkit"
)

const testNid = 5

type rejoinCase struct {
	z    *testkit.ZooKeeper
	dir  string
	logs *observer.ObservedLogs
	r    *Rejoin
}

func newRejoin(t *testing.T, z *testkit.ZooKeeper, staleWait time.Duration, jvmAlive bool) *rejoinCase {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	c := &rejoinCase{z: z, dir: t.TempDir(), logs: logs}
	c.r = New(Config{Nid: testNid, StaleWait: staleWait, ConnectTimeout: 20 * time.Second, RecordDir: c.dir,
		JVMAlive: func(int) (bool, error) { return jvmAlive, nil }, Log: zap.New(core)})
	t.Cleanup(c.r.Close)
	return c
}

func (c *rejoinCase) prepare(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.r.Prepare(ctx, c.z.Addr)
}

func (c *rejoinCase) record(t *testing.T, session int64) {
	t.Helper()
	b, _ := json.Marshal(record{Nid: testNid, Path: NodePath(testNid), Session: SessionID(session)})
	if err := os.WriteFile(filepath.Join(c.dir, RecordFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (c *rejoinCase) recorded(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(c.dir, RecordFile))
	if err != nil {
		return ""
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Session
}

// register creates /otter/node/{nid} as Otter does: ephemeral, empty, with
// its persistent parents.
func register(t *testing.T, c *zk.Conn) {
	t.Helper()
	testkit.CreateParents(t, c, NodePath(testNid))
	if _, err := c.Create(NodePath(testNid), []byte{}, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("register: %v", err)
	}
}

func exists(t *testing.T, c *zk.Conn) (bool, *zk.Stat) {
	t.Helper()
	ok, st, err := c.Exists(NodePath(testNid))
	if err != nil {
		t.Fatal(err)
	}
	return ok, st
}

func TestRejoinAbsentStartsAndRecordsTheJVMsSession(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	c := newRejoin(t, z, time.Minute, false)
	if err := c.r.Ready(context.Background()); err == nil {
		t.Error("Ready before Prepare: want an error")
	}
	if err := c.prepare(t); err != nil {
		t.Fatal(err)
	}
	if err := c.r.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Ready before the JVM registered = %v", err)
	}
	jvm := z.Client(t, 4*time.Second) // the JVM's session
	register(t, jvm)
	want := SessionID(jvm.SessionID())
	testkit.Eventually(t, "the JVM's session recorded", 10*time.Second, func() bool { return c.recorded(t) == want }, nil)
	if err := c.r.Ready(context.Background()); err != nil {
		t.Errorf("Ready once registered = %v", err)
	}
}

func TestRejoinDeletesAPersistentNodeWithAWarning(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	admin := z.Client(t, 4*time.Second)
	testkit.CreateParents(t, admin, NodePath(testNid))
	if _, err := admin.Create(NodePath(testNid), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	c := newRejoin(t, z, time.Minute, false)
	if err := c.prepare(t); err != nil {
		t.Fatal(err)
	}
	if ok, _ := exists(t, admin); ok {
		t.Error("the persistent node is still there")
	}
	if w := c.logs.FilterLevelExact(zapcore.WarnLevel).FilterMessageSnippet("persistent").Len(); w != 1 {
		t.Errorf("%d warnings about the persistent node, want 1: %v", w, c.logs.All())
	}
}

func TestRejoinRecordedOwnerIsDeletedAtOnce(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	old, crash := z.CrashableClient(t, 30*time.Second) // the killed JVM: its session outlives it by 30s
	register(t, old)
	session := old.SessionID()
	crash()
	c := newRejoin(t, z, time.Minute, false)
	c.record(t, session)
	start := time.Now()
	if err := c.prepare(t); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Prepare took %v: the fast path should not wait for the session to expire", took)
	}
	admin := z.Client(t, 4*time.Second)
	if ok, _ := exists(t, admin); ok {
		t.Error("the previous JVM's node is still there")
	}
	if n := c.logs.FilterMessageSnippet("previous JVM, which is gone").Len(); n != 1 {
		t.Errorf("the fast path is not logged: %v", c.logs.All())
	}
	// The node the new JVM registers is ready and recorded.
	jvm := z.Client(t, 4*time.Second)
	register(t, jvm)
	testkit.Eventually(t, "the new JVM's session recorded", 10*time.Second, func() bool { return c.recorded(t) == SessionID(jvm.SessionID()) }, nil)
	if err := c.r.Ready(context.Background()); err != nil {
		t.Errorf("Ready = %v", err)
	}
}

func TestRejoinWaitsForAnUnknownSessionToExpire(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	old, crash := z.CrashableClient(t, 2*time.Second)
	register(t, old)
	session := old.SessionID()
	crash()
	c := newRejoin(t, z, time.Minute, false)
	c.record(t, session+1) // another session: not this one's
	start := time.Now()
	if err := c.prepare(t); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < time.Second {
		t.Errorf("Prepare returned after %v, before the old session (2s) could expire", took)
	}
	if c.logs.FilterMessageSnippet("waiting for it to expire").Len() != 1 || c.logs.FilterMessageSnippet("is gone; starting").Len() != 1 {
		t.Errorf("the wait is not logged: %v", c.logs.All())
	}
}

func TestRejoinRefusesANodeHeldByALiveSession(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	other := z.Client(t, 4*time.Second) // another JVM with this nid, alive
	register(t, other)
	for _, tc := range []struct {
		name     string
		recorded bool
		jvmAlive bool
	}{
		{"unknown session", false, false},
		// The recorded session, but a JVM with this nid still runs here.
		{"recorded session, JVM alive", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newRejoin(t, z, 1500*time.Millisecond, tc.jvmAlive)
			if tc.recorded {
				c.record(t, other.SessionID())
			}
			err := c.prepare(t)
			if exit.Code(err) != exit.Unavailable {
				t.Fatalf("Prepare = %v (code %d), want 69", err, exit.Code(err))
			}
			for _, want := range []string{"nid 5", SessionID(other.SessionID()), "OTTER_ZK_STALE_WAIT=1.5s", "split the brain"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
			if ok, st := exists(t, other); !ok || st.EphemeralOwner != other.SessionID() {
				t.Error("the live session's node was touched")
			}
		})
	}
}

func TestRejoinUnreachableIs69(t *testing.T) {
	closed := testkit.FreePorts(t, 1)[0]
	r := New(Config{Nid: testNid, StaleWait: time.Minute, ConnectTimeout: 700 * time.Millisecond, RecordDir: t.TempDir()})
	defer r.Close()
	err := r.Prepare(context.Background(), "127.0.0.1:"+itoa(closed))
	if exit.Code(err) != exit.Unavailable || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "ENTRYPOINT_WAIT_TIMEOUT") {
		t.Errorf("Prepare = %v (code %d); want 69 saying the connection was refused", err, exit.Code(err))
	}
}

func TestRejoinWithoutServersChecksNothing(t *testing.T) {
	r := New(Config{Nid: testNid, StaleWait: time.Minute, ConnectTimeout: time.Second, RecordDir: t.TempDir()})
	defer r.Close()
	if err := r.Prepare(context.Background(), " "); err != nil {
		t.Fatal(err)
	}
	if err := r.Ready(context.Background()); err != nil {
		t.Errorf("Ready without servers = %v, want nil", err)
	}
}
