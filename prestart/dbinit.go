package prestart

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
)

// DBInitSettings are the manager's settings for preparing its database.
type DBInitSettings struct {
	Init   string `env:"OTTER_DB_INIT" envDefault:"off"`
	Schema string `env:"OTTER_DB_INIT_SCHEMA"`
}

// Validate reports every invalid setting.
func (s *DBInitSettings) Validate() []string {
	var p []string
	if _, err := parseOnOff(s.Init); err != nil {
		p = append(p, fmt.Sprintf("OTTER_DB_INIT=%q (environment): %v", s.Init, err))
	}
	if s.Schema != "" && !strings.HasPrefix(s.Schema, "/") {
		p = append(p, fmt.Sprintf("OTTER_DB_INIT_SCHEMA=%q (environment): must be an absolute path to a schema file", s.Schema))
	}
	return p
}

// On reports whether OTTER_DB_INIT is on.
func (s DBInitSettings) On() bool {
	on, _ := parseOnOff(s.Init)
	return on
}

// parseOnOff reads an on/off switch (true/false are taken too).
func parseOnOff(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true":
		return true, nil
	case "off", "false", "":
		return false, nil
	}
	return false, errors.New("accepted values are on and off")
}

// DBInit prepares the manager's database before the manager starts, once
// even when several managers start together: under a MySQL named lock it
// creates Otter's tables from Schema when the database has none of them,
// refuses (78) when it has only some, and adds the ZooKeeper cluster the
// manager uses when AUTOKEEPER_CLUSTER is empty. Run again, it changes
// nothing.
type DBInit struct {
	DB        DB
	Schema    Schema
	ZooKeeper []string      // otter.zookeeper.cluster.default as host:port entries
	Timeout   time.Duration // how long to retry connecting and to wait for the lock
	Log       *zap.Logger
}

// Cluster the manager itself uses, as the manager's UI would store it.
const (
	DefaultClusterID   = 1
	DefaultClusterName = "default"
)

// lockName is the named lock for preparing database db: one per database
// on the server.
func lockName(db string) string { return namedLockName("dbinit", db) }

// Run does the work; see DBInit.
func (d DBInit) Run(ctx context.Context) error {
	log := d.Log
	if log == nil {
		log = zap.NewNop()
	}
	deadline := time.Now().Add(d.Timeout)
	var db *sql.DB
	err := retry(ctx, "connect to "+d.DB.JDBC.String()+" to prepare Otter's tables", "ENTRYPOINT_WAIT_TIMEOUT", d.Timeout, log,
		func(ctx context.Context) error {
			var err error
			db, err = d.DB.Open(ctx)
			return err
		})
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return d.unavailable("open a session", err)
	}
	defer conn.Close()

	unlock, err := d.lock(ctx, conn, deadline, log)
	if err != nil {
		return err
	}
	defer unlock()

	have, err := tables(ctx, conn, d.Schema.Tables)
	if err != nil {
		return d.unavailable("list the database's tables", err)
	}
	switch m := missing(d.Schema.Tables, have); {
	case len(m) == len(d.Schema.Tables):
		if err := d.createTables(ctx, conn, log); err != nil {
			return err
		}
	case len(m) > 0:
		return exit.ConfigError(fmt.Sprintf("OTTER_DB_INIT=on: database %s holds some of Otter's tables (%s) but not all (missing: %s); "+
			"the entrypoint touches nothing in a partly loaded database: finish loading %s by hand, or drop those tables, then start again",
			d.DB.JDBC.String(), strings.Join(present(d.Schema.Tables, have), ", "), strings.Join(m, ", "), d.Schema.Source))
	default:
		log.Info("Otter's tables are there; nothing to create", zap.String("database", d.DB.JDBC.String()))
	}
	return d.addCluster(ctx, conn, log)
}

// lock takes the named lock on conn's session, waiting for another
// manager that holds it until deadline; unlock releases it.
func (d DBInit) lock(ctx context.Context, conn *sql.Conn, deadline time.Time, log *zap.Logger) (unlock func(), err error) {
	name := lockName(d.DB.JDBC.Database)
	unlock, held, err := takeNamedLock(ctx, conn, name, deadline, func() {
		log.Info("another manager is preparing the database; waiting for it", zap.String("lock", name))
	})
	switch {
	case err != nil:
		return nil, d.unavailable("take the named lock "+name, err)
	case !held:
		return nil, exit.UnavailableError(fmt.Sprintf("OTTER_DB_INIT=on: another session held the named lock %s on %s for longer than ENTRYPOINT_WAIT_TIMEOUT=%s; "+
			"another manager may be stuck preparing the database (SELECT IS_USED_LOCK('%s') names its connection)", name, d.DB.JDBC.String(), d.Timeout, name))
	}
	return unlock, nil
}

// createTables runs the schema's statements one by one on conn.
func (d DBInit) createTables(ctx context.Context, conn *sql.Conn, log *zap.Logger) error {
	log.Info("creating Otter's tables", zap.String("database", d.DB.JDBC.String()), zap.String("schema", d.Schema.Source),
		zap.Int("statements", len(d.Schema.Statements)))
	for i, st := range d.Schema.Statements {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			have, _ := tables(context.Background(), conn, d.Schema.Tables)
			created := present(d.Schema.Tables, have)
			left := "none of its tables were created"
			if len(created) > 0 {
				left = "the database now holds " + strings.Join(created, ", ") + ": drop them (or finish by hand) before starting again"
			}
			var me *mysql.MySQLError
			msg := fmt.Sprintf("OTTER_DB_INIT=on: statement %d of %s failed: %v (%s); %s", i+1, d.Schema.Source, d.DB.reason(err), firstLine(st), left)
			if errors.As(err, &me) {
				return exit.ConfigError(msg + "; if the schema does not suit this server, set OTTER_DB_INIT_SCHEMA to one that does")
			}
			return exit.UnavailableError(msg)
		}
	}
	log.Info("Otter's tables created", zap.Strings("tables", d.Schema.Tables))
	return nil
}

// addCluster adds the manager's own ZooKeeper cluster when
// AUTOKEEPER_CLUSTER is empty, as the UI stores one: SERVER_LIST is a JSON
// array of host:port strings.
func (d DBInit) addCluster(ctx context.Context, conn *sql.Conn, log *zap.Logger) error {
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+TableCluster).Scan(&n); err != nil {
		return d.unavailable("count the rows of "+TableCluster, err)
	}
	if n > 0 {
		return nil
	}
	list, err := ServerListJSON(d.ZooKeeper)
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "INSERT INTO "+TableCluster+" (ID, CLUSTER_NAME, SERVER_LIST, DESCRIPTION, GMT_CREATE, GMT_MODIFIED) VALUES (?, ?, ?, NULL, NOW(), NOW())",
		DefaultClusterID, DefaultClusterName, list)
	if err != nil {
		return d.unavailable("add the ZooKeeper cluster to "+TableCluster, err)
	}
	log.Info("added the manager's ZooKeeper cluster", zap.Int("id", DefaultClusterID), zap.String("name", DefaultClusterName), zap.String("servers", list))
	return nil
}

// ServerListJSON is AUTOKEEPER_CLUSTER.SERVER_LIST for servers: a JSON
// array of strings, no HTML escaping (as fastjson writes it).
func ServerListJSON(servers []string) (string, error) {
	if len(servers) == 0 {
		return "", exit.ConfigError("OTTER_DB_INIT=on needs otter.zookeeper.cluster.default to add the manager's ZooKeeper cluster; set it (OTTER_ZOOKEEPER_CLUSTER_DEFAULT)")
	}
	return fastJSON(servers)
}

// ZooKeeperServers splits otter.zookeeper.cluster.default (host:port
// separated by , or ;) into SERVER_LIST entries.
func ZooKeeperServers(value string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ';' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (d DBInit) unavailable(what string, err error) error {
	return exit.UnavailableError(fmt.Sprintf("OTTER_DB_INIT=on: cannot %s on %s: %v", what, d.DB.JDBC.String(), d.DB.reason(err)))
}

func firstLine(st string) string {
	line, _, _ := strings.Cut(st, "\n")
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	return line
}
