package supervisor

import (
	"bufio"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Signals receives the signals the supervisor handles. Create it with
// Notify before anything that needs it: a Go PID 1 without a handler for a
// signal exits with status 2 when it arrives, and the kernel then kills
// everything else in the container.
type Signals struct {
	// C delivers the signals. Its buffer is large so that a burst is never
	// dropped while the supervisor forwards the previous one.
	C chan os.Signal

	installed chan struct{} // closed once every handler is in place; nil: already
}

// Notify starts receiving every signal the supervisor forwards or acts on
// and returns at once; Wait blocks until every handler is in place.
//
// Installing a handler through os/signal is a round trip to a runtime
// thread, and the supervisor asks for some 50 signals. Doing it in the
// background lets the rest of the start-up (settings, logger, probes
// server) run meanwhile; Supervisor.Run waits for it before the child
// starts, so every signal that arrives from then on is handled. TERM, INT,
// HUP and QUIT, whose default would end the process, come first. A signal
// that was ignored when the process started and that the runtime left
// ignored (isKeepIgnored) is not asked for, so it stays ignored and the
// child inherits SIG_IGN for it.
func Notify() *Signals {
	s := &Signals{C: make(chan os.Signal, 4096), installed: make(chan struct{})}
	go func() {
		ignored := ignoredAtStart()
		var urgent, rest []os.Signal
		for _, sig := range handled() {
			switch {
			case ignored&sigBit(sig) != 0 && isKeepIgnored(sig):
				// not asked for: it stays ignored
			case sig == syscall.SIGTERM, sig == syscall.SIGINT, sig == syscall.SIGHUP, sig == syscall.SIGQUIT:
				urgent = append(urgent, sig)
			default:
				rest = append(rest, sig)
			}
		}
		signal.Notify(s.C, urgent...)
		signal.Notify(s.C, rest...)
		close(s.installed)
	}()
	return s
}

// Wait blocks until every handler Notify asked for is in place.
func (s *Signals) Wait() {
	if s.installed != nil {
		<-s.installed
	}
}

// Stop stops the delivery of signals to s.
func (s *Signals) Stop() {
	s.Wait()
	signal.Stop(s.C)
}

// handled lists every signal the supervisor asks for: the forwarded ones,
// CHLD (reaping), and TTIN/TTOU (received and dropped, so that writing its
// logs to a terminal can never stop the supervisor).
func handled() []os.Signal {
	out := []os.Signal{syscall.SIGCHLD, syscall.SIGTTIN, syscall.SIGTTOU}
	for n := 1; n <= 64; n++ {
		if sig := syscall.Signal(n); isForwardable(sig) {
			out = append(out, sig)
		}
	}
	return out
}

// action is what a received signal asks of the supervisor.
type action int

const (
	actIgnore  action = iota // dropped: TTIN, TTOU and whatever is not forwardable
	actReap                  // CHLD: reap every child that has exited
	actStop                  // TERM, INT: stop the child (forwarded, then killed after StopTimeout)
	actForward               // every other forwardable signal: delivered to the child as it is
)

// classify says what sig asks of the supervisor. It is the one place that
// decides; each phase of Run only decides how to carry the action out.
func classify(sig syscall.Signal) action {
	switch {
	case sig == syscall.SIGCHLD:
		return actReap
	case sig == syscall.SIGTERM, sig == syscall.SIGINT:
		return actStop
	case isForwardable(sig):
		return actForward
	}
	return actIgnore
}

// isForwardable reports whether sig is forwarded to the child: every
// catchable signal except CHLD, URG (the Go runtime's preemption signal),
// TTIN and TTOU, the synchronous fault signals, and PROF and 32-34 (which
// the Go runtime keeps for itself).
func isForwardable(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGKILL, syscall.SIGSTOP, // cannot be caught
		syscall.SIGCHLD, syscall.SIGURG, syscall.SIGTTIN, syscall.SIGTTOU,
		syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL,
		syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGABRT, syscall.SIGSTKFLT,
		// The Go runtime consumes PROF itself (CPU profiling); it never
		// reaches os/signal, so it cannot be forwarded.
		syscall.SIGPROF:
		return false
	}
	// The Go runtime reserves 32 and 33 (glibc's internal signals) and 34
	// (musl's); they cannot be received through os/signal.
	return sig >= 1 && sig <= 64 && (sig < 32 || sig > 34)
}

// isKeepIgnored reports whether the Go runtime leaves sig untouched until it
// is asked for, so an inherited SIG_IGN is still visible (and still
// inherited by children) when main starts. For every other signal the
// runtime has already installed its own handler, so an inherited SIG_IGN
// cannot be seen or kept.
func isKeepIgnored(sig os.Signal) bool {
	switch sig {
	case syscall.SIGHUP, syscall.SIGINT, syscall.SIGCONT, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return true
	}
	return false
}

func sigBit(sig os.Signal) uint64 {
	n := int(sig.(syscall.Signal))
	if n < 1 || n > 64 {
		return 0
	}
	return 1 << uint(n-1)
}

// ignoredAtStart reads SigIgn from /proc/self/status. Zero when unknown.
func ignoredAtStart() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "SigIgn:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return 0
			}
			return n
		}
	}
	return 0
}

// SignalName returns the conventional name of sig without the SIG prefix,
// e.g. "TERM", or "RTMIN+5" for realtime signals.
func SignalName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return strings.TrimPrefix(n, "SIG")
	}
	if sig >= 32 && sig <= 64 {
		return "RTMIN+" + strconv.Itoa(int(sig)-32)
	}
	return strconv.Itoa(int(sig))
}
