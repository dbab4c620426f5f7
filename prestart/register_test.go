package prestart

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/testkit"
)

// registry is a database with Otter's NODE and AUTOKEEPER_CLUSTER, cluster
// 1 as the UI would have made it, a table counting every write to NODE
// (triggers), and a registrar account with exactly the grants README
// gives.
type registry struct {
	srv            *testkit.MariaDB
	db             string
	pool           *sql.DB // as root
	user, password string
}

func newRegistry(t *testing.T) *registry {
	t.Helper()
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	createOtterTables(t, srv, db, TableCluster, TableNode)
	q := "`" + db + "`."
	srv.Exec(t,
		"INSERT INTO "+q+"AUTOKEEPER_CLUSTER (ID, CLUSTER_NAME, SERVER_LIST, DESCRIPTION, GMT_CREATE, GMT_MODIFIED) VALUES "+
			"(1, 'default', '[\"zk-0.zk:2181\",\"zk-1.zk:2181\"]', 'k8s zk', FROM_UNIXTIME(1700000000), FROM_UNIXTIME(1700000001))",
		"CREATE TABLE "+q+"NODE_WRITES (ID INT NOT NULL AUTO_INCREMENT PRIMARY KEY, WHAT VARCHAR(10))",
		"CREATE TRIGGER "+q+"node_ins AFTER INSERT ON "+q+"NODE FOR EACH ROW INSERT INTO "+q+"NODE_WRITES (WHAT) VALUES ('insert')",
		"CREATE TRIGGER "+q+"node_upd AFTER UPDATE ON "+q+"NODE FOR EACH ROW INSERT INTO "+q+"NODE_WRITES (WHAT) VALUES ('update')",
		"CREATE TRIGGER "+q+"node_del AFTER DELETE ON "+q+"NODE FOR EACH ROW INSERT INTO "+q+"NODE_WRITES (WHAT) VALUES ('delete')",
	)
	user, password := srv.NewUser(t, "GRANT SELECT, INSERT, UPDATE ON "+q+"NODE TO %s", "GRANT SELECT ON "+q+"AUTOKEEPER_CLUSTER TO %s")
	return &registry{srv: srv, db: db, pool: srv.DB(t, db), user: user, password: password}
}

func (g *registry) registrar(t *testing.T, n Node) Registrar {
	t.Helper()
	d := testDB(t, g.srv, g.db, g.user, g.password)
	return Registrar{DB: d, Node: n, Timeout: 20 * time.Second, Log: zaptest.NewLogger(t)}
}

// writes is the number of inserts, updates and deletes NODE has seen.
func (g *registry) writes(t *testing.T) int {
	t.Helper()
	var n int
	if err := g.pool.QueryRow("SELECT COUNT(*) FROM NODE_WRITES").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type nodeRow struct {
	ID                      int64
	Name, IP                string
	Port                    int
	Description, Parameters sql.NullString
	Created, Modified       string
}

func (g *registry) row(t *testing.T, id int64) (nodeRow, bool) {
	t.Helper()
	var r nodeRow
	err := g.pool.QueryRow("SELECT ID, NAME, IP, PORT, DESCRIPTION, PARAMETERS, GMT_CREATE, GMT_MODIFIED FROM NODE WHERE ID = ?", id).
		Scan(&r.ID, &r.Name, &r.IP, &r.Port, &r.Description, &r.Parameters, &r.Created, &r.Modified)
	if err == sql.ErrNoRows {
		return r, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return r, true
}

func node(id int64, name, ip string, port int) Node {
	return Node{ID: id, Name: name, IP: ip, Port: port, DownloadPort: port + 1, MbeanPort: port + 2, ClusterID: 1}
}

func TestRegisterFreshNode(t *testing.T) {
	g := newRegistry(t)
	n := node(3, "otter-node-2", "otter-node-2.otter-node.otter.svc.cluster.local", 2088)
	outcome, cluster, err := g.registrar(t, n).Register(context.Background())
	if err != nil || outcome != Created {
		t.Fatalf("Register = %q, %v", outcome, err)
	}
	if !reflect.DeepEqual(cluster.Servers, []string{"zk-0.zk:2181", "zk-1.zk:2181"}) {
		t.Errorf("cluster servers %q", cluster.Servers)
	}
	r, ok := g.row(t, 3)
	if !ok {
		t.Fatal("no row")
	}
	if r.Name != n.Name || r.IP != n.IP || r.Port != 2088 || r.Description.Valid || strings.HasPrefix(r.Created, "0000") || strings.HasPrefix(r.Modified, "0000") {
		t.Fatalf("row %+v", r)
	}
	// Field by field, then byte for byte: the UI's shape and key order.
	var p map[string]any
	if err := json.Unmarshal([]byte(r.Parameters.String), &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"downloadPort": 2089.0, "mbeanPort": 2090.0, "useExternalIp": false,
		"zkCluster": map[string]any{"id": 1.0, "clusterName": "default", "description": "k8s zk",
			"gmtCreate": 1700000000000.0, "gmtModified": 1700000001000.0, "serverList": []any{"zk-0.zk:2181", "zk-1.zk:2181"}},
	}
	for k, v := range want {
		if !reflect.DeepEqual(p[k], v) {
			t.Errorf("PARAMETERS.%s = %#v, want %#v", k, p[k], v)
		}
	}
	if len(p) != len(want) {
		t.Errorf("PARAMETERS has keys %v, want those of %v", p, want)
	}
	exact := `{"downloadPort":2089,"mbeanPort":2090,"useExternalIp":false,"zkCluster":{"clusterName":"default","description":"k8s zk",` +
		`"gmtCreate":1700000000000,"gmtModified":1700000001000,"id":1,"serverList":["zk-0.zk:2181","zk-1.zk:2181"]}}`
	if r.Parameters.String != exact {
		t.Errorf("PARAMETERS\n%s\nwant\n%s", r.Parameters.String, exact)
	}

	// An external address: externalIp after downloadPort, useExternalIp true.
	e := node(4, "otter-node-3", "otter-node-3.otter-node", 2088)
	e.ExternalIP = "203.0.113.7"
	if _, _, err := g.registrar(t, e).Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, _ = g.row(t, 4)
	if !strings.HasPrefix(r.Parameters.String, `{"downloadPort":2089,"externalIp":"203.0.113.7","mbeanPort":2090,"useExternalIp":true,"zkCluster":{`) {
		t.Errorf("with an external IP: %s", r.Parameters.String)
	}
}

// A second start with the same settings writes nothing at all.
func TestRegisterAgainWritesNothing(t *testing.T) {
	g := newRegistry(t)
	n := node(5, "otter-node-4", "otter-node-4.otter-node", 2088)
	reg := g.registrar(t, n)
	if _, _, err := reg.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	// An old GMT_MODIFIED, so that any write would show.
	g.srv.Exec(t, "UPDATE `"+g.db+"`.NODE SET GMT_MODIFIED = '2020-01-02 03:04:05' WHERE ID = 5")
	before, writes := g.writes(t), func() int { return g.writes(t) }
	for range 2 {
		outcome, _, err := reg.Register(context.Background())
		if err != nil || outcome != Unchanged {
			t.Fatalf("Register again = %q, %v; want %q", outcome, err, Unchanged)
		}
	}
	r, _ := g.row(t, 5)
	if writes() != before || r.Modified != "2020-01-02 03:04:05" {
		t.Fatalf("a second start wrote: %d writes → %d, GMT_MODIFIED %s", before, writes(), r.Modified)
	}
}

// A new address or port is written; keys an operator set in PARAMETERS
// (and DESCRIPTION, GMT_CREATE) are kept.
func TestRegisterUpdatesAndKeepsOperatorKeys(t *testing.T) {
	g := newRegistry(t)
	n := node(6, "otter-node-5", "10.0.0.5", 2088)
	if _, _, err := g.registrar(t, n).Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.srv.Exec(t, "UPDATE `"+g.db+"`.NODE SET DESCRIPTION = 'rack 7', GMT_CREATE = '2021-01-01 00:00:00', "+
		"PARAMETERS = JSON_SET(PARAMETERS, '$.operatorNote', 'keep me', '$.externalIp', 'stale') WHERE ID = 6")
	before := g.writes(t)
	n.IP, n.Port, n.DownloadPort, n.MbeanPort = "otter-node-5.otter-node", 3088, 3089, 3090
	outcome, _, err := g.registrar(t, n).Register(context.Background())
	if err != nil || outcome != Updated {
		t.Fatalf("Register = %q, %v; want %q", outcome, err, Updated)
	}
	r, _ := g.row(t, 6)
	if r.IP != n.IP || r.Port != 3088 || r.Description.String != "rack 7" || r.Created != "2021-01-01 00:00:00" {
		t.Errorf("row %+v", r)
	}
	var p map[string]any
	json.Unmarshal([]byte(r.Parameters.String), &p)
	if p["operatorNote"] != "keep me" || p["downloadPort"] != 3089.0 || p["mbeanPort"] != 3090.0 || p["useExternalIp"] != false {
		t.Errorf("PARAMETERS %s", r.Parameters.String)
	}
	if _, ok := p["externalIp"]; ok {
		t.Errorf("externalIp is managed (OTTER_EXTERNAL_IP is unset) and must go: %s", r.Parameters.String)
	}
	if got := g.writes(t) - before; got != 1 {
		t.Errorf("%d writes; want one update", got)
	}
	// Another cluster is a difference too.
	g.srv.Exec(t, "INSERT INTO `"+g.db+"`.AUTOKEEPER_CLUSTER (ID, CLUSTER_NAME, SERVER_LIST, GMT_CREATE) VALUES (2, 'other', '[\"zk9:2181\"]', NOW())")
	n.ClusterID = 2
	if outcome, _, err := g.registrar(t, n).Register(context.Background()); err != nil || outcome != Updated {
		t.Fatalf("new cluster: %q, %v", outcome, err)
	}
	r, _ = g.row(t, 6)
	if !strings.Contains(r.Parameters.String, `"zkCluster":{"clusterName":"other",`) || !strings.Contains(r.Parameters.String, `"id":2,"serverList":["zk9:2181"]}`) {
		t.Errorf("PARAMETERS %s", r.Parameters.String)
	}
}

// Each conflict is refused with exit 78 naming both rows, and nothing is
// written.
func TestRegisterConflicts(t *testing.T) {
	g := newRegistry(t)
	seed := []Node{node(10, "node-a", "a.example", 2088), node(11, "node-b", "b.example", 2088)}
	for _, n := range seed {
		if _, _, err := g.registrar(t, n).Register(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		n    Node
		want []string
	}{
		{"this ID, another NAME", node(10, "node-z", "a.example", 2088), []string{`row ID=10 NAME="node-a" IP="a.example" PORT=2088 has this node's ID (nid) but another NAME`}},
		{"another row with this NAME", node(12, "node-b", "c.example", 2088), []string{`row ID=11 NAME="node-b" IP="b.example" PORT=2088 has the same NAME`}},
		{"another row with this IP and PORT", node(12, "node-c", "b.example", 2088), []string{`row ID=11 NAME="node-b" IP="b.example" PORT=2088 has the same IP and PORT`}},
		{"several", node(10, "node-b", "b.example", 2088), []string{"ID=10", `ID=11 NAME="node-b"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := g.writes(t)
			_, _, err := g.registrar(t, c.n).Register(context.Background())
			if exit.Code(err) != exit.Config || !strings.Contains(err.Error(), "this node ("+c.n.String()+")") {
				t.Fatalf("Register = %v (code %d); want 78 naming this node", err, exit.Code(err))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if g.writes(t) != before {
				t.Error("something was written")
			}
			if _, ok := g.row(t, 12); ok {
				t.Error("row 12 exists")
			}
		})
	}
	// Another port on the same address is no conflict.
	if _, _, err := g.registrar(t, node(12, "node-c", "b.example", 2188)).Register(context.Background()); err != nil {
		t.Errorf("same IP, other port: %v", err)
	}
}

// Nodes of a StatefulSet starting together all register.
func TestRegisterManyAtOnce(t *testing.T) {
	g := newRegistry(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = g.registrar(t, node(int64(100+i), fmt.Sprintf("otter-node-%d", i), fmt.Sprintf("otter-node-%d.otter-node", i), 2088)).
				Register(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	var rows int
	g.pool.QueryRow("SELECT COUNT(*) FROM NODE").Scan(&rows)
	if rows != n || g.writes(t) != n {
		t.Errorf("%d rows, %d writes; want %d of each", rows, g.writes(t), n)
	}
}

// Two nodes given the same NAME (or the same IP and PORT) but their own
// nids, starting at the same instant: one registers, the other is told of
// the conflict, and NODE never holds both (its unique key, NAME+IP, would
// let both in). Many rounds, each with its own pair.
func TestRegisterSameNameAtOnceOneWins(t *testing.T) {
	g := newRegistry(t)
	for round := range 20 {
		pairs := [][2]Node{
			{node(int64(1000+4*round), fmt.Sprintf("twin-%d", round), fmt.Sprintf("a-%d.example", round), 2088),
				node(int64(1001+4*round), fmt.Sprintf("twin-%d", round), fmt.Sprintf("b-%d.example", round), 2088)},
			{node(int64(1002+4*round), fmt.Sprintf("left-%d", round), fmt.Sprintf("addr-%d", round), 2088),
				node(int64(1003+4*round), fmt.Sprintf("right-%d", round), fmt.Sprintf("addr-%d", round), 2088)},
		}
		for _, pair := range pairs {
			var wg sync.WaitGroup
			var errs [2]error
			start := make(chan struct{})
			for i, n := range pair {
				r := g.registrar(t, n)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, _, errs[i] = r.Register(context.Background())
				}()
			}
			close(start)
			wg.Wait()
			var rows int
			if err := g.pool.QueryRow("SELECT COUNT(*) FROM NODE WHERE ID IN (?, ?)", pair[0].ID, pair[1].ID).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			failed := 0
			for _, err := range errs {
				if err != nil {
					failed++
					if exit.Code(err) != exit.Config || !strings.Contains(err.Error(), "conflicts with NODE") {
						t.Errorf("round %d: %v; want the conflict (78)", round, err)
					}
				}
			}
			if rows != 1 || failed != 1 {
				t.Fatalf("round %d, %s and %s at once: %d rows, %d failed; want 1 row and 1 conflict", round, pair[0], pair[1], rows, failed)
			}
		}
	}
}

// The node's cluster missing is waited for (the manager may be preparing
// its database), then 69 naming the setting; a missing grant is 78 at once.
func TestRegisterClusterMissingAndGrants(t *testing.T) {
	g := newRegistry(t)
	n := node(20, "otter-node-9", "x.example", 2088)
	n.ClusterID = 9
	reg := g.registrar(t, n)
	reg.Timeout = time.Second
	_, _, err := reg.Register(context.Background())
	if exit.Code(err) != exit.Unavailable || !strings.Contains(err.Error(), "OTTER_ZK_CLUSTER_ID=9") {
		t.Fatalf("Register = %v (code %d); want 69 naming OTTER_ZK_CLUSTER_ID", err, exit.Code(err))
	}
	user, password := g.srv.NewUser(t, "GRANT SELECT ON `"+g.db+"`.* TO %s")
	reg = g.registrar(t, node(21, "otter-node-10", "y.example", 2088))
	reg.DB.User, reg.DB.Password = user, password
	_, _, err = reg.Register(context.Background())
	if exit.Code(err) != exit.Config || !strings.Contains(err.Error(), "GRANT SELECT, INSERT, UPDATE ON `"+g.db+"`.`NODE`") || strings.Contains(err.Error(), password) {
		t.Fatalf("Register without INSERT/UPDATE = %v (code %d); want 78 giving the grants", err, exit.Code(err))
	}
}

func TestRegisterSettingsNode(t *testing.T) {
	s := RegisterSettings{Register: "on", Port: 31088, PortStride: 100, ZKClusterID: 1}
	n, problems := s.Node(4, "otter-node-2", 2, true, "otter-node-2.otter-node")
	if len(problems) > 0 || n.Name != "otter-node-2" || n.Port != 31288 || n.DownloadPort != 31289 || n.MbeanPort != 31290 || n.ID != 4 {
		t.Fatalf("Node = %+v, %q", n, problems)
	}
	s = RegisterSettings{Register: "on", Port: 2088, DownloadPort: 9090, NodeName: "n1", ZKClusterID: 1}
	if n, _ := s.Node(1, "host", 0, false, "h"); n.DownloadPort != 9090 || n.MbeanPort != 2090 || n.Name != "n1" {
		t.Fatalf("Node = %+v", n)
	}
	s = RegisterSettings{Register: "on", Port: 65000, PortStride: 1000, ZKClusterID: 1}
	if _, problems := s.Node(1, "web", 0, false, ""); len(problems) != 2 ||
		!strings.Contains(problems[0], "OTTER_ADVERTISE_HOST") || !strings.Contains(problems[1], "does not end in -<number>") {
		t.Errorf("no address, no ordinal: %q", problems)
	}
	if _, problems := s.Node(1, "otter-node-1", 1, true, "h"); len(problems) != 3 || !strings.Contains(problems[0], "66000, above 65535") {
		t.Errorf("ports above 65535: %q", problems)
	}
	s = RegisterSettings{Register: "maybe"}
	if p := s.Validate(); len(p) != 1 || !strings.Contains(p[0], "OTTER_REGISTER=\"maybe\"") {
		t.Errorf("Validate = %q", p)
	}
	s = RegisterSettings{Register: "on", URL: "jdbc:mysql://db/", Password: "x", PasswordFile: "y", Port: 0, PortStride: -1, ZKClusterID: 0, ExternalIP: "a b"}
	want := []string{"OTTER_REGISTER_URL", "OTTER_REGISTER_USERNAME", "exclusive", "OTTER_REGISTER_PASSWORD_FILE=\"y\"", "OTTER_NODE_PORT=0", "OTTER_NODE_PORT_STRIDE=-1", "OTTER_ZK_CLUSTER_ID=0", "OTTER_EXTERNAL_IP"}
	p := s.Validate()
	if len(p) != len(want) {
		t.Fatalf("Validate = %q", p)
	}
	for i, w := range want {
		if !strings.Contains(p[i], w) {
			t.Errorf("problem %d = %q, want %q", i, p[i], w)
		}
	}
	if p := (&RegisterSettings{Register: "off", Port: -5}).Validate(); p != nil {
		t.Errorf("off: Validate = %q", p)
	}
}
