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
	"otter-entrypoint/internal/netcheck"
)

// Otter's two tables the entrypoint reads and writes: the ZooKeeper
// clusters the manager knows and the nodes (machines) it knows.
const (
	TableCluster = "AUTOKEEPER_CLUSTER"
	TableNode    = "NODE"
)

// RequiredTables are the tables without which neither the manager nor a
// registering node can work.
var RequiredTables = []string{TableCluster, TableNode}

// DB is a MySQL database named by a JDBC URL and the account to use: where
// the manager's otter.database.driver.* or the node's OTTER_REGISTER_*
// settings point. Setting names say which settings these are, so that
// errors can tell the user what to change.
type DB struct {
	JDBC     JDBC
	User     string
	Password string // never printed
	Settings string // e.g. "otter.database.driver.url/.username/.password"
	Log      *zap.Logger
}

// attemptTimeout bounds one connection attempt (dial, login, first query).
const attemptTimeout = waitAttempt

// Open connects to the first host of the URL that answers and logs in,
// and returns a pool of up to 4 connections; the caller closes it. Its
// error says in words what went wrong (see reason).
func (d DB) Open(ctx context.Context) (*sql.DB, error) {
	var errs []string
	for i, host := range d.JDBC.Hosts {
		cfg := d.JDBC.Config(i, d.User, d.Password, attemptTimeout)
		cfg.Logger = driverLog{d.log()}
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, exit.ConfigError(fmt.Sprintf("%s: the driver rejects the settings for %s: %v", d.Settings, host, err))
		}
		db := sql.OpenDB(connector)
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err = db.PingContext(actx)
		cancel()
		if err == nil {
			db.SetMaxOpenConns(4)
			db.SetConnMaxIdleTime(time.Minute)
			return db, nil
		}
		db.Close()
		r := d.reason(err)
		if len(d.JDBC.Hosts) == 1 {
			return nil, r
		}
		errs = append(errs, host+": "+r.Error())
		var le *loginError
		if errors.As(r, &le) {
			return nil, r // the server answered; the next one would say the same
		}
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

func (d DB) log() *zap.Logger {
	if d.Log == nil {
		return zap.NewNop()
	}
	return d.Log
}

// loginError is an answer of the server that refuses this account or
// database: retrying may help (the account or database may be created
// meanwhile), but it is not a network problem.
type loginError struct{ msg string }

func (e *loginError) Error() string { return e.msg }

// reason turns a connection error into words: unreachable, login refused,
// database missing. The password never appears (the server's message says
// only "using password: YES").
func (d DB) reason(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045: // ER_ACCESS_DENIED_ERROR
			return &loginError{fmt.Sprintf("login refused for user %q (%s); check %s", d.User, me.Message, d.Settings)}
		case 1044: // ER_DBACCESS_DENIED_ERROR
			return &loginError{fmt.Sprintf("login refused: user %q may not use database %q, or it does not exist (%s); create it or grant the user access", d.User, d.JDBC.Database, me.Message)}
		case 1049: // ER_BAD_DB_ERROR
			return &loginError{fmt.Sprintf("database %q missing on the server; create it (CREATE DATABASE `%s` DEFAULT CHARACTER SET utf8) or fix the URL in %s",
				d.JDBC.Database, d.JDBC.Database, d.Settings)}
		}
		return &loginError{fmt.Sprintf("the server refused: %s", me.Error())}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("unreachable: no answer within %s", attemptTimeout)
	}
	return fmt.Errorf("unreachable: %v", netcheck.ShortNetError(err))
}

// tables returns which of Otter's tables (want) the URL's database holds,
// matched case-insensitively as MySQL does where lower_case_table_names is
// set, and keyed by the name in want.
func tables(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, want []string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		for _, w := range want {
			if strings.EqualFold(name, w) {
				have[w] = true
			}
		}
	}
	return have, rows.Err()
}

// missing lists the names of want that have lacks.
func missing(want []string, have map[string]bool) []string { return pick(want, have, false) }

// present lists the names of want that have holds.
func present(want []string, have map[string]bool) []string { return pick(want, have, true) }

// pick lists, in want's order, the names whose have is in.
func pick(want []string, have map[string]bool, in bool) []string {
	var out []string
	for _, w := range want {
		if have[w] == in {
			out = append(out, w)
		}
	}
	return out
}

// driverLog sends go-sql-driver's own messages (dropped connections and
// the like; never credentials) to the entrypoint's log at debug level
// instead of the standard logger.
type driverLog struct{ log *zap.Logger }

func (l driverLog) Print(v ...any) {
	l.log.Debug("mysql driver", zap.String("message", fmt.Sprint(v...)))
}

// retry calls try until it succeeds, returns a configuration error (78),
// ctx ends or timeout passes, waiting between attempts as WaitForChecks does.
// At the timeout it returns an unavailable error (69) that says what was
// being done and the last reason.
func retry(ctx context.Context, what, setting string, timeout time.Duration, log *zap.Logger, try func(ctx context.Context) error) error {
	deadline := time.Now().Add(timeout)
	var b backoff
	var lastLog time.Time
	for {
		err := try(ctx)
		if err == nil || exit.Code(err) == exit.Config || ctx.Err() != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if time.Now().After(deadline) {
			return exit.UnavailableError(fmt.Sprintf("%s: still failing after %s=%s: %v; check that it runs and is reachable from this container, or raise %s",
				what, setting, timeout, err, setting))
		}
		if t := time.Now(); lastLog.IsZero() || t.Sub(lastLog) >= waitLogEvery {
			lastLog = t
			log.Info("retrying", zap.String("step", what), zap.String("reason", err.Error()), zap.Duration("timeout", timeout))
		}
		if err := b.sleep(ctx, time.Until(deadline)+time.Millisecond); err != nil {
			return err
		}
	}
}
