package prestart

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/testkit"
)

// testDB is a DB on the shared MariaDB: database db, logging in as user.
func testDB(t *testing.T, srv *testkit.MariaDB, db, user, password string) DB {
	t.Helper()
	j, err := ParseJDBC(srv.JDBCURL(db))
	if err != nil {
		t.Fatal(err)
	}
	return DB{JDBC: j, User: user, Password: password, Settings: "otter.database.driver.url/.username/.password", Log: zaptest.NewLogger(t)}
}

// createOtterTables creates Otter's two required tables as the reference
// notes define them.
func createOtterTables(t *testing.T, srv *testkit.MariaDB, db string, which ...string) {
	t.Helper()
	ddl := map[string]string{
		TableCluster: "CREATE TABLE `" + db + "`.AUTOKEEPER_CLUSTER (ID bigint(20) NOT NULL AUTO_INCREMENT, CLUSTER_NAME varchar(200) NOT NULL," +
			" SERVER_LIST varchar(1024) NOT NULL, DESCRIPTION varchar(200) DEFAULT NULL," +
			" GMT_CREATE timestamp NOT NULL DEFAULT '0000-00-00 00:00:00'," +
			" GMT_MODIFIED timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (ID)) ENGINE=InnoDB DEFAULT CHARSET=utf8",
		TableNode: "CREATE TABLE `" + db + "`.NODE (ID bigint(20) NOT NULL AUTO_INCREMENT, NAME varchar(200) NOT NULL, IP varchar(200) NOT NULL," +
			" PORT bigint(20) NOT NULL, DESCRIPTION varchar(200) DEFAULT NULL, PARAMETERS text DEFAULT NULL," +
			" GMT_CREATE timestamp NOT NULL DEFAULT '0000-00-00 00:00:00'," +
			" GMT_MODIFIED timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP," +
			" PRIMARY KEY (ID), UNIQUE KEY NODEUNIQUE (NAME, IP)) ENGINE=InnoDB DEFAULT CHARSET=utf8",
	}
	for _, w := range which {
		srv.Exec(t, ddl[w])
	}
}

// The wait's reasons, each in words, and success once the tables exist.
func TestMySQLCheckReasons(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	user, password := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	ctx := context.Background()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	down := testDB(t, srv, db, user, password)
	down.JDBC.Hosts = []string{closed}

	wrongPassword := testDB(t, srv, db, user, "not-"+password)
	// MySQL says a database is missing only to a user who may use it.
	srv.Exec(t, "GRANT ALL ON `"+db+"_missing`.* TO '"+user+"'@'%'")
	noDB := testDB(t, srv, db+"_missing", user, password)
	good := testDB(t, srv, db, user, password)

	for _, c := range []struct {
		name  string
		d     DB
		want  string
		setup func()
	}{
		{"unreachable", down, "unreachable", nil},
		{"login refused", wrongPassword, "login refused for user \"" + user + "\"", nil},
		{"database missing", noDB, "database \"" + db + "_missing\" missing", nil},
		{"no tables", good, NoTablesReason, nil},
		{"partial", good, "incomplete (no NODE)", func() { createOtterTables(t, srv, db, TableCluster) }},
	} {
		if c.setup != nil {
			c.setup()
		}
		err := MySQLCheck(c.d, true).Try(ctx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Try = %v; want %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("%s: the error shows the password: %v", c.name, err)
		}
	}
	if err := MySQLCheck(good, false).Try(ctx); err != nil {
		t.Errorf("without requiring tables (OTTER_DB_INIT=on) a reachable database is ready: %v", err)
	}
	createOtterTables(t, srv, db, TableNode)
	if err := MySQLCheck(good, true).Try(ctx); err != nil {
		t.Errorf("with Otter's tables: Try = %v", err)
	}
}

// At the timeout the wait exits 69 naming the database and the last
// reason in words.
func TestWaitForChecksTimesOutWithTheReason(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	user, password := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	d := testDB(t, srv, db, user, password)
	err := WaitForChecks(context.Background(), nil, []Check{MySQLCheck(d, true)}, 1500*time.Millisecond, zap.NewNop(), time.Now)
	if exit.Code(err) != exit.Unavailable || !strings.Contains(err.Error(), NoTablesReason) || !strings.Contains(err.Error(), d.JDBC.String()) {
		t.Fatalf("WaitForChecks = %v (code %d); want 69 naming %s and %q", err, exit.Code(err), d.JDBC.String(), NoTablesReason)
	}
	// The tables appear while it waits: it returns.
	done := make(chan error, 1)
	go func() {
		done <- WaitForChecks(context.Background(), nil, []Check{MySQLCheck(d, true)}, time.Minute, zap.NewNop(), time.Now)
	}()
	createOtterTables(t, srv, db, TableCluster, TableNode)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("WaitForChecks = %v after the tables were created", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("WaitForChecks did not notice the tables")
	}
}
