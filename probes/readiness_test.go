package probes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"otter-entrypoint/internal/testkit"
	"otter-entrypoint/supervisor"
)

// TestReadinessStateMachine walks starting → ready → not ready → ready →
// stop requested (readyz 503 while livez 200) → exited (livez 503).
func TestReadinessStateMachine(t *testing.T) {
	chk := &switchCheck{err: fmt.Errorf("connection refused")}
	s, clk := newTestServer(t, Config{Listen: "off", Ready: chk})
	h := s.handler
	ctx := context.Background()

	expect(t, h, "/livez", 200, "waiting for the child")
	expect(t, h, "/healthz", 200, "waiting for the child")
	expect(t, h, "/readyz", 503, "not ready: child not started yet")
	s.runCheck(ctx) // no child: the check must not run
	if chk.n != 0 {
		t.Fatalf("check ran %d times before the child started", chk.n)
	}

	s.ChildStarted(4242, clk.now())
	expect(t, h, "/livez", 200, "pid 4242")
	expect(t, h, "/readyz", 503, "has not run yet")
	s.runCheck(ctx)
	expect(t, h, "/readyz", 503, "not ready: check switch failed 0s ago: connection refused")
	expect(t, h, "/readyz?verbose", 503, "[+]child: running (pid 4242")
	expect(t, h, "/readyz?verbose", 503, "[-]check switch: failed")

	chk.set(nil)
	clk.add(time.Second)
	s.runCheck(ctx)
	expect(t, h, "/readyz", 200, "ok")
	expect(t, h, "/readyz?verbose", 200, "[+]check switch: passed")
	expect(t, h, "/readyz?verbose", 200, "readyz check passed")

	chk.set(fmt.Errorf("status 503"))
	s.runCheck(ctx)
	expect(t, h, "/readyz", 503, "status 503")
	chk.set(nil)
	s.runCheck(ctx)
	expect(t, h, "/readyz", 200, "ok")

	s.StopRequested(syscall.SIGTERM, clk.now())
	expect(t, h, "/readyz", 503, "not ready: stopping: SIGTERM received")
	expect(t, h, "/livez", 200, "pid 4242")
	runs := chk.n
	s.runCheck(ctx)
	if chk.n != runs {
		t.Error("the check ran after the stop began")
	}
	expect(t, h, "/readyz", 503, "stopping")

	s.ChildExited(supervisor.ExitStatus{Code: 143}, clk.now())
	expect(t, h, "/livez", 503, "child exited with code 143")
	expect(t, h, "/healthz", 503, "exited")
	expect(t, h, "/readyz", 503, "stopping")

	metrics := scrape(t, h, "")
	for _, want := range []string{"otter_entrypoint_ready 0", "otter_entrypoint_child_up 0", "otter_entrypoint_ready_check_failures_total 2",
		"otter_entrypoint_child_start_time_seconds 1.7956944e+09"} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNoneCheckIsReadyOnceTheChildRuns(t *testing.T) {
	s, clk := newTestServer(t, Config{Listen: "127.0.0.1:0", ReadyInterval: time.Hour})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	base := "http://" + s.Addr()
	if code := httpGet(t, base+"/readyz"); code != 503 {
		t.Fatalf("readyz before start = %d", code)
	}
	s.ChildStarted(99, clk.now()) // kicks the loop: no need to wait an interval
	testkit.Eventually(t, "readyz 200", 15*time.Second, func() bool { return httpGet(t, base+"/readyz") == 200 }, nil)
	if m := scrape(t, s.handler, ""); !strings.Contains(m, "otter_entrypoint_ready 1\n") || !strings.Contains(m, "otter_entrypoint_child_up 1\n") {
		t.Errorf("metrics after ready:\n%s", grep(m, "otter_entrypoint_"))
	}
}

// fakeTimers stands in for time.After in the readiness loop: the loop
// reports each wait it asks for on asked, and its timer fires when the test
// sends on fire.
type fakeTimers struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newFakeTimers() *fakeTimers {
	return &fakeTimers{asked: make(chan time.Duration, 100), fire: make(chan time.Time)}
}

func (f *fakeTimers) after(d time.Duration) <-chan time.Time {
	f.asked <- d
	return f.fire
}

// next is the wait the loop asks for next (after it finished a check).
func (f *fakeTimers) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-f.asked:
		return d
	case <-time.After(15 * time.Second):
		t.Fatal("the readiness loop asked for no timer")
		return 0
	}
}

// TestFirstReadinessDoesNotWaitAWholeInterval: with a long
// ENTRYPOINT_READY_INTERVAL, the check runs every second until it first
// passes, then only at the interval.
func TestFirstReadinessDoesNotWaitAWholeInterval(t *testing.T) {
	check := &switchCheck{err: errors.New("not yet")}
	s, clk := newTestServer(t, Config{Listen: "127.0.0.1:0", Ready: check, ReadyInterval: time.Hour})
	timers := newFakeTimers()
	s.after = timers.after
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	checks := func() int {
		check.mu.Lock()
		defer check.mu.Unlock()
		return check.n
	}
	if d := timers.next(t); d != time.Second {
		t.Fatalf("first wait before the child runs = %s; want the 1s start-up interval", d)
	}
	s.ChildStarted(os.Getpid(), clk.now()) // kicks a check at once
	if d := timers.next(t); d != time.Second || checks() != 1 {
		t.Fatalf("after the start: %d checks, then a wait of %s; want 1 check, then 1s", checks(), d)
	}
	timers.fire <- clk.now() // the 1s timer: the check fails again
	if d := timers.next(t); d != time.Second || checks() != 2 {
		t.Fatalf("after a failed start-up check: %d checks, then a wait of %s; want 2, then 1s", checks(), d)
	}
	check.set(nil)
	timers.fire <- clk.now()
	if d := timers.next(t); d != time.Hour || checks() != 3 {
		t.Fatalf("after the first pass: %d checks, then a wait of %s; want 3, then the 1h interval", checks(), d)
	}
	expect(t, s.handler, "/readyz", 200, "ok")
	// Failing later does not bring the 1s interval back: it was ready once.
	check.set(errors.New("gone"))
	timers.fire <- clk.now()
	if d := timers.next(t); d != time.Hour || checks() != 4 {
		t.Fatalf("after a later failure: %d checks, then a wait of %s; want 4, then 1h", checks(), d)
	}
	expect(t, s.handler, "/readyz", 503, "gone")
	// A new child starts the 1s start-up interval again.
	s.ChildStarted(os.Getpid(), clk.now())
	if d := timers.next(t); d != time.Second || checks() != 5 {
		t.Fatalf("after a restart: %d checks, then a wait of %s; want 5, then 1s", checks(), d)
	}
}

// TestReadinessReport: the /readyz answer from a state snapshot alone.
func TestReadinessReport(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	running := state{phase: phaseRunning, pid: 42, startedAt: now.Add(-90 * time.Second)}
	passed := running
	passed.checked, passed.ready, passed.everReady = true, true, true
	passed.lastAt, passed.lastTook = now.Add(-1500*time.Millisecond), 2345*time.Microsecond
	failed := running
	failed.checked, failed.lastErr, failed.lastAt = true, errors.New("connection refused"), now.Add(-250*time.Millisecond)
	stopping := failed
	stopping.stopping, stopping.stopSig = true, syscall.SIGTERM
	exited := stopping
	exited.phase, exited.exit = phaseExited, supervisor.ExitStatus{Code: 143}

	for _, c := range []struct {
		name    string
		st      state
		ready   bool
		terse   string
		verbose string
	}{
		{"waiting", state{}, false, "not ready: child not started yet",
			"[-]child: not started yet\n[-]check http: has not run yet\n[+]stopping: no\nreadyz check failed"},
		{"running, not checked", running, false, "not ready: check http has not run yet",
			"[+]child: running (pid 42, for 1m30s)\n[-]check http: has not run yet\n[+]stopping: no\nreadyz check failed"},
		{"passed", passed, true, "ok",
			"[+]child: running (pid 42, for 1m30s)\n[+]check http: passed 1.5s ago in 2.345ms\n[+]stopping: no\nreadyz check passed"},
		{"failed", failed, false, "not ready: check http failed 250ms ago: connection refused",
			"[+]child: running (pid 42, for 1m30s)\n[-]check http: failed 250ms ago: connection refused\n[+]stopping: no\nreadyz check failed"},
		{"stopping beats the failed check", stopping, false, "not ready: stopping: SIGTERM received",
			"[+]child: running (pid 42, for 1m30s)\n[-]check http: failed 250ms ago: connection refused\n[-]stopping: SIGTERM received\nreadyz check failed"},
		{"exited while stopping", exited, false, "not ready: stopping: SIGTERM received",
			"[-]child: exited with code 143\n[-]check http: failed 250ms ago: connection refused\n[-]stopping: SIGTERM received\nreadyz check failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := readiness(c.st, "http", now)
			if r.ready != c.ready || r.terse() != c.terse || r.verbose() != c.verbose {
				t.Errorf("readiness = ready %v\n%s\n%s\nwant ready %v\n%s\n%s", r.ready, r.terse(), r.verbose(), c.ready, c.terse, c.verbose)
			}
		})
	}
}

// TestReadyCheckOKByKind: otter_entrypoint_ready_check_ok says which part
// of a node's check (log, then zookeeper) passed in the last run; a part
// left unasked because an earlier one failed is absent, and nothing is
// reported without a child.
func TestReadyCheckOKByKind(t *testing.T) {
	logChk := &switchCheck{err: errors.New("not running yet")}
	zk := &fakeCheck{name: "zookeeper:/otter/node/3", err: errors.New("/otter/node/3 does not exist")}
	s, clk := newTestServer(t, Config{Listen: "off", Ready: AllOf(namedCheck{"log:/x/node.log:running now", logChk}, zk)})
	ctx := context.Background()
	series := func() string { return grep(scrape(t, s.handler, ""), "otter_entrypoint_ready_check_ok{") }

	if got := series(); got != "" {
		t.Errorf("before the child started:\n%s", got)
	}
	s.ChildStarted(7, clk.now())
	s.runCheck(ctx)
	if got, want := series(), `otter_entrypoint_ready_check_ok{check="log"} 0`; got != want {
		t.Errorf("log failing:\n%s\nwant\n%s", got, want)
	}
	logChk.set(nil)
	s.runCheck(ctx)
	if got, want := series(), "otter_entrypoint_ready_check_ok{check=\"log\"} 1\notter_entrypoint_ready_check_ok{check=\"zookeeper\"} 0"; got != want {
		t.Errorf("znode missing:\n%s\nwant\n%s", got, want)
	}
	zk.err = nil
	s.runCheck(ctx)
	if got, want := series(), "otter_entrypoint_ready_check_ok{check=\"log\"} 1\notter_entrypoint_ready_check_ok{check=\"zookeeper\"} 1"; got != want {
		t.Errorf("registered:\n%s\nwant\n%s", got, want)
	}
	s.ChildExited(supervisor.ExitStatus{Code: 1}, clk.now())
	if got := series(); got != "" {
		t.Errorf("after the child exited:\n%s", got)
	}
}

// namedCheck gives a check another name.
type namedCheck struct {
	name  string
	inner Check
}

func (n namedCheck) Name() string                    { return n.name }
func (n namedCheck) Check(ctx context.Context) error { return n.inner.Check(ctx) }
