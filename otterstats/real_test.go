package otterstats

// Tests with real parts: Debian's MariaDB and ZooKeeper started by
// testkit, the stand-in's schema (Otter's tables and indexes), and a
// read-only account.

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/testkit"
	"otter-entrypoint/prestart"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.StopSharedMariaDB()
	os.Exit(code)
}

// schemaFile is the stand-in's manager schema, which OTTER_DB_INIT loads.
const schemaFile = "../internal/otterstub/java/resources/sql/otter-manager-schema.sql"

// otterDB creates a database with Otter's tables on srv and returns a pool
// as root (for the test's writes) and an Opener logging in with an account
// that may only read it.
func otterDB(t testing.TB, srv *testkit.MariaDB) (*sql.DB, Opener) {
	t.Helper()
	text, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := prestart.ParseSchema(schemaFile, text)
	if err != nil {
		t.Fatal(err)
	}
	name := srv.NewDatabase(t)
	pool := srv.DB(t, name)
	pool.SetMaxOpenConns(1) // the schema's SET sql_mode holds for its statements
	for _, st := range s.Statements {
		if _, err := pool.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	user, password := srv.NewUser(t, "GRANT SELECT ON `"+name+"`.* TO %s")
	j, err := prestart.ParseJDBC(srv.JDBCURL(name))
	if err != nil {
		t.Fatal(err)
	}
	db := prestart.DB{JDBC: j, User: user, Password: password, Settings: "test"}
	return pool, db.Open
}

func execSQL(t testing.TB, db *sql.DB, statements ...string) {
	t.Helper()
	for _, s := range statements {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// series finds a gathered series by name and labels (all of them).
func series(t testing.TB, reg *prometheus.Registry, name string, labels ...string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(want) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if v, ok := want[lp.GetName()]; !ok || v != lp.GetValue() {
					continue next
				}
			}
			return metricValue(m), true
		}
	}
	return 0, false
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}

// family counts a family's series.
func family(t testing.TB, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

func p10(extra ...string) []string {
	return append([]string{"channel_id", "1", "channel", "ch-a", "pipeline_id", "10", "pipeline", "p-a"}, extra...)
}

// want checks a series' value, or its absence with absent.
func want(t testing.TB, reg *prometheus.Registry, v float64, name string, labels ...string) {
	t.Helper()
	got, ok := series(t, reg, name, labels...)
	switch {
	case v == absent && ok:
		t.Errorf("%s%v = %v, want it absent", name, labels, got)
	case v != absent && !ok:
		t.Errorf("%s%v absent, want %v", name, labels, v)
	case v != absent && got != v:
		t.Errorf("%s%v = %v, want %v", name, labels, got, v)
	}
}

const absent = -12345.678

// dbTime reads one value from the database (a time by its clock).
func dbTime(t testing.TB, db *sql.DB, q string) float64 {
	t.Helper()
	var v float64
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// eventually polls cond (the collector running in the background) until
// it holds, failing after a deadline.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, what, 30*time.Second, cond, nil)
}

func TestAgainstMariaDBAndZooKeeper(t *testing.T) {
	srv := testkit.StartMariaDB(t) // halted and restarted below
	db, open := otterDB(t, srv)
	z := testkit.StartZooKeeper(t)
	zc := z.Client(t, 10*time.Second)

	execSQL(t, db,
		"INSERT INTO CHANNEL (ID, NAME, GMT_CREATE) VALUES (1, 'ch-a', NOW()), (2, 'ch-b', NOW())",
		`INSERT INTO PIPELINE (ID, NAME, CHANNEL_ID, PARAMETERS, GMT_CREATE) VALUES
		 (10, 'p-a', 1, '{"destinationName":"dest-a","home":false,"parallelism":3}', NOW()),
		 (11, 'p-b', 2, '{"home":true}', NOW())`,
		`INSERT INTO NODE (ID, NAME, IP, PORT, PARAMETERS, GMT_CREATE) VALUES
		 (1, 'node-1', '10.0.0.1', 2088, '{}', NOW()), (2, 'node-2', '10.0.0.2', 2088, '{}', NOW())`,
		// Rows from before the entrypoint started: shown as latest, never counted.
		"INSERT INTO DELAY_STAT (DELAY_TIME, DELAY_NUMBER, PIPELINE_ID, GMT_CREATE, GMT_MODIFIED) VALUES (900, 0, 10, NOW() - INTERVAL 5 MINUTE, NOW() - INTERVAL 5 MINUTE)",
		"INSERT INTO THROUGHPUT_STAT (TYPE, NUMBER, SIZE, PIPELINE_ID, START_TIME, END_TIME, GMT_CREATE, GMT_MODIFIED) VALUES ('ROW', 1000, 99999, 10, NOW() - INTERVAL 2 MINUTE, NOW() - INTERVAL 1 MINUTE, NOW() - INTERVAL 1 MINUTE, NOW() - INTERVAL 1 MINUTE)",
		"INSERT INTO LOG_RECORD (NID, CHANNEL_ID, PIPELINE_ID, TITLE, MESSAGE, GMT_CREATE) VALUES ('1', '1', '10', 'EXCEPTION', 'old', NOW())",
	)

	core, logs := observer.New(zap.InfoLevel)
	c := New(Config{DB: NewDBSource(open), ZK: NewZKSource(otter.ConnectString{Servers: []string{z.Addr}}, zap.NewNop()),
		Interval: 50 * time.Millisecond, Timeout: 5 * time.Second, Log: zap.New(core)})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan struct{})
	go func() { c.Run(ctx); close(running) }()
	t.Cleanup(func() { cancel(); <-running })

	eventually(t, "the first round", func() bool { v, _ := series(t, reg, "otter_stats_zookeeper_up"); return v == 1 })
	want(t, reg, 1, "otter_stats_db_up")
	want(t, reg, 1, "otter_channel_info", "channel_id", "2", "channel", "ch-b")
	want(t, reg, 1, "otter_pipeline_info", p10()...)
	want(t, reg, 0.9, "otter_pipeline_delay_seconds", p10()...)
	want(t, reg, dbTime(t, db, "SELECT UNIX_TIMESTAMP(GMT_CREATE) FROM DELAY_STAT WHERE PIPELINE_ID = 10"),
		"otter_pipeline_delay_updated_timestamp_seconds", p10()...)
	want(t, reg, absent, "otter_pipeline_delay_seconds", "channel_id", "2", "channel", "ch-b", "pipeline_id", "11", "pipeline", "p-b")
	want(t, reg, dbTime(t, db, "SELECT UNIX_TIMESTAMP(GMT_MODIFIED) FROM THROUGHPUT_STAT"),
		"otter_pipeline_last_sync_timestamp_seconds", p10("type", "ROW")...)
	want(t, reg, 0, "otter_pipeline_loaded_records_total", p10("type", "ROW")...)
	want(t, reg, 0, "otter_log_records_total", "channel_id", "1", "pipeline_id", "10", "title", "EXCEPTION")
	want(t, reg, 1, "otter_channel_status", "channel_id", "1", "channel", "ch-a", "status", "STOP")
	want(t, reg, 0, "otter_channel_status", "channel_id", "1", "channel", "ch-a", "status", "START")
	want(t, reg, 1, "otter_pipeline_mainstem_status", p10("status", "not_working")...)
	want(t, reg, absent, "otter_pipeline_mainstem_node_id", p10()...)
	want(t, reg, 0, "otter_node_up", "node_id", "1", "node", "node-1", "ip", "10.0.0.1")
	want(t, reg, absent, "otter_pipeline_position_updated_timestamp_seconds", p10()...)

	t.Run("stat rows inserted while it runs", func(t *testing.T) {
		execSQL(t, db,
			"INSERT INTO DELAY_STAT (DELAY_TIME, DELAY_NUMBER, PIPELINE_ID, GMT_CREATE, GMT_MODIFIED) VALUES (2500, 0, 10, NOW(), NOW())",
			`INSERT INTO THROUGHPUT_STAT (TYPE, NUMBER, SIZE, PIPELINE_ID, START_TIME, END_TIME, GMT_CREATE, GMT_MODIFIED) VALUES
			 ('ROW', 100, 2000, 10, NOW(), NOW(), NOW(), NOW()), ('ROW', 5, 70, 10, NOW(), NOW(), NOW(), NOW()),
			 ('FILE', 3, 4096, 11, NOW(), NOW(), NOW(), NOW())`,
			`INSERT INTO LOG_RECORD (NID, CHANNEL_ID, PIPELINE_ID, TITLE, MESSAGE, GMT_CREATE) VALUES
			 ('1', '1', '10', 'EXCEPTION', 'pid:10 nid:1 exception:setl:boom', NOW()),
			 ('1', '1', '10', 'EXCEPTION', 'pid:10 nid:1 exception:canal:x', NOW()),
			 ('-1', '1', '10', 'DELAYTIME', 'pid:10 delay_time:600 seconds', NOW()),
			 (NULL, '-1', '-1', 'EXCEPTION', 'nid:2 is dead', NOW())`)
		eventually(t, "the new rows counted", func() bool {
			v, _ := series(t, reg, "otter_pipeline_loaded_records_total", p10("type", "ROW")...)
			l, _ := series(t, reg, "otter_log_records_total", "channel_id", "-1", "pipeline_id", "-1", "title", "EXCEPTION")
			return v > 0 && l > 0
		})
		c.Round(context.Background()) // one more: nothing is counted twice
		want(t, reg, 105, "otter_pipeline_loaded_records_total", p10("type", "ROW")...)
		want(t, reg, 2070, "otter_pipeline_loaded_bytes_total", p10("type", "ROW")...)
		pb := []string{"channel_id", "2", "channel", "ch-b", "pipeline_id", "11", "pipeline", "p-b", "type", "FILE"}
		want(t, reg, 3, "otter_pipeline_loaded_records_total", pb...)
		want(t, reg, 4096, "otter_pipeline_loaded_bytes_total", pb...)
		want(t, reg, 2.5, "otter_pipeline_delay_seconds", p10()...)
		want(t, reg, dbTime(t, db, "SELECT UNIX_TIMESTAMP(GMT_CREATE) FROM DELAY_STAT WHERE DELAY_TIME = 2500"),
			"otter_pipeline_delay_updated_timestamp_seconds", p10()...)
		want(t, reg, 2, "otter_log_records_total", "channel_id", "1", "pipeline_id", "10", "title", "EXCEPTION")
		want(t, reg, 1, "otter_log_records_total", "channel_id", "1", "pipeline_id", "10", "title", "DELAYTIME")
		want(t, reg, 1, "otter_log_records_total", "channel_id", "-1", "pipeline_id", "-1", "title", "EXCEPTION")
	})

	t.Run("status follows ZooKeeper", func(t *testing.T) {
		acl := zk.WorldACL(zk.PermAll)
		status := func(s string) func() bool {
			return func() bool {
				v, _ := series(t, reg, "otter_channel_status", "channel_id", "1", "channel", "ch-a", "status", s)
				return v == 1
			}
		}
		testkit.CreateParents(t, zc, "/otter/channel/1/10/mainstem")
		if _, err := zc.Set("/otter/channel/1", []byte(`"START"`), -1); err != nil {
			t.Fatal(err)
		}
		eventually(t, "START", status("START"))
		want(t, reg, 0, "otter_channel_status", "channel_id", "1", "channel", "ch-a", "status", "STOP")
		if _, err := zc.Set("/otter/channel/1", []byte(`"PAUSE"`), -1); err != nil {
			t.Fatal(err)
		}
		eventually(t, "PAUSE", status("PAUSE"))
		want(t, reg, 0, "otter_channel_status", "channel_id", "1", "channel", "ch-a", "status", "START")

		mainstem := func(s string) func() bool {
			return func() bool {
				v, _ := series(t, reg, "otter_pipeline_mainstem_status", p10("status", s)...)
				return v == 1
			}
		}
		path := "/otter/channel/1/10/mainstem"
		if _, err := zc.Create(path, []byte(`{"active":true,"nid":1,"pipelineId":10,"status":"TAKEING"}`), zk.FlagEphemeral, acl); err != nil {
			t.Fatal(err)
		}
		eventually(t, "positioning", mainstem("positioning"))
		want(t, reg, absent, "otter_pipeline_mainstem_node_id", p10()...)
		if _, err := zc.Set(path, []byte(`{"active":true,"nid":1,"pipelineId":10,"status":"OVERTAKE"}`), -1); err != nil {
			t.Fatal(err)
		}
		eventually(t, "working", mainstem("working"))
		want(t, reg, 1, "otter_pipeline_mainstem_node_id", p10()...)
		if err := zc.Delete(path, -1); err != nil {
			t.Fatal(err)
		}
		eventually(t, "not working", mainstem("not_working"))

		testkit.CreateParents(t, zc, "/otter/node/1")
		if _, err := zc.Create("/otter/node/1", nil, zk.FlagEphemeral, acl); err != nil {
			t.Fatal(err)
		}
		eventually(t, "node 1 up", func() bool {
			v, _ := series(t, reg, "otter_node_up", "node_id", "1", "node", "node-1", "ip", "10.0.0.1")
			return v == 1
		})
		want(t, reg, 0, "otter_node_up", "node_id", "2", "node", "node-2", "ip", "10.0.0.2")

		cursor := CursorPath("dest-a", 10)
		testkit.CreateParents(t, zc, cursor)
		if _, err := zc.Create(cursor, []byte(`{"@type":"com.alibaba.otter.canal.protocol.position.LogPosition"}`), 0, acl); err != nil {
			t.Fatal(err)
		}
		_, st, err := zc.Exists(cursor)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the cursor's mtime", func() bool {
			v, _ := series(t, reg, "otter_pipeline_position_updated_timestamp_seconds", p10()...)
			return v == float64(st.Mtime)/1000
		})
	})

	t.Run("MariaDB stopped and restarted", func(t *testing.T) {
		before := logs.FilterMessageSnippet("database").Len()
		srv.Halt(t)
		eventually(t, "db_up 0", func() bool { v, _ := series(t, reg, "otter_stats_db_up"); return v == 0 })
		c.Round(context.Background())
		c.Round(context.Background())
		want(t, reg, 0, "otter_stats_db_up")
		want(t, reg, 1, "otter_stats_zookeeper_up")
		for _, f := range []string{"otter_channel_info", "otter_pipeline_info", "otter_pipeline_delay_seconds",
			"otter_pipeline_loaded_records_total", "otter_log_records_total", "otter_channel_status", "otter_node_up"} {
			if n := family(t, reg, f); n != 0 {
				t.Errorf("%d %s series while the database is down", n, f)
			}
		}
		if v, _ := series(t, reg, "otter_stats_errors_total", "source", "db"); v < 2 {
			t.Errorf("otter_stats_errors_total{source=db} = %v after 3 failed rounds", v)
		}
		if n := logs.FilterMessageSnippet("cannot read the manager's database").Len(); n != 1 {
			t.Errorf("%d lines say the database is down, want 1", n)
		}

		srv.Restart(t)
		execSQL(t, db, // the pool reconnects
			"INSERT INTO THROUGHPUT_STAT (TYPE, NUMBER, SIZE, PIPELINE_ID, START_TIME, END_TIME, GMT_CREATE, GMT_MODIFIED) VALUES ('ROW', 7, 11, 10, NOW(), NOW(), NOW(), NOW())")
		eventually(t, "db_up 1", func() bool {
			v, _ := series(t, reg, "otter_pipeline_loaded_records_total", p10("type", "ROW")...)
			return v == 112
		})
		want(t, reg, 1, "otter_stats_db_up")
		want(t, reg, 2081, "otter_pipeline_loaded_bytes_total", p10("type", "ROW")...)
		if n := logs.FilterMessageSnippet("database").Len() - before; n != 2 {
			t.Errorf("%d lines about the database for one outage, want 2 (down, up):\n%v", n, logs.All())
		}
	})

	t.Run("ZooKeeper lost and back", func(t *testing.T) {
		fromZK := []string{"otter_channel_status", "otter_pipeline_mainstem_status", "otter_pipeline_mainstem_node_id",
			"otter_node_up", "otter_pipeline_position_updated_timestamp_seconds"}
		// zkSeries is every series read from ZooKeeper, by name and labels.
		zkSeries := func() map[string]float64 {
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatalf("gather: %v", err)
			}
			out := map[string]float64{}
			for _, mf := range mfs {
				if slices.Contains(fromZK, mf.GetName()) {
					for _, m := range mf.GetMetric() {
						out[mf.GetName()+fmt.Sprint(m.GetLabel())] = m.GetGauge().GetValue()
					}
				}
			}
			return out
		}
		before := zkSeries()
		if len(before) == 0 {
			t.Fatal("no series from ZooKeeper before the outage")
		}
		z.Halt(t)
		eventually(t, "zookeeper_up 0", func() bool { v, _ := series(t, reg, "otter_stats_zookeeper_up"); return v == 0 })
		want(t, reg, 1, "otter_stats_db_up")
		want(t, reg, 1, "otter_pipeline_info", p10()...)
		for _, f := range fromZK {
			if n := family(t, reg, f); n != 0 {
				t.Errorf("%d %s series while ZooKeeper is down", n, f)
			}
		}
		if n := logs.FilterMessageSnippet("cannot read ZooKeeper").Len(); n != 1 {
			t.Errorf("%d lines say ZooKeeper is down, want 1", n)
		}

		// The same server back with its data: the client reconnects by
		// itself and the series return, with one line saying so.
		z.Restart(t)
		eventually(t, "zookeeper_up 1", func() bool { v, _ := series(t, reg, "otter_stats_zookeeper_up"); return v == 1 })
		want(t, reg, 1, "otter_stats_db_up")
		if after := zkSeries(); !maps.Equal(after, before) {
			t.Errorf("series from ZooKeeper after the outage:\n%v\nbefore it:\n%v", after, before)
		}
		if n := logs.FilterMessageSnippet("ZooKeeper answers").Len(); n != 2 {
			t.Errorf("%d lines say ZooKeeper answers, want 2 (first round, after the outage)", n)
		}
	})
	for _, e := range logs.All() {
		if s := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(s, "pw-") {
			t.Errorf("a log line shows the password: %s", s)
		}
	}
}
