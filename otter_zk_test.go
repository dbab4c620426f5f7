package main

// Black-box tests of the ZooKeeper half of issue 11: the built binary, the
// Otter stand-in on a real JVM, and a real ZooKeeper (Debian's, started by
// testkit on loopback with a 200 ms tick).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/otterzk"
	"otter-entrypoint/internal/testkit"
)

// zkNodeEnv is a node with nid whose stand-in registers in z (requesting a
// session of 30 s, so that a killed JVM's node outlives it), its readiness
// served on probePort.
func zkNodeEnv(t *testing.T, z *testkit.ZooKeeper, nid, probePort int, renderDir string) []string {
	t.Helper()
	jdk := testkit.AnyJDK(t)
	home := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
	return []string{
		"JAVA_HOME=" + jdk.Home, "OTTER_HOME=" + home, "OTTER_NID=" + strconv.Itoa(nid),
		"ENTRYPOINT_RENDER_DIR=" + renderDir, "ENTRYPOINT_WAIT_FOR=none",
		"ENTRYPOINT_READY_INTERVAL=200ms", "ENTRYPOINT_LISTEN=127.0.0.1:" + strconv.Itoa(probePort),
		"OTTER_ZK_SERVERS=" + z.Addr,
		"JAVA_OPTIONS=-Dotter.stub.zkServers=" + z.Addr + " -Dotter.stub.zkSessionTimeoutMs=30000 -Dotter.stub.shutdownDelayMs=0",
	}
}

// recordedSession is the session the entrypoint recorded in renderDir ("" when none).
func recordedSession(renderDir string) string {
	b, err := os.ReadFile(filepath.Join(renderDir, otterzk.RecordFile))
	if err != nil {
		return ""
	}
	var rec struct{ Session string }
	if json.Unmarshal(b, &rec) != nil {
		return ""
	}
	return rec.Session
}

// TestNodeRejoinsAtOnceAfterKill9: a node registers and is ready; kill -9
// of java leaves its znode to a session that lives on for 30 s; a new
// entrypoint with the same render directory deletes it at once (the
// recorded session, its JVM gone) and starts. Readiness needs the znode:
// deleted under the running JVM, /readyz turns 503 though the log line
// stays.
func TestNodeRejoinsAtOnceAfterKill9(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	admin := z.Client(t, 4*time.Second)
	const nid = 4711 // no other test runs a JVM with this nid
	path := otterzk.NodePath(nid)
	probePort := testkit.FreePorts(t, 1)[0]
	renderDir := t.TempDir()
	env := zkNodeEnv(t, z, nid, probePort, renderDir)
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort)

	p := start(t, env, "node")
	st := p.startLine()
	waitHTTP(t, readyz, 200, 60*time.Second)
	ok, stat, err := admin.Exists(path)
	if err != nil || !ok || stat.EphemeralOwner == 0 {
		t.Fatalf("ready, but %s: exists %v, %+v, %v", path, ok, stat, err)
	}
	owner := otterzk.SessionID(stat.EphemeralOwner)
	testkit.Eventually(t, "the JVM's session recorded", 10*time.Second, func() bool { return recordedSession(renderDir) == owner },
		func() []byte { return []byte("recorded: " + recordedSession(renderDir) + "\n" + p.stderr.String()) })
	if err := syscall.Kill(st.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// KILL sent to java directly, not through the entrypoint: 128+9 (issue 12).
	if code := p.wait(30 * time.Second); code != 137 {
		t.Fatalf("exit %d after java was killed, want 137; stderr:\n%s", code, p.stderr.String())
	}
	if ok, stat, _ := admin.Exists(path); !ok || otterzk.SessionID(stat.EphemeralOwner) != owner {
		t.Fatalf("the killed JVM's node should outlive it (session 30s): exists %v", ok)
	}

	// With a stale wait far shorter than the old session's timeout, only
	// the fast path can start java.
	begin := time.Now()
	p = start(t, append(env, "OTTER_ZK_STALE_WAIT=5s"), "node")
	p.startLine()
	waitHTTP(t, readyz, 200, 60*time.Second)
	if took := time.Since(begin); took > 25*time.Second {
		t.Errorf("the rejoin took %v; the old session (30s) was waited for", took)
	}
	ok, stat, err = admin.Exists(path)
	if err != nil || !ok || otterzk.SessionID(stat.EphemeralOwner) == owner {
		t.Fatalf("after the rejoin %s: exists %v, %+v, %v; want a new owner", path, ok, stat, err)
	}
	if !strings.Contains(p.stderr.String(), "previous JVM, which is gone") {
		t.Errorf("the fast path is not logged:\n%s", p.stderr.String())
	}

	if err := admin.Delete(path, stat.Version); err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, readyz, 503, 10*time.Second)
	p.stopWithTERM()
}

// TestNodeReadyAgainAfterItsSessionExpired: the JVM's ZooKeeper session
// expires under a running node (a network partition between java and
// ZooKeeper, longer than its session); its znode goes, /readyz turns 503,
// and when the JVM registers again on a new session (as Otter does) /readyz
// is 200 again and the new session is recorded, so that a kill -9 after
// that still rejoins at once.
func TestNodeReadyAgainAfterItsSessionExpired(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	admin := z.Client(t, 4*time.Second)
	proxy := testkit.StartProxy(t, z.Addr)
	const nid = 4712 // no other test runs a JVM with this nid
	path := otterzk.NodePath(nid)
	probePort := testkit.FreePorts(t, 1)[0]
	renderDir := t.TempDir()
	env := zkNodeEnv(t, z, nid, probePort, renderDir)
	// java reaches ZooKeeper through the proxy, with a 2 s session; the
	// entrypoint directly.
	env = append(env, "JAVA_OPTIONS=-Dotter.stub.zkServers="+proxy.Addr+" -Dotter.stub.zkSessionTimeoutMs=2000 -Dotter.stub.shutdownDelayMs=0")
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort)

	p := start(t, env, "node")
	p.startLine()
	waitHTTP(t, readyz, 200, 60*time.Second)
	owner := func() string {
		ok, stat, err := admin.Exists(path)
		if err != nil || !ok {
			return ""
		}
		return otterzk.SessionID(stat.EphemeralOwner)
	}
	first := owner()
	testkit.Eventually(t, "the JVM's session recorded", 10*time.Second, func() bool { return first != "" && recordedSession(renderDir) == first },
		func() []byte { return []byte("recorded: " + recordedSession(renderDir) + "\n" + p.stderr.String()) })

	proxy.Cut()
	waitHTTP(t, readyz, 503, 30*time.Second)
	proxy.Restore()
	waitHTTP(t, readyz, 200, 30*time.Second)
	second := owner()
	if second == "" || second == first {
		t.Fatalf("after the expiry %s is owned by %q, before by %q; want a new session", path, second, first)
	}
	testkit.Eventually(t, "the new session recorded", 10*time.Second, func() bool { return recordedSession(renderDir) == second },
		func() []byte { return []byte("recorded: " + recordedSession(renderDir) + "\n" + p.stderr.String()) })
	// Otter's log, which the entrypoint follows to its stdout, says so.
	p.expect(10*time.Second, "the stand-in's new registration in its log", func(l string) bool {
		return strings.Contains(l, "registered "+path+" again in zookeeper")
	}, nil)
	p.stopWithTERM()
}

// TestNodeRefusesANidHeldByALiveSession: exit 69 naming nid and session;
// java never starts and the node is not touched.
func TestNodeRefusesANidHeldByALiveSession(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	other := z.Client(t, 4*time.Second)
	const nid = 4712
	path := otterzk.NodePath(nid)
	testkit.CreateParents(t, other, path)
	if _, err := other.Create(path, []byte{}, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	env := zkNodeEnv(t, z, nid, testkit.FreePorts(t, 1)[0], t.TempDir())
	p := start(t, append(env, "OTTER_ZK_STALE_WAIT=1s"), "node")
	if code := p.wait(60 * time.Second); code != 69 {
		t.Fatalf("exit %d, want 69; stderr:\n%s", code, p.stderr.String())
	}
	for _, want := range []string{"nid 4712", otterzk.SessionID(other.SessionID()), "OTTER_ZK_STALE_WAIT=1s"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, p.stderr.String())
		}
	}
	if strings.Contains(p.stderr.String(), "starting Otter") && strings.Contains(p.stderr.String(), otterstub.StartPrefix) {
		t.Error("java started")
	}
	if ok, st, _ := other.Exists(path); !ok || st.EphemeralOwner != other.SessionID() {
		t.Error("the live session's node was touched")
	}
}

// TestManagerWaitsForAZooKeeperSession: otter.zookeeper.cluster.default is
// waited for with a session; a port that accepts connections but is not
// ZooKeeper is not enough (69, saying so), a real ZooKeeper is.
func TestManagerWaitsForAZooKeeperSession(t *testing.T) {
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	// The manager also waits for Otter's tables: a real database with them.
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	user, password := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	initOtterDB(t, home, srv.JDBCURL(db), user, password, "zk:2181")
	mute := testkit.MuteListener(t) // accepts, never speaks ZooKeeper
	env := []string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(),
		"OTTER_DATABASE_DRIVER_URL=" + srv.JDBCURL(db), "OTTER_DATABASE_DRIVER_USERNAME=" + user,
		"OTTER_DATABASE_DRIVER_PASSWORD=" + password}

	t.Run("not ZooKeeper", func(t *testing.T) {
		p := start(t, append(env, "OTTER_ZOOKEEPER_CLUSTER_DEFAULT="+mute, "ENTRYPOINT_WAIT_TIMEOUT=10s"), "manager")
		if code := p.wait(60 * time.Second); code != 69 {
			t.Fatalf("exit %d, want 69; stderr:\n%s", code, p.stderr.String())
		}
		if !strings.Contains(p.stderr.String(), "no session was established") {
			t.Errorf("the reason is not said in words:\n%s", p.stderr.String())
		}
	})
	t.Run("ZooKeeper", func(t *testing.T) {
		z := testkit.StartZooKeeper(t)
		ports := testkit.FreePorts(t, 2)
		p := start(t, append(env, "OTTER_ZOOKEEPER_CLUSTER_DEFAULT="+z.Addr, "ENTRYPOINT_WAIT_TIMEOUT=60s",
			"OTTER_PORT="+strconv.Itoa(ports[0]), "OTTER_COMMUNICATION_MANAGER_PORT="+strconv.Itoa(ports[1])), "manager")
		p.startLine()
		if !strings.Contains(p.stderr.String(), `"dependency reachable","target":"zookeeper://`+z.Addr) {
			t.Errorf("the ZooKeeper session is not what was waited for:\n%s", p.stderr.String())
		}
		p.stopWithTERM()
	})
}

// TestZooKeeperSettingsAreChecked: invalid values are reported with the
// rest (78), each naming the setting.
func TestZooKeeperSettingsAreChecked(t *testing.T) {
	home := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
	code, out := runToExit(t, []string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "OTTER_NID=3",
		"OTTER_ZK_SERVERS=zk-0:2181,zk-1:99999", "OTTER_ZK_STALE_WAIT=-1s", "ENTRYPOINT_WAIT_TIMEOUT=soon"}, "node", "--dry-run")
	if code != 78 {
		t.Fatalf("exit %d, want 78: %s", code, out)
	}
	for _, want := range []string{"OTTER_ZK_SERVERS", "99999", "OTTER_ZK_STALE_WAIT", "ENTRYPOINT_WAIT_TIMEOUT"} {
		if !strings.Contains(out, want) {
			t.Errorf("the message does not name %q:\n%s", want, out)
		}
	}
}
