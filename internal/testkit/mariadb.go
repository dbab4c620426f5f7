package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDB is a MariaDB server a test binary started for itself: Debian's
// mariadb-server run from a temporary directory on 127.0.0.1 (never the
// system service), with grants enforced, so that logins are tested for
// real. Tests share one server per test binary (SharedMariaDB) and each
// makes its own database (NewDatabase) and users (NewUser).
type MariaDB struct {
	Host string // 127.0.0.1
	Port int
	dir  string // datadir, socket, logs
	bin  string // mariadbd, to start it again (Restart)
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's result once done is closed
	root *sql.DB
}

// mariadbStartTimeout bounds how long the server may take to answer.
const mariadbStartTimeout = 90 * time.Second

var shared struct {
	once sync.Once
	srv  *MariaDB
	err  error
}

// SharedMariaDB returns this test binary's MariaDB server, starting it on
// first use. It lives until StopSharedMariaDB (call it from TestMain after
// m.Run) or, at the latest, until the test binary exits: the server gets
// SIGKILL when its parent dies, and a later start removes the directories
// such servers left behind. Without Debian's mariadb-server the test fails
// under CI and is skipped loudly elsewhere (MissingTool).
func SharedMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	bins := needMariaDB(t)
	shared.once.Do(func() { shared.srv, shared.err = startMariaDB(bins) })
	if shared.err != nil {
		t.Fatalf("starting MariaDB: %v", shared.err)
	}
	return shared.srv
}

// StopSharedMariaDB stops the shared server, if one was started, and
// removes its directory.
func StopSharedMariaDB() {
	if shared.srv != nil {
		shared.srv.Stop()
	}
}

type mariadbBins struct{ installDB, server string }

// needMariaDB returns the MariaDB binaries, or ends the test (MissingTool).
func needMariaDB(t testing.TB) mariadbBins {
	t.Helper()
	bins, missing := mariadbBinaries()
	if missing != "" {
		MissingTool(t, "%s (apt-get install mariadb-server; the tests start their own server, not the system service)", missing)
	}
	return bins
}

// mariadbBinaries finds mariadb-install-db (or mysql_install_db) and
// mariadbd (or mysqld); missing names what is not there.
func mariadbBinaries() (b mariadbBins, missing string) {
	find := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
			for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
				if p := filepath.Join(dir, n); isExecutable(p) {
					return p
				}
			}
		}
		return ""
	}
	b.installDB = find("mariadb-install-db", "mysql_install_db")
	b.server = find("mariadbd", "mysqld")
	switch {
	case b.installDB == "":
		return b, "mariadb-install-db is missing"
	case b.server == "":
		return b, "mariadbd is missing"
	}
	return b, ""
}

// dirPrefix names the servers' temporary directories; the pid of the test
// binary that owns one follows it.
const dirPrefix = "otter-entrypoint-mariadb-"

// removeOrphanDirs removes the directories of servers whose test binary is
// gone (the binary exited without StopSharedMariaDB).
func removeOrphanDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, m := range matches {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(m), dirPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(m)
		}
	}
}

func startMariaDB(bins mariadbBins) (*MariaDB, error) {
	removeOrphanDirs()
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=8M"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	install := exec.Command(bins.installDB, args...)
	if out, err := install.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%s: %v\n%s", bins.installDB, err, Short(string(out)))
	}
	// A port that is free now may be taken before the server binds it:
	// try a few.
	var lastErr error
	for range 3 {
		srv, err := runMariaDB(bins.server, dir, data, 0)
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// runMariaDB runs the server of dir on port (0: a free one). When it fails
// it stops the server but leaves dir to its caller, which may try again.
func runMariaDB(server, dir, data string, port int) (*MariaDB, error) {
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	socket := socketPath(dir)
	errLog := filepath.Join(dir, "error.log")
	os.Remove(errLog)
	args := []string{"--no-defaults", "--datadir=" + data, "--socket=" + socket,
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--log-error=" + errLog, "--tmpdir=" + dir,
		"--skip-log-bin", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M", "--innodb-flush-log-at-trx-commit=2",
		"--max-connections=500"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(server, args...)
	// Killed with its test binary, even when nobody calls Stop. Pdeathsig
	// follows the thread that started the child, not the process: the
	// start runs on a thread of its own that is kept for as long as the
	// test binary lives (a thread another goroutine locked and left, as
	// the netns dialer of the Docker tests does, would end and kill the
	// server).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread lives on, idle
		started <- cmd.Start()
		select {}
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	srv := &MariaDB{Host: "127.0.0.1", Port: port, dir: dir, bin: server, cmd: cmd, done: make(chan struct{})}
	go func() { srv.err = cmd.Wait(); close(srv.done) }()

	cfg := rootConfig(dir, "")
	cfg.Timeout = 2 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		srv.halt()
		return nil, err
	}
	srv.root = sql.OpenDB(connector)
	deadline := time.Now().Add(mariadbStartTimeout)
	for {
		select {
		case <-srv.done:
			log, _ := os.ReadFile(errLog)
			return nil, fmt.Errorf("mariadbd exited at start (%v); %s:\n%s", srv.err, errLog, Short(string(log)))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := srv.root.PingContext(ctx)
		cancel()
		if err == nil && srv.answersTCP() {
			return srv, nil
		}
		if time.Now().After(deadline) {
			srv.halt()
			log, _ := os.ReadFile(errLog)
			return nil, fmt.Errorf("mariadbd did not answer within %v (%v); %s:\n%s", mariadbStartTimeout, err, errLog, Short(string(log)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// socketPath is the unix socket of the server whose directory is dir.
func socketPath(dir string) string { return filepath.Join(dir, "mysqld.sock") }

// rootConfig logs in as root over the socket of dir's server, to database
// db ("" for none).
func rootConfig(dir, db string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "unix", socketPath(dir), db
	return cfg
}

func (m *MariaDB) answersTCP() bool {
	c, err := net.DialTimeout("tcp", m.Addr(), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Stop stops the server (TERM, then KILL after 20 s) and removes its
// directory.
func (m *MariaDB) Stop() {
	m.halt()
	os.RemoveAll(m.dir)
}

func (m *MariaDB) halt() {
	if m.root != nil {
		m.root.Close()
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

// StartMariaDB starts a MariaDB server of the test's own, stopped and
// removed at its cleanup: for a test that stops and restarts the server
// (Halt, Restart), which the shared one must never be.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	bins := needMariaDB(t)
	srv, err := startMariaDB(bins)
	if err != nil {
		t.Fatalf("starting MariaDB: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}

// Halt stops the server as an outage would (clients' connections are
// cut), keeping its data for Restart. Root is unusable until then.
func (m *MariaDB) Halt(t testing.TB) {
	t.Helper()
	if m == shared.srv {
		t.Fatal("Halt on the shared MariaDB; use StartMariaDB")
	}
	m.halt()
}

// Restart starts a halted server again, with its data, on the same port.
func (m *MariaDB) Restart(t testing.TB) {
	t.Helper()
	srv, err := runMariaDB(m.bin, m.dir, filepath.Join(m.dir, "data"), m.Port)
	if err != nil {
		t.Fatalf("restarting MariaDB: %v", err)
	}
	*m = *srv
}

// Addr is the server's host:port.
func (m *MariaDB) Addr() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.Port)) }

// Root is a connection pool to the server as root (over its socket), for
// setting up and inspecting tests.
func (m *MariaDB) Root() *sql.DB { return m.root }

// Exec runs statements as root, failing the test on an error.
func (m *MariaDB) Exec(t testing.TB, statements ...string) {
	t.Helper()
	for _, s := range statements {
		if _, err := m.root.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// DB is a connection pool to database db as root, closed at the test's
// cleanup.
func (m *MariaDB) DB(t testing.TB, db string) *sql.DB {
	t.Helper()
	connector, err := mysql.NewConnector(rootConfig(m.dir, db))
	if err != nil {
		t.Fatal(err)
	}
	pool := sql.OpenDB(connector)
	t.Cleanup(func() { pool.Close() })
	return pool
}

// NewDatabase creates an empty database for the test (dropped at its
// cleanup) and returns its name.
func (m *MariaDB) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "t_" + randomHex(t, 6)
	m.Exec(t, "CREATE DATABASE `"+name+"` DEFAULT CHARACTER SET utf8 COLLATE utf8_bin")
	t.Cleanup(func() { _, _ = m.root.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
	return name
}

// NewUser creates a user who logs in from anywhere with a random password
// (dropped at the test's cleanup), runs each grant with the user's name in
// place of %s (for example "GRANT SELECT ON db.NODE TO %s"), and returns
// the name and the password.
func (m *MariaDB) NewUser(t testing.TB, grants ...string) (user, password string) {
	t.Helper()
	user = "u_" + randomHex(t, 5)
	password = "pw-" + randomHex(t, 8) + "!'\"#;"
	quoted := "'" + user + "'@'%'"
	m.Exec(t, "CREATE USER "+quoted+" IDENTIFIED BY '"+strings.ReplaceAll(strings.ReplaceAll(password, `\`, `\\`), "'", `\'`)+"'")
	t.Cleanup(func() { _, _ = m.root.Exec("DROP USER IF EXISTS " + quoted) })
	for _, g := range grants {
		m.Exec(t, fmt.Sprintf(g, quoted))
	}
	return user, password
}

// JDBCURL is a MySQL JDBC URL of database db on this server, as Otter's
// otter.database.driver.url names one.
func (m *MariaDB) JDBCURL(db string) string {
	return "jdbc:mysql://" + m.Addr() + "/" + db + "?useUnicode=true&characterEncoding=UTF-8"
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
