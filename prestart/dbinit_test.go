package prestart

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

// standInSchema is the schema the Otter stand-in's manager jar carries.
func standInSchema(t *testing.T) Schema {
	t.Helper()
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	s, err := LoadSchema(home, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dbTables lists the tables of database db.
func dbTables(t *testing.T, pool *sql.DB) []string {
	t.Helper()
	rows, err := pool.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

// clusterRows returns AUTOKEEPER_CLUSTER as "id name servers modified" lines.
func clusterRows(t *testing.T, pool *sql.DB) []string {
	t.Helper()
	rows, err := pool.Query("SELECT ID, CLUSTER_NAME, SERVER_LIST, GMT_MODIFIED FROM AUTOKEEPER_CLUSTER ORDER BY ID")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, name, list, mod string
		if err := rows.Scan(&id, &name, &list, &mod); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{id, name, list, mod}, " "))
	}
	return out
}

func newDBInit(t *testing.T, srv *testkit.MariaDB, db string, log *zap.Logger) DBInit {
	t.Helper()
	user, password := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	d := testDB(t, srv, db, user, password)
	d.Log = log
	return DBInit{DB: d, Schema: standInSchema(t), ZooKeeper: []string{"zk-0.zk:2181", "zk-1.zk:2181"}, Timeout: time.Minute, Log: log}
}

// On an empty database: every table of the schema in the URL's database
// (not in `otter`, which the file names), the cluster the manager uses,
// and nothing changes when it runs again.
func TestDBInitOnAnEmptyDatabase(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	d := newDBInit(t, srv, db, zap.NewNop())
	ctx := context.Background()
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
	pool := srv.DB(t, db)
	if got, want := dbTables(t, pool), []string{"AUTOKEEPER_CLUSTER", "CHANNEL", "DELAY_STAT", "LOG_RECORD", "NODE", "PIPELINE", "PIPELINE_NODE_RELATION", "THROUGHPUT_STAT", "USER"}; !slices.Equal(got, want) {
		t.Fatalf("tables %q, want %q", got, want)
	}
	var otherDB int
	srv.Root().QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'otter'").Scan(&otherDB)
	if otherDB != 0 {
		t.Error("the schema's CREATE DATABASE otter was run")
	}
	clusters := clusterRows(t, pool)
	if len(clusters) != 1 || !strings.HasPrefix(clusters[0], `1 default ["zk-0.zk:2181","zk-1.zk:2181"] `) {
		t.Fatalf("AUTOKEEPER_CLUSTER = %q", clusters)
	}
	var users int
	pool.QueryRow("SELECT COUNT(*) FROM USER").Scan(&users)

	if err := d.Run(ctx); err != nil {
		t.Fatalf("second run: %v", err)
	}
	var usersAgain int
	pool.QueryRow("SELECT COUNT(*) FROM USER").Scan(&usersAgain)
	if again := clusterRows(t, pool); !slices.Equal(again, clusters) || usersAgain != users {
		t.Fatalf("the second run changed something: clusters %q → %q, users %d → %d", clusters, again, users, usersAgain)
	}
}

// A cluster already there (made in the UI) is left as it is.
func TestDBInitKeepsAnExistingCluster(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	createOtterTables(t, srv, db, TableCluster, TableNode)
	for _, table := range []string{"PIPELINE_NODE_RELATION", "CHANNEL", "PIPELINE", "DELAY_STAT", "THROUGHPUT_STAT", "LOG_RECORD", "USER"} {
		srv.Exec(t, "CREATE TABLE `"+db+"`."+table+" (ID int)")
	}
	srv.Exec(t,
		"INSERT INTO `"+db+"`.AUTOKEEPER_CLUSTER (ID, CLUSTER_NAME, SERVER_LIST, GMT_CREATE) VALUES (7, 'mine', '[\"zk:2181\"]', NOW())")
	d := newDBInit(t, srv, db, zap.NewNop())
	if err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := clusterRows(t, srv.DB(t, db)); len(got) != 1 || !strings.HasPrefix(got[0], `7 mine ["zk:2181"]`) {
		t.Fatalf("AUTOKEEPER_CLUSTER = %q", got)
	}
}

// Some but not all of Otter's tables: 78 naming them, nothing touched.
func TestDBInitRefusesAPartialSchema(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	createOtterTables(t, srv, db, TableNode)
	d := newDBInit(t, srv, db, zap.NewNop())
	err := d.Run(context.Background())
	if exit.Code(err) != exit.Config || !strings.Contains(err.Error(), "some of Otter's tables (NODE)") ||
		!strings.Contains(err.Error(), "missing: AUTOKEEPER_CLUSTER, PIPELINE_NODE_RELATION, CHANNEL, PIPELINE, DELAY_STAT, THROUGHPUT_STAT, LOG_RECORD, USER") {
		t.Fatalf("Run = %v (code %d); want 78 naming what is there and what is missing", err, exit.Code(err))
	}
	if got := dbTables(t, srv.DB(t, db)); !slices.Equal(got, []string{"NODE"}) {
		t.Fatalf("tables %q after a refusal; want NODE alone", got)
	}
}

// Two managers starting together: the named lock lets one create the
// tables; the other waits, then finds them and creates nothing.
func TestDBInitByTwoManagersAtOnce(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	core, logs := observer.New(zap.InfoLevel)
	log := zap.New(core)
	managers := []DBInit{newDBInit(t, srv, db, log), newDBInit(t, srv, db, log)}

	// Hold the lock so that both managers are surely waiting on it when
	// it is released.
	holder, err := srv.DB(t, db).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	var got int
	if err := holder.QueryRowContext(context.Background(), "SELECT GET_LOCK(?, 0)", lockName(db)).Scan(&got); err != nil || got != 1 {
		t.Fatalf("GET_LOCK = %d, %v", got, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(managers))
	for i, m := range managers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.Run(context.Background())
		}()
	}
	testkit.Eventually(t, "both managers waiting for the lock", 30*time.Second, func() bool {
		return logs.FilterMessage("another manager is preparing the database; waiting for it").Len() == 2
	}, nil)
	holder.ExecContext(context.Background(), "SELECT RELEASE_LOCK(?)", lockName(db))
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("manager %d: %v", i, err)
		}
	}
	if n := logs.FilterMessage("creating Otter's tables").Len(); n != 1 {
		t.Errorf("the tables were created %d times; want once", n)
	}
	pool := srv.DB(t, db)
	var users int
	pool.QueryRow("SELECT COUNT(*) FROM USER").Scan(&users)
	if users != 2 || len(clusterRows(t, pool)) != 1 {
		t.Errorf("USER has %d rows (want the 2 seeds), AUTOKEEPER_CLUSTER %d (want 1)", users, len(clusterRows(t, pool)))
	}
}

func TestServerListJSON(t *testing.T) {
	got, err := ServerListJSON(ZooKeeperServers(" zk-0:2181, zk-1:2181;zk-2:2181/otter&x "))
	if err != nil || got != `["zk-0:2181","zk-1:2181","zk-2:2181/otter&x"]` {
		t.Fatalf("ServerListJSON = %s, %v", got, err)
	}
	if _, err := ServerListJSON(nil); exit.Code(err) != exit.Config {
		t.Fatalf("no servers: %v", err)
	}
}
