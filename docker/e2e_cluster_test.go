package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otter-entrypoint/internal/otterzk"
	"otter-entrypoint/internal/testkit"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.StopSharedMariaDB()
	os.Exit(code)
}

// secretDir writes files as a Secret volume holds them for uid 1000
// (group 1000, mode 0440) and returns the directory.
func secretDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text+"\n"), 0o440); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, 0, 1000); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// podTmp is a host directory for a container's /tmp that outlives the
// container's restarts, as a pod's emptyDir does.
func podTmp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chown(dir, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testCluster is issue 11 end to end with the images: a real MariaDB and
// ZooKeeper on the host's loopback, the manager creating Otter's tables
// (OTTER_DB_INIT=on), two nodes registering themselves (OTTER_REGISTER=on)
// with the registrar account of README's grants, their stand-in JVMs
// registering /otter/node/{nid} in ZooKeeper; then a node's JVM killed
// (SIGKILL) and docker start of the same container rejoin at once: the old
// JVM's session (30 s) is not waited for.
func testCluster(t *testing.T, e *e2e) {
	ctx := context.Background()
	srv := testkit.SharedMariaDB(t)
	z := testkit.StartZooKeeper(t)
	admin := z.Client(t, 4*time.Second)
	db := srv.NewDatabase(t)
	mgrUser, mgrPassword := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	ports := testkit.FreePorts(t, 11)
	mgrWeb, mgrComm := ports[0], ports[1]
	listen := func(port int) string { return "ENTRYPOINT_LISTEN=127.0.0.1:" + strconv.Itoa(port) }

	manager := e.runSpec(t, runSpec{image: e.images.manager, hostNetwork: true,
		binds: []string{secretDir(t, map[string]string{"database-password": mgrPassword}) + ":/run/secrets/otter:ro"},
		env: []string{
			// The default dependency wait: a ZooKeeper session (the
			// tables are not awaited with OTTER_DB_INIT=on).
			"OTTER_DB_INIT=on",
			"OTTER_DATABASE_DRIVER_URL=" + srv.JDBCURL(db), "OTTER_DATABASE_DRIVER_USERNAME=" + mgrUser,
			"OTTER_DATABASE_DRIVER_PASSWORD_FILE=/run/secrets/otter/database-password",
			"OTTER_ZOOKEEPER_CLUSTER_DEFAULT=" + z.Addr,
			"OTTER_PORT=" + strconv.Itoa(mgrWeb), "OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(mgrComm),
			"OTTER_MANAGER_ADDRESS=127.0.0.1:" + strconv.Itoa(mgrComm),
			listen(ports[2]), "ENTRYPOINT_READY_INTERVAL=1s",
		}})
	manager.waitReady(90 * time.Second)
	pool := srv.DB(t, db)
	var list string
	if err := pool.QueryRow("SELECT SERVER_LIST FROM AUTOKEEPER_CLUSTER WHERE ID = 1").Scan(&list); err != nil || !strings.Contains(list, z.Addr) {
		t.Fatalf("after the manager's OTTER_DB_INIT: cluster 1 SERVER_LIST %q, %v; want %s", list, err, z.Addr)
	}

	// The registrar account, with README's grants (now that the tables
	// exist: a table-level GRANT needs the table).
	q := "`" + db + "`."
	regUser, regPassword := srv.NewUser(t, "GRANT SELECT, INSERT, UPDATE ON "+q+"`NODE` TO %s", "GRANT SELECT ON "+q+"`AUTOKEEPER_CLUSTER` TO %s")
	regSecret := secretDir(t, map[string]string{"password": regPassword})

	type node struct {
		nid  int
		port int
		c    *container
	}
	startNode := func(nid, probe, port, download, mbean int) node {
		c := e.runSpec(t, runSpec{image: e.images.node, hostNetwork: true, tmpBind: podTmp(t),
			binds: []string{regSecret + ":/run/secrets/otter-registrar:ro"},
			env: []string{
				"OTTER_NID=" + strconv.Itoa(nid), "OTTER_NODE_NAME=otter-node-" + strconv.Itoa(nid-1),
				"OTTER_ADVERTISE_HOST=127.0.0.1", "OTTER_NODE_PORT=" + strconv.Itoa(port),
				"OTTER_NODE_DOWNLOAD_PORT=" + strconv.Itoa(download), "OTTER_NODE_MBEAN_PORT=" + strconv.Itoa(mbean),
				"OTTER_REGISTER=on", "OTTER_REGISTER_URL=" + srv.JDBCURL(db), "OTTER_REGISTER_USERNAME=" + regUser,
				"OTTER_REGISTER_PASSWORD_FILE=/run/secrets/otter-registrar/password",
				// The default dependency wait: the manager's address.
				"otter.manager.address=127.0.0.1:" + strconv.Itoa(mgrComm),
				// Far below the old session's 30 s: only the fast path
				// can start a killed node's replacement in time.
				"OTTER_ZK_STALE_WAIT=5s",
				listen(probe), "ENTRYPOINT_READY_INTERVAL=1s",
				"JAVA_OPTIONS=-Dotter.stub.zkServers=" + z.Addr + " -Dotter.stub.zkSessionTimeoutMs=30000 -Dotter.stub.shutdownDelayMs=0",
			}})
		return node{nid: nid, port: port, c: c}
	}
	nodes := []node{startNode(1, ports[3], ports[4], ports[5], ports[6]), startNode(2, ports[7], ports[8], ports[9], ports[10])}
	owners := map[int]int64{}
	for _, n := range nodes {
		n.c.waitReady(90 * time.Second) // readiness includes the znode owned by the JVM
		var name, ip string
		var port int
		if err := pool.QueryRow("SELECT NAME, IP, PORT FROM NODE WHERE ID = ?", n.nid).Scan(&name, &ip, &port); err != nil {
			t.Fatalf("no NODE row %d: %v", n.nid, err)
		}
		if name != fmt.Sprintf("otter-node-%d", n.nid-1) || ip != "127.0.0.1" || port != n.port {
			t.Errorf("NODE row %d: %q %q %d", n.nid, name, ip, port)
		}
		ok, stat, err := admin.Exists(otterzk.NodePath(n.nid))
		if err != nil || !ok || stat.EphemeralOwner == 0 {
			t.Fatalf("%s: exists %v, %+v, %v", otterzk.NodePath(n.nid), ok, stat, err)
		}
		owners[n.nid] = stat.EphemeralOwner
	}

	// The JVM crashes (SIGKILL, as the OOM killer sends it): no shutdown
	// hook runs, its znode lives on with the old session, the entrypoint
	// exits 137 and the container stops. (A docker kill of PID 1 is no
	// crash of java any more: java gets TERM as its parent-death signal
	// and shuts down cleanly.)
	n := nodes[0]
	path := otterzk.NodePath(n.nid)
	testkit.Eventually(t, "the JVM's session recorded in the render directory", 20*time.Second, func() bool {
		return strings.Contains(n.c.logs(), otterzk.SessionID(owners[n.nid]))
	}, nil)
	if err := syscall.Kill(n.c.java().HostPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the killed container stops", 30*time.Second, func() bool { return !n.c.inspect().State.Running }, nil)
	if ok, stat, _ := admin.Exists(path); !ok || stat.EphemeralOwner != owners[n.nid] {
		t.Fatalf("the killed JVM's znode should outlive it (session 30 s): exists %v", ok)
	}
	n.c.started = time.Now()
	if err := e.api.startContainer(ctx, n.c.id); err != nil {
		t.Fatal(err)
	}
	took := n.c.waitReady(60 * time.Second)
	t.Logf("docker start after java was killed to /readyz 200: %v", took.Round(time.Millisecond))
	if took > 25*time.Second {
		t.Errorf("the rejoin took %v: the old session (30 s) was waited for", took)
	}
	ok, stat, err := admin.Exists(path)
	if err != nil || !ok || stat.EphemeralOwner == owners[n.nid] {
		t.Fatalf("after the rejoin %s: exists %v, %+v, %v; want a new owner", path, ok, stat, err)
	}
	logs := n.c.logs()
	if !strings.Contains(logs, "previous JVM, which is gone") {
		t.Error("the fast path is not logged")
	}
	if !strings.Contains(logs, `"outcome":"unchanged"`) {
		t.Error("the second registration wrote something: want outcome unchanged")
	}
	if strings.Contains(logs, regPassword) {
		t.Error("the registrar's password appears in docker logs")
	}
	// The other node kept running throughout.
	if code, _, err := nodes[1].c.probe("/readyz"); err != nil || code != 200 {
		t.Errorf("node 2 /readyz: %d %v", code, err)
	}
	for _, c := range []*container{nodes[0].c, nodes[1].c, manager} {
		c.stop()
	}
}
