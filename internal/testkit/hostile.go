package testkit

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// Within runs f and fails the test when it has not returned after 5 s: for
// code that must not block (a blocking open of a FIFO never returns).
func Within(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s still blocked after 5s", what)
	}
}

// Mkfifo makes a named pipe at p and returns p.
func Mkfifo(t testing.TB, p string) string {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// MuteListener listens on loopback, accepts every connection and never
// says a word (a port that is open but is no ZooKeeper, no MySQL, ...),
// until the test ends. It returns the address.
func MuteListener(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	return ln.Addr().String()
}
