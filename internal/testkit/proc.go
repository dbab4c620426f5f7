package testkit

import (
	"errors"
	"io"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Proc is a process a test started (a JVM running the stand-in, mostly),
// its stdout and stderr gathered in Out.
type Proc struct {
	Cmd  *exec.Cmd
	Out  *SyncBuffer
	done chan error // Cmd.Wait's result, put back by every reader
}

// StartProc starts cmd with its stdout and stderr in Out; the test's
// cleanup kills the process and waits for it.
func StartProc(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, Out: &SyncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.Out, p.Out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// FailIfExited ends the test when the process has already exited.
func (p *Proc) FailIfExited(t testing.TB) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		t.Fatalf("%s exited early (%v); output:\n%s", p.Cmd.Path, err, Short(string(p.Out.Bytes())))
	default:
	}
}

// Wait waits up to timeout for the process to exit and returns its exit
// code (128+n when signal n ended it).
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %v; output:\n%s", p.Cmd.Path, timeout, p.Out.Bytes())
		return -1
	}
}

// Stop sends TERM and returns the exit code (Wait).
func (p *Proc) Stop(t testing.TB, timeout time.Duration) int {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return p.Wait(t, timeout)
}

// WaitOK polls url until it answers 200, failing the test when the process
// exits first or timeout passes, and returns the body of that answer.
func (p *Proc) WaitOK(t testing.TB, url string, timeout time.Duration) []byte {
	t.Helper()
	var body []byte
	Eventually(t, "GET "+url+" = 200", timeout, func() bool {
		p.FailIfExited(t)
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK
	}, p.Out.Bytes)
	return body
}

// Eventually polls cond every 20 ms until it holds, and fails the test
// after timeout naming what it waited for and, when out is not nil, the
// output out returns.
func Eventually(t testing.TB, what string, timeout time.Duration, cond func() bool, out func() []byte) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			if out == nil {
				t.Fatalf("timed out after %v waiting for %s", timeout, what)
			}
			t.Fatalf("timed out after %v waiting for %s; output:\n%s", timeout, what, out())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Short trims process output for failure messages.
func Short(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}
