// Package otterzk is what the entrypoint does with Otter's ZooKeeper: parse
// a connect string the way Otter's ZooKeeper client reads it, establish a
// session (the manager's dependency wait), and give a node a clean rejoin
// after a crash (Rejoin: the stale ephemeral /otter/node/{nid} that makes
// Otter 4.2.18 fail with Node_init).
//
// The client is github.com/go-zookeeper/zk; its log goes to the entrypoint's
// zap logger at debug level, never to stdout.
package otterzk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"otter-entrypoint/internal/netcheck"
)

// DefaultPort is ZooKeeper's client port, used for a server given without one.
const DefaultPort = "2181"

// ConnectString is a parsed ZooKeeper connect string.
type ConnectString struct {
	Servers []string // host:port, IPv6 hosts in brackets
	Chroot  string   // "" or a path such as /otter-prod, prefixed to every path
}

// String is the connect string in ZooKeeper's own form.
func (c ConnectString) String() string { return strings.Join(c.Servers, ",") + c.Chroot }

// Path is p under the chroot.
func (c ConnectString) Path(p string) string { return c.Chroot + p }

// ParseConnectString parses a connect string as Otter's ZooKeeper client
// takes it (otter.zookeeper.cluster.default, a cluster's SERVER_LIST joined
// with ","): host:port separated by "," (";" is accepted too), an optional
// chroot starting at the first "/" ("zk-0:2181,zk-1:2181/otter"); a server
// without a port gets 2181, as ZooKeeper's own parser does.
func ParseConnectString(s string) (ConnectString, error) {
	var c ConnectString
	s = strings.TrimSpace(s)
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, c.Chroot = s[:i], s[i:]
		if c.Chroot == "/" {
			c.Chroot = ""
		}
		if err := validChroot(c.Chroot); err != nil {
			return ConnectString{}, fmt.Errorf("%q: chroot %q: %v", s, c.Chroot, err)
		}
	}
	for _, item := range strings.FieldsFunc(hosts, func(r rune) bool { return r == ',' || r == ';' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(item); err != nil {
			// No port: ZooKeeper's default. An IPv6 address must be in
			// brackets either way.
			if strings.Count(item, ":") > 1 && !strings.HasPrefix(item, "[") {
				return ConnectString{}, fmt.Errorf("%q: IPv6 server %q must be in brackets, e.g. [%s]:2181", s, item, item)
			}
			item = net.JoinHostPort(strings.Trim(item, "[]"), DefaultPort)
		}
		hp, err := netcheck.ParseHostPort(item)
		if err != nil {
			return ConnectString{}, fmt.Errorf("%q: %v", s, err)
		}
		c.Servers = append(c.Servers, hp)
	}
	if len(c.Servers) == 0 {
		return ConnectString{}, fmt.Errorf("%q names no ZooKeeper server", s)
	}
	return c, nil
}

// validChroot checks a chroot the way ZooKeeper checks a path.
func validChroot(p string) error {
	if p == "" {
		return nil
	}
	if strings.HasSuffix(p, "/") {
		return errors.New("must not end with /")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch {
		case seg == "":
			return errors.New("empty path segment")
		case seg == "." || seg == "..":
			return errors.New("relative path segment")
		}
		for _, r := range seg {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff) || r == utf8.RuneError {
				return fmt.Errorf("character %U not allowed", r)
			}
		}
	}
	return nil
}

// zapLogger routes the client's log to zap at debug level.
type zapLogger struct{ log *zap.Logger }

func (l zapLogger) Printf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }

// dialRecorder dials like the client does and keeps the last outcome, so
// that a failed wait can say why in words.
type dialRecorder struct {
	mu        sync.Mutex
	lastErr   error
	connected string   // a server a TCP connection opened to
	current   net.Conn // the last connection opened (the client uses one at a time)
}

func (d *dialRecorder) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.lastErr = fmt.Errorf("connect %s: %w", address, netcheck.ShortNetError(err))
	} else {
		d.connected = address
		d.current = c
	}
	return c, err
}

// closeCurrent closes the client's connection: a client stuck reading a
// server that does not answer stops at once.
func (d *dialRecorder) closeCurrent() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.current != nil {
		d.current.Close()
		d.current = nil
	}
}

func (d *dialRecorder) reason() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.connected != "":
		return "a TCP connection to " + d.connected + " opened, but no session was established (not a ZooKeeper server, or one whose ensemble has no quorum)"
	case d.lastErr != nil:
		return d.lastErr.Error()
	}
	return "no connection attempt finished"
}

// Session is a client connection with an established session. Close it
// when done: Close returns once the client's goroutines have ended, so
// nothing is logged afterwards.
type Session struct {
	*zk.Conn
	events <-chan zk.Event
	dials  *dialRecorder
}

// Close ends the session and waits (up to 5 s) for the client to stop.
func (s *Session) Close() {
	s.Conn.Close()
	s.dials.closeCurrent()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-t.C:
			return
		}
	}
}

// Connect establishes a session with the servers of c, requesting
// sessionTimeout, and returns once the session exists. When ctx ends
// first, it returns an error saying what went wrong, in words (connection
// refused, name not resolved, connected but no session). The client keeps
// reconnecting by itself afterwards.
func Connect(ctx context.Context, c ConnectString, sessionTimeout time.Duration, log *zap.Logger) (*Session, error) {
	d := &dialRecorder{}
	conn, events, err := zk.Connect(c.Servers, sessionTimeout,
		zk.WithLogger(zapLogger{log.Named("zookeeper")}), zk.WithLogInfo(false), zk.WithDialer(d.dial))
	if err != nil {
		// The client resolves every name at once and gives up on the first failure.
		return nil, fmt.Errorf("no ZooKeeper session with %s: %s", c, netcheck.ShortNetError(err))
	}
	s := &Session{Conn: conn, events: events, dials: d}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, fmt.Errorf("no ZooKeeper session with %s: the client closed", c)
			}
			if ev.State == zk.StateHasSession {
				return s, nil
			}
		case <-ctx.Done():
			s.Close()
			return nil, fmt.Errorf("no ZooKeeper session with %s: %s", c, d.reason())
		}
	}
}

// SessionID formats a session id as ZooKeeper's own tools print it.
func SessionID(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }
