package probes

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/internal/testkit"
)

func TestLivenessStallSetting(t *testing.T) {
	for _, c := range []struct {
		stall, interval time.Duration
		ok              bool
	}{
		{0, 0, true},
		{5 * time.Minute, 0, true},
		{MinLivenessStall, 5 * time.Second, true},
		{MinLivenessStall - time.Second, 0, false},
		{time.Minute, 30 * time.Second, false}, // under three readiness intervals
		{-time.Minute, 0, false},
	} {
		err := CheckLivenessStall(c.stall, c.interval)
		if (err == nil) != c.ok {
			t.Errorf("stall %s interval %s: %v, want ok=%v", c.stall, c.interval, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "ENTRYPOINT_LIVENESS_STALL=") {
			t.Errorf("error does not name the setting: %v", err)
		}
	}
	if _, err := NewServer(Config{Listen: "off", LivenessStall: 10 * time.Second}, zap.NewNop(), time.Now); err == nil {
		t.Error("NewServer accepted a 10s stall")
	}
}

// TestLivenessStallOnReadiness drives the readiness half with the fake
// clock: /livez stays 200 while the child starts, while dependencies fail
// for less than the stall, and during a stop; it turns 503 once /readyz
// has not answered 200 for longer than the stall, and 200 again when the
// check passes.
func TestLivenessStallOnReadiness(t *testing.T) {
	const stall = time.Minute
	chk := &switchCheck{err: errors.New("status 500")}
	// No hsperfdata for this pid: only the readiness half can decide.
	s, clk := newTestServer(t, Config{Listen: "off", Ready: chk, LivenessStall: stall, PerfDataDir: t.TempDir()})
	h, ctx := s.handler, context.Background()

	expect(t, h, "/livez", 200, "ok: waiting for the child to start")
	clk.add(time.Hour) // waiting for dependencies takes as long as it takes
	expect(t, h, "/livez", 200, "ok: waiting for the child to start")

	s.ChildStarted(4242, clk.now())
	s.runCheck(ctx)
	clk.add(stall)
	expect(t, h, "/livez", 200, "ok: child running")
	clk.add(time.Second)
	expect(t, h, "/livez", 503, "hung: not ready for 1m1s (ENTRYPOINT_LIVENESS_STALL=1m0s): status 500")
	expect(t, h, "/readyz", 503, "status 500")

	chk.set(nil)
	s.runCheck(ctx)
	expect(t, h, "/livez", 200, "ok: child running")

	// A failure counts from the first failed check after the pass.
	clk.add(time.Hour)
	chk.set(errors.New("connection refused"))
	s.runCheck(ctx)
	clk.add(stall - time.Second)
	s.runCheck(ctx)
	expect(t, h, "/livez", 200, "ok: child running")
	clk.add(2 * time.Second)
	expect(t, h, "/livez", 503, "connection refused")

	// A stop in progress is never a hang: readiness is 503 on purpose.
	s.StopRequested(syscall.SIGTERM, clk.now())
	expect(t, h, "/livez", 200, "ok: child running")

	// Off (the default): never.
	off, clk2 := newTestServer(t, Config{Listen: "off", Ready: chk, PerfDataDir: t.TempDir()})
	off.ChildStarted(1, clk2.now())
	off.runCheck(ctx)
	clk2.add(24 * time.Hour)
	expect(t, off.handler, "/livez", 200, "ok: child running")
}

// TestLivenessStallOnAStoppedJVM: a real JVM whose tick counter stands
// still (SIGSTOP) fails /livez once the fake clock passes the stall, and
// passes again when it runs on (SIGCONT). The readiness check passes
// throughout, so only the hsperfdata half decides.
func TestLivenessStallOnAStoppedJVM(t *testing.T) {
	p := startPerfProbe(t, testkit.AnyJDK(t).Home)
	pid := p.cmd.Process.Pid
	const stall = time.Minute
	s, clk := newTestServer(t, Config{Listen: "off", LivenessStall: stall})
	h := s.handler
	s.ChildStarted(pid, clk.now())
	s.runCheck(context.Background())
	expect(t, h, "/readyz", 200, "ok")

	// The counter moves while the JVM runs: the stall never starts.
	_, t0, ok := s.progress.observe(pid, clk.now())
	if !ok {
		t.Fatal("no sun.os.hrt.ticks in the JVM's hsperfdata")
	}
	testkit.Eventually(t, "sun.os.hrt.ticks advances in a running JVM", 5*time.Second, func() bool {
		_, t1, _ := s.progress.observe(pid, clk.now())
		return t1 != t0
	}, nil)
	// Readings are a probe period apart in a pod; here the fake clock
	// jumps, so wait for the next 50 ms sample.
	clk.add(2 * stall)
	testkit.Eventually(t, "/livez passes while the JVM runs", 5*time.Second, func() bool {
		code, _ := get(t, h, "/livez")
		return code == 200
	}, nil)

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	testkit.Eventually(t, "the JVM is stopped", 5*time.Second, func() bool { return procState(pid) == 'T' }, nil)
	// The first reading after the stop starts the count.
	expect(t, h, "/livez", 200, "ok: child running")
	clk.add(stall)
	expect(t, h, "/livez", 200, "ok: child running")
	clk.add(time.Second)
	expect(t, h, "/livez", 503, "hung: the JVM made no progress for 1m1s (hsperfdata sun.os.hrt.ticks stuck at")

	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "/livez passes once the JVM runs on", 5*time.Second, func() bool {
		code, _ := get(t, h, "/livez")
		return code == 200
	}, nil)
}

// procState is the state letter of /proc/<pid>/stat (R, S, T, ...), or 0.
func procState(pid int) byte {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}
