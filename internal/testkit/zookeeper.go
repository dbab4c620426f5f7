package testkit

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// ZooKeeper is a standalone ZooKeeper server a test started on 127.0.0.1,
// from Debian's zookeeper packages, in a temporary directory.
type ZooKeeper struct {
	Addr string // 127.0.0.1:port
	Proc *Proc

	java, dir, cfgFile string // for Restart
}

// Debian's ZooKeeper: zookeeper.jar's manifest names its dependencies in
// /usr/share/java; slf4j-simple makes the server log to its output (kept
// in Proc.Out for failure messages).
const (
	zkJar       = "/usr/share/java/zookeeper.jar"
	slf4jSimple = "/usr/share/java/slf4j-simple.jar"
)

// ZooKeeper's session bounds in the tests' servers: a tick of 200 ms so
// that session expiry tests are quick, sessions from 400 ms to 60 s.
const (
	zkTickTime          = 200 * time.Millisecond
	zkMinSessionTimeout = 400 * time.Millisecond
	zkMaxSessionTimeout = 60 * time.Second
)

// StartZooKeeper starts a ZooKeeper server (not the system service) on a
// free port of 127.0.0.1 with its data in a temporary directory, waits
// until a client session can be established, and stops it at the test's
// cleanup. Without Debian's zookeeper it is a MissingTool.
func StartZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	if _, err := os.Stat(zkJar); err != nil {
		MissingTool(t, "ZooKeeper is missing: no %s (apt-get install zookeeper libzookeeper-java)", zkJar)
	}
	java := AnyJDK(t).Java()
	dir := t.TempDir()
	port := FreePorts(t, 1)[0]
	cfg := fmt.Sprintf(`tickTime=%d
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
minSessionTimeout=%d
maxSessionTimeout=%d
admin.enableServer=false
4lw.commands.whitelist=
`, zkTickTime.Milliseconds(), filepath.Join(dir, "data"), port, zkMinSessionTimeout.Milliseconds(), zkMaxSessionTimeout.Milliseconds())
	cfgFile := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	z := &ZooKeeper{Addr: "127.0.0.1:" + strconv.Itoa(port), java: java, dir: dir, cfgFile: cfgFile}
	z.run(t)
	return z
}

// run starts the server and waits until it serves: a port that merely
// accepts connections is not a ZooKeeper that serves yet.
func (z *ZooKeeper) run(t testing.TB) {
	t.Helper()
	cp := zkJar
	if _, err := os.Stat(slf4jSimple); err == nil {
		cp += ":" + slf4jSimple
	}
	cmd := exec.Command(z.java, "-Xmx128m", "-XX:+UseSerialGC", "-Dzookeeper.jmx.log4j.disable=true",
		"-cp", cp, "org.apache.zookeeper.server.ZooKeeperServerMain", z.cfgFile)
	cmd.Dir = z.dir
	z.Proc = StartProc(t, cmd)
	var last error
	Eventually(t, "a session with ZooKeeper on "+z.Addr, 60*time.Second, func() bool {
		z.Proc.FailIfExited(t)
		c, err := connectZK(z.Addr, 4*time.Second, 2*time.Second, net.DialTimeout)
		if err != nil {
			last = err
			return false
		}
		c.Close()
		return true
	}, func() []byte {
		return []byte(fmt.Sprintf("last error: %v; ZooKeeper's output:\n%s", last, Short(z.Proc.Out.String())))
	})
}

// Halt stops the server as an outage would (KILL: clients' connections
// are cut, nothing is shut down in order), keeping its data for Restart.
func (z *ZooKeeper) Halt(t testing.TB) {
	t.Helper()
	if err := z.Proc.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	z.Proc.Wait(t, 20*time.Second)
}

// Restart starts a halted server again, with its data, on the same port.
func (z *ZooKeeper) Restart(t testing.TB) {
	t.Helper()
	z.run(t)
}

// connectZK establishes a session with addr requesting sessionTimeout,
// within wait, dialling with dial; the client logs nowhere.
func connectZK(addr string, sessionTimeout, wait time.Duration, dial zk.Dialer) (*zk.Conn, error) {
	c, events, err := zk.Connect([]string{addr}, sessionTimeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false), zk.WithDialer(dial))
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c, nil
			}
		case <-timer.C:
			c.Close()
			return nil, fmt.Errorf("no session with %s within %v", addr, wait)
		}
	}
}

// Client is a session with the server for the test (closed at cleanup),
// requesting sessionTimeout.
func (z *ZooKeeper) Client(t testing.TB, sessionTimeout time.Duration) *zk.Conn {
	t.Helper()
	return z.session(t, sessionTimeout, net.DialTimeout)
}

// session is a session with the server, dialled with dial, closed at the
// test's cleanup.
func (z *ZooKeeper) session(t testing.TB, sessionTimeout time.Duration, dial zk.Dialer) *zk.Conn {
	t.Helper()
	c, err := connectZK(z.Addr, sessionTimeout, 20*time.Second, dial)
	if err != nil {
		t.Fatalf("%v; ZooKeeper's output:\n%s", err, Short(z.Proc.Out.String()))
	}
	t.Cleanup(c.Close)
	return c
}

// CreateParents creates path's missing parents as persistent nodes.
func CreateParents(t testing.TB, c *zk.Conn, path string) {
	t.Helper()
	for i := 1; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		if _, err := c.Create(path[:i], nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			t.Fatalf("create %s: %v", path[:i], err)
		}
	}
}

// CrashableClient is a session with the server whose connection crash
// cuts without ending the session, as a killed JVM leaves it: the server
// keeps the session (and its ephemeral nodes) until its timeout, and the
// client never reconnects.
func (z *ZooKeeper) CrashableClient(t testing.TB, sessionTimeout time.Duration) (c *zk.Conn, crash func()) {
	t.Helper()
	var (
		mu      sync.Mutex
		conns   []net.Conn
		crashed bool
	)
	dial := func(network, address string, timeout time.Duration) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		if crashed {
			return nil, errors.New("crashed")
		}
		nc, err := net.DialTimeout(network, address, timeout)
		if err == nil {
			conns = append(conns, nc)
		}
		return nc, err
	}
	return z.session(t, sessionTimeout, dial), func() {
		mu.Lock()
		defer mu.Unlock()
		crashed = true
		for _, nc := range conns {
			nc.Close()
		}
	}
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
