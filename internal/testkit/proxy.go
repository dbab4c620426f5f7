package testkit

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from its own address on 127.0.0.1 to a
// target, until Cut: a network partition between a client and a server
// that both keep running (ZooKeeper then expires the client's session).
type Proxy struct {
	Addr   string // 127.0.0.1:port
	target string
	l      net.Listener

	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

// StartProxy listens on a free port of 127.0.0.1 and forwards to target;
// it is closed at the test's cleanup.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: l.Addr().String(), target: target, l: l}
	go p.serve()
	t.Cleanup(func() {
		l.Close()
		p.Cut()
	})
	return p
}

func (p *Proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		if p.isCut() {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, up) {
			c.Close()
			up.Close()
			continue
		}
		go pipe(c, up)
		go pipe(up, c)
	}
}

func (p *Proxy) isCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// track records a forwarded pair for Cut, unless the proxy is cut: the
// check and the record are one step, so a connection accepted while Cut
// runs (after the dial) cannot slip through the partition.
func (p *Proxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns = append(p.conns, c, up)
	return true
}

// pipe copies from src to dst, then closes both.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// Cut closes every forwarded connection and refuses new ones (they are
// accepted and closed at once) until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Restore forwards new connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}
