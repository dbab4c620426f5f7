package probes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/supervisor"
)

type phase int

const (
	phaseWaiting phase = iota // the supervisor runs; the child is not started yet
	phaseRunning
	phaseExited
)

// state is what the server knows of the child and of its readiness. The
// Server holds it under its mutex; everything else works on copies.
type state struct {
	phase     phase
	pid       int
	startedAt time.Time
	exit      supervisor.ExitStatus
	stopping  bool
	stopSig   syscall.Signal
	ready     bool
	everReady bool // the check passed once since the child started
	checked   bool // a check ran since the child started
	// notReadySince is when /readyz last turned 503 while the child ran:
	// the child's start or the first failed check after a passed one;
	// zero while ready.
	notReadySince time.Time
	lastErr       error
	lastAt        time.Time
	lastTook      time.Duration
	// parts are the results of the last run by check kind (log,
	// zookeeper, http...), in order; a check an earlier one's failure
	// left unasked is not among them.
	parts []partResult
}

// partResult is one readiness check's result in the last run.
type partResult struct {
	kind string
	ok   bool
}

// checkKind is the kind of a check, from its name: "log", "zookeeper",
// "http", "https", "tcp" or "none". It labels
// otter_entrypoint_ready_check_ok, so it must not carry a path or address.
func checkKind(c Check) string {
	n := c.Name()
	if i := strings.IndexByte(n, ':'); i > 0 {
		return n[:i]
	}
	return n
}

// runParts runs c, and returns its result and each part's: every check of
// an AllOf that was asked, or c itself.
func runParts(ctx context.Context, c Check) ([]partResult, error) {
	var parts []partResult
	report := func(c Check, err error) {
		k := checkKind(c)
		for _, p := range parts {
			if p.kind == k {
				return // a label value twice would fail the scrape
			}
		}
		parts = append(parts, partResult{k, err == nil})
	}
	var err error
	if a, ok := c.(allOf); ok {
		err = a.checkParts(ctx, report)
	} else {
		err = c.Check(ctx)
		report(c, err)
	}
	return parts, err
}

// startupCheckInterval is how often the readiness check runs until it has
// passed once after the child started: a pod becomes ready about when Otter
// does, not up to a whole ENTRYPOINT_READY_INTERVAL later.
const startupCheckInterval = time.Second

func (s *Server) readinessLoop(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-s.after(s.nextCheckIn()):
		}
		s.runCheck(ctx)
	}
}

func (s *Server) nextCheckIn() time.Duration {
	if !s.snapshot().everReady && s.cfg.ReadyInterval > startupCheckInterval {
		return startupCheckInterval
	}
	return s.cfg.ReadyInterval
}

// runCheck runs the readiness check once if the child runs and no stop
// has begun, and records the result.
func (s *Server) runCheck(ctx context.Context) {
	before := s.snapshot()
	if before.phase != phaseRunning || before.stopping {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	start := s.now()
	parts, err := runParts(cctx, s.check)
	timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded)
	cancel()
	end := s.now()
	if err != nil && timedOut {
		err = fmt.Errorf("timed out after %s: %w", s.cfg.ReadyTimeout, err)
	}
	if err != nil {
		s.readyFailures.Inc()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	if st.pid != before.pid || st.phase != phaseRunning {
		return // the child changed while the check ran
	}
	was := st.ready
	st.checked, st.lastErr, st.lastAt, st.lastTook, st.parts = true, err, end, end.Sub(start), parts
	st.ready = err == nil && !st.stopping
	st.everReady = st.everReady || st.ready
	switch {
	case st.ready:
		st.notReadySince = time.Time{}
	case st.notReadySince.IsZero():
		st.notReadySince = start
	}
	switch {
	case st.ready && !was:
		s.log.Info("ready", zap.String("check", s.check.Name()), zap.Duration("since_start", end.Sub(st.startedAt)))
	case !st.ready && was:
		s.log.Warn("not ready any more", zap.String("check", s.check.Name()), zap.Error(err))
	}
}

// readyLine is one line of /readyz?verbose.
type readyLine struct {
	ok         bool
	name, text string
}

// readyReport is what /readyz says.
type readyReport struct {
	ready  bool
	lines  []readyLine
	reason string // the one-line reason when not ready
}

// readiness is /readyz's answer for st at now; check names the readiness
// check.
func readiness(st state, check string, now time.Time) readyReport {
	r := readyReport{ready: st.ready}
	add := func(ok bool, name, text string) {
		r.lines = append(r.lines, readyLine{ok, name, text})
		if !ok && r.reason == "" {
			r.reason = name + " " + text
		}
	}
	// A stop beats everything else as the reason: it is why the check no
	// longer runs.
	if st.stopping {
		r.reason = "stopping: " + sigName(st.stopSig) + " received"
	}
	switch st.phase {
	case phaseWaiting:
		add(false, "child", "not started yet")
	case phaseRunning:
		add(true, "child", fmt.Sprintf("running (pid %d, for %s)", st.pid, now.Sub(st.startedAt).Round(time.Second)))
	default:
		add(false, "child", st.exit.String())
	}
	name := "check " + check
	switch {
	case !st.checked:
		add(false, name, "has not run yet")
	case st.lastErr != nil:
		add(false, name, fmt.Sprintf("failed %s ago: %v", now.Sub(st.lastAt).Round(time.Millisecond), st.lastErr))
	default:
		add(true, name, fmt.Sprintf("passed %s ago in %s", now.Sub(st.lastAt).Round(time.Millisecond), st.lastTook.Round(time.Microsecond)))
	}
	if st.stopping {
		add(false, "stopping", sigName(st.stopSig)+" received")
	} else {
		add(true, "stopping", "no")
	}
	if r.ready {
		r.reason = ""
	}
	return r
}

// terse is the answer to /readyz: "ok" or "not ready: <reason>".
func (r readyReport) terse() string {
	if r.ready {
		return "ok"
	}
	return "not ready: " + r.reason
}

// verbose is the answer to /readyz?verbose: one [+] or [-] line per item
// and the verdict.
func (r readyReport) verbose() string {
	var b strings.Builder
	for _, l := range r.lines {
		mark := "[-]"
		if l.ok {
			mark = "[+]"
		}
		fmt.Fprintf(&b, "%s%s: %s\n", mark, l.name, l.text)
	}
	if r.ready {
		b.WriteString("readyz check passed")
	} else {
		b.WriteString("readyz check failed")
	}
	return b.String()
}

func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	rep := readiness(s.snapshot(), s.check.Name(), s.now())
	code := http.StatusOK
	if !rep.ready {
		code = http.StatusServiceUnavailable
	}
	if _, verbose := r.URL.Query()["verbose"]; verbose {
		writeText(w, code, rep.verbose())
		return
	}
	writeText(w, code, rep.terse())
}
