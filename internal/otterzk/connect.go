// Package otterzk is what the entrypoint does with Otter's ZooKeeper:
// establish a session (the manager's dependency wait), and give a node a
// clean rejoin after a crash (Rejoin: the stale ephemeral /otter/node/{nid} that makes
// Otter 4.2.18 fail with Node_init).
//
// The client is github.com/go-zookeeper/zk; its log goes to the entrypoint's
// zap logger at debug level, never to stdout.
package otterzk

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"otter-entrypoint/internal/netcheck"
	"otter-entrypoint/internal/otter"
)

// zapLogger routes the client's log to zap at debug level.
type zapLogger struct{ log *zap.Logger }

func (l zapLogger) Printf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }

// dialRecorder dials like the client does and keeps the last outcome, so
// that a failed wait can say why in words.
type dialRecorder struct {
	mu        sync.Mutex
	lastErr   error
	connected string        // a server a TCP connection opened to
	current   net.Conn      // the last connection opened (the client uses one at a time)
	closed    bool          // the session is being closed: no new connection
	failed    chan struct{} // one value per failed dial, when the caller counts them
}

func (d *dialRecorder) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, net.ErrClosed
	}
	c, err := net.DialTimeout(network, address, timeout)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed && err == nil {
		c.Close()
		return nil, net.ErrClosed
	}
	if err != nil {
		d.lastErr = fmt.Errorf("connect %s: %w", address, netcheck.ShortNetError(err))
		if d.failed != nil {
			select {
			case d.failed <- struct{}{}:
			default:
			}
		}
	} else {
		d.connected = address
		d.current = c
	}
	return c, err
}

// closeCurrent closes the client's connection and refuses new ones: a
// client stuck reading a server that does not answer stops at once.
func (d *dialRecorder) closeCurrent() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
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
	s.Conn.Close() // asks the server to end the session, waiting up to 1 s for the answer
	s.dials.closeCurrent()
	s.wait()
}

// abort stops a client that has no session: nothing to ask the server, so
// its connection is cut at once.
func (s *Session) abort() {
	go s.Conn.Close()
	s.dials.closeCurrent()
	s.wait()
}

// wait waits (up to 5 s) for the client's goroutines to end.
func (s *Session) wait() {
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
func Connect(ctx context.Context, c otter.ConnectString, sessionTimeout time.Duration, log *zap.Logger) (*Session, error) {
	return connect(ctx, c, sessionTimeout, log, false)
}

// TryConnect is Connect giving up as soon as a connection to each server
// has failed once: one try of a dependency wait, which says why at once.
func TryConnect(ctx context.Context, c otter.ConnectString, sessionTimeout time.Duration, log *zap.Logger) (*Session, error) {
	return connect(ctx, c, sessionTimeout, log, true)
}

func connect(ctx context.Context, c otter.ConnectString, sessionTimeout time.Duration, log *zap.Logger, once bool) (*Session, error) {
	d := &dialRecorder{}
	if once {
		d.failed = make(chan struct{}, len(c.Servers))
	}
	conn, events, err := zk.Connect(c.Servers, sessionTimeout,
		zk.WithLogger(zapLogger{log.Named("zookeeper")}), zk.WithLogInfo(false), zk.WithDialer(d.dial))
	if err != nil {
		// The client resolves every name at once and gives up on the first failure.
		return nil, fmt.Errorf("no ZooKeeper session with %s: %s", c, netcheck.ShortNetError(err))
	}
	s := &Session{Conn: conn, events: events, dials: d}
	failures := 0
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, fmt.Errorf("no ZooKeeper session with %s: the client closed", c)
			}
			if ev.State == zk.StateHasSession {
				return s, nil
			}
		case <-d.failed: // nil unless once
			if failures++; failures < len(c.Servers) {
				continue
			}
			s.abort()
			return nil, fmt.Errorf("no ZooKeeper session with %s: %s", c, d.reason())
		case <-ctx.Done():
			s.abort()
			return nil, fmt.Errorf("no ZooKeeper session with %s: %s", c, d.reason())
		}
	}
}

// SessionID formats a session id as ZooKeeper's own tools print it.
func SessionID(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }
