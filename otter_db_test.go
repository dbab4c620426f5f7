package main

// Black-box tests of the database steps before java, with the built
// entrypoint, the Otter stand-in and a real MariaDB.

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
	"otter-entrypoint/prestart"
)

// secretFile writes a secret with a trailing newline (as kubectl create
// secret --from-file often leaves one) and returns its path.
func secretFile(t *testing.T, secret string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// initOtterDB prepares the database at jdbcURL as OTTER_DB_INIT would:
// the tables of the stand-in release at managerHome and one ZooKeeper
// cluster of zk.
func initOtterDB(t *testing.T, managerHome, jdbcURL, user, password string, zk ...string) {
	t.Helper()
	schema, err := prestart.LoadSchema(managerHome, "")
	if err != nil {
		t.Fatal(err)
	}
	j, err := prestart.ParseJDBC(jdbcURL)
	if err != nil {
		t.Fatal(err)
	}
	initDB := prestart.DBInit{DB: prestart.DB{JDBC: j, User: user, Password: password}, Schema: schema,
		ZooKeeper: zk, Timeout: time.Minute, Log: zap.NewNop()}
	if err := initDB.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A manager with OTTER_DB_INIT=on against an empty database creates
// Otter's tables and its ZooKeeper cluster, then starts java.
func TestManagerDBInitReachesJava(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	user, password := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	ports := testkit.FreePorts(t, 2)
	env := []string{
		"JAVA_HOME=" + testkit.AnyJDK(t).Home, "OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(),
		"OTTER_PORT=" + strconv.Itoa(ports[0]), "OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(ports[1]),
		"OTTER_DATABASE_DRIVER_URL=" + srv.JDBCURL(db), "OTTER_DATABASE_DRIVER_USERNAME=" + user,
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + secretFile(t, password),
		"OTTER_ZOOKEEPER_CLUSTER_DEFAULT=zk-0.zk:2181,zk-1.zk:2181",
		"OTTER_DB_INIT=on", "ENTRYPOINT_WAIT_FOR=none", "ENTRYPOINT_LOG_LEVEL=debug",
	}
	p := start(t, env, "manager")
	st := p.startLine()
	if st.Conf["otter.database.driver.url"] != srv.JDBCURL(db) {
		t.Errorf("Otter read the URL %q", st.Conf["otter.database.driver.url"])
	}
	pool := srv.DB(t, db)
	var tables, clusters int
	pool.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").Scan(&tables)
	var list string
	pool.QueryRow("SELECT COUNT(*), MAX(SERVER_LIST) FROM AUTOKEEPER_CLUSTER").Scan(&clusters, &list)
	if tables != 9 || clusters != 1 || list != `["zk-0.zk:2181","zk-1.zk:2181"]` {
		t.Errorf("after OTTER_DB_INIT: %d tables, %d clusters (%s); want the stand-in schema's 9 and one cluster", tables, clusters, list)
	}
	p.stopWithTERM()
	if !strings.Contains(p.stderr.String(), "Otter's tables created") {
		t.Errorf("the log does not say the tables were created:\n%s", p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), password) {
		t.Error("the database password appears in the entrypoint's log")
	}

	// A partly loaded database: 78 before java, saying what to do.
	partial := srv.NewDatabase(t)
	srv.Exec(t, "CREATE TABLE `"+partial+"`.NODE (ID int)")
	srv.Exec(t, "GRANT ALL ON `"+partial+"`.* TO '"+user+"'@'%'")
	p = start(t, append(env, "OTTER_DATABASE_DRIVER_URL="+srv.JDBCURL(partial)), "manager") // the last value wins
	if code := p.wait(60 * time.Second); code != 78 {
		t.Fatalf("exit %d on a partial schema, want 78; stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "some of Otter's tables (NODE)") {
		t.Errorf("stderr:\n%s", p.stderr.String())
	}
}

// ENTRYPOINT_WAIT_FOR unset: the manager waits for its database by logging
// in, and at the timeout says why it is not ready.
func TestManagerWaitsForOtterTables(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	user, password := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	zk, err := net.Listen("tcp", "127.0.0.1:0") // answers TCP, as ZooKeeper would
	if err != nil {
		t.Fatal(err)
	}
	defer zk.Close()
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	p := start(t, []string{
		"JAVA_HOME=" + testkit.AnyJDK(t).Home, "OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(),
		"OTTER_DATABASE_DRIVER_URL=" + srv.JDBCURL(db), "OTTER_DATABASE_DRIVER_USERNAME=" + user,
		"OTTER_DATABASE_DRIVER_PASSWORD=" + password, "OTTER_ZOOKEEPER_CLUSTER_DEFAULT=" + zk.Addr().String(),
		"ENTRYPOINT_WAIT_TIMEOUT=2s",
	}, "manager")
	if code := p.wait(60 * time.Second); code != 69 {
		t.Fatalf("exit %d, want 69; stderr:\n%s", code, p.stderr.String())
	}
	out := p.stderr.String()
	if !strings.Contains(out, "mysql://"+srv.Addr()+"/"+db+" ("+prestart.NoTablesReason+")") || strings.Contains(out, password) {
		t.Errorf("stderr does not give the reason (or shows the password):\n%s", out)
	}
}

// A node with OTTER_REGISTER=on writes its row, then starts java.
func TestNodeRegistersAndStarts(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	admin, adminPassword := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	// The cluster the node registers in is a real ZooKeeper: a registered
	// node checks its /otter/node/{nid} there before java starts, and the
	// stand-in registers it.
	z := testkit.StartZooKeeper(t)
	initOtterDB(t, otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager")), srv.JDBCURL(db), admin, adminPassword, z.Addr)
	q := "`" + db + "`."
	user, password := srv.NewUser(t, "GRANT SELECT, INSERT, UPDATE ON "+q+"NODE TO %s", "GRANT SELECT ON "+q+"AUTOKEEPER_CLUSTER TO %s")

	home := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
	probePort := testkit.FreePorts(t, 1)[0]
	env := []string{
		"JAVA_HOME=" + testkit.AnyJDK(t).Home, "OTTER_HOME=" + home, "OTTER_NID=7",
		"ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=none",
		"ENTRYPOINT_READY_INTERVAL=200ms", "ENTRYPOINT_LISTEN=127.0.0.1:" + strconv.Itoa(probePort),
		"otter.manager.address=127.0.0.1:1099",
		"OTTER_REGISTER=on", "OTTER_REGISTER_URL=" + srv.JDBCURL(db), "OTTER_REGISTER_USERNAME=" + user,
		"OTTER_REGISTER_PASSWORD_FILE=" + secretFile(t, password),
		"OTTER_NODE_NAME=otter-node-6", "OTTER_ADVERTISE_HOST=otter-node-6.otter-node.otter.svc.cluster.local",
		"OTTER_NODE_PORT=31088",
		"JAVA_OPTIONS=-Dotter.stub.zkServers=" + z.Addr + " -Dotter.stub.shutdownDelayMs=0",
	}
	p := start(t, env, "node")
	st := p.startLine()
	if st.Sysprops["nid"] != "7" {
		t.Errorf("nid %q", st.Sysprops["nid"])
	}
	var name, ip, params string
	var port int
	err := srv.DB(t, db).QueryRow("SELECT NAME, IP, PORT, PARAMETERS FROM NODE WHERE ID = 7").Scan(&name, &ip, &port, &params)
	if err != nil {
		t.Fatalf("no NODE row 7 once java runs: %v", err)
	}
	if name != "otter-node-6" || ip != "otter-node-6.otter-node.otter.svc.cluster.local" || port != 31088 ||
		!strings.HasPrefix(params, `{"downloadPort":31089,"mbeanPort":31090,"useExternalIp":false,"zkCluster":{"clusterName":"default",`) {
		t.Errorf("row %q %q %d %s", name, ip, port, params)
	}
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), 200, 30*time.Second)
	p.stopWithTERM()
	if strings.Contains(p.stderr.String(), password) {
		t.Error("the registrar's password appears in the entrypoint's log")
	}

	// The same nid under another name: 78, java never starts.
	p = start(t, append(env, "OTTER_NODE_NAME=someone-else"), "node") // the last value wins
	if code := p.wait(60 * time.Second); code != 78 {
		t.Fatalf("exit %d on a conflict, want 78; stderr:\n%s", code, p.stderr.String())
	}
	if out := p.stderr.String(); !strings.Contains(out, `row ID=7 NAME=\"otter-node-6\"`) {
		t.Errorf("stderr:\n%s", out)
	}
}

// The database settings are checked with the rest, before anything runs:
// every problem at once, 78.
func TestDatabaseSettingsReportedAtOnce(t *testing.T) {
	nodeHome := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
	p := start(t, []string{"OTTER_HOME=" + nodeHome, "OTTER_NID=1", "ENTRYPOINT_RENDER_DIR=" + t.TempDir(),
		"OTTER_REGISTER=on", "OTTER_NODE_PORT=twenty", "OTTER_REGISTER_PASSWORD_FILE=/nonexistent/secret",
		"OTTER_ZK_CLUSTER_ID=0", "ENTRYPOINT_LOG_FORMAT=xml"}, "node", "--dry-run")
	if code := p.wait(30 * time.Second); code != 78 {
		t.Fatalf("exit %d, want 78; stderr:\n%s", code, p.stderr.String())
	}
	out := p.stderr.String()
	for _, want := range []string{"OTTER_NODE_PORT=\"twenty\"", "OTTER_REGISTER_URL", "OTTER_REGISTER_USERNAME",
		"OTTER_REGISTER_PASSWORD_FILE=\"/nonexistent/secret\"", "OTTER_ZK_CLUSTER_ID=0", "ENTRYPOINT_LOG_FORMAT"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr does not name %s:\n%s", want, out)
		}
	}

	// A release whose manager jar has no schema, and no OTTER_DB_INIT_SCHEMA.
	managerHome := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	if err := os.WriteFile(filepath.Join(managerHome, "lib", otterstub.JarName("manager")), []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644); err != nil {
		t.Fatal(err)
	}
	p = start(t, []string{"OTTER_HOME=" + managerHome, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "OTTER_DB_INIT=on",
		"JAVA_HOME=" + testkit.AnyJDK(t).Home, "OTTER_ZOOKEEPER_CLUSTER_DEFAULT=zk:2181"}, "manager", "--dry-run")
	if code := p.wait(30 * time.Second); code != 78 {
		t.Fatalf("exit %d, want 78; stderr:\n%s", code, p.stderr.String())
	}
	if out := p.stderr.String(); !strings.Contains(out, "no schema file was found") || !strings.Contains(out, "OTTER_DB_INIT_SCHEMA") {
		t.Errorf("stderr:\n%s", out)
	}
}
