package supervisor

import (
	"bufio"
	"context"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Signals receives the signals the supervisor handles. Create it with
// Notify before anything that needs it: a Go PID 1 without a handler for a
// signal exits with status 2 when it arrives, and the kernel then kills
// everything else in the container.
//
// Signals has one reader at a time: Guard while the caller prepares the
// launch, then Supervisor.Run. Whatever Guard takes off C that is not a
// stop is kept for Run, so no signal is lost between them.
type Signals struct {
	// C delivers the signals. Its buffer is large so that a burst is never
	// dropped while the supervisor forwards the previous one.
	C chan os.Signal

	installed chan struct{} // closed once every handler is in place; nil: already

	mu   sync.Mutex
	kept []os.Signal // taken off C by Guard, for Run
}

// Notify starts receiving every signal the supervisor forwards or acts on.
//
// Installing a handler through os/signal is a round trip to a runtime
// thread, and the supervisor asks for some 60 signals. The few that would
// otherwise end the process are installed before Notify returns (see
// isUrgent: TERM, INT, HUP, QUIT, PIPE, and the fault signals, which the Go
// runtime turns into a crash when they are sent with kill); the rest are
// installed in the background while the settings are read, and Wait
// blocks until they are. Supervisor.Run waits for them before the child
// starts, so every signal that arrives from then on is handled. A signal
// that was ignored when the process started and that the runtime left
// ignored (isKeepIgnored) is not asked for, so it stays ignored and the
// child inherits SIG_IGN for it.
func Notify() *Signals {
	s := &Signals{C: make(chan os.Signal, 4096), installed: make(chan struct{})}
	ignored := ignoredAtStart()
	resetLibcSignals(ignored)
	var urgent, rest []os.Signal
	for _, sig := range handled() {
		switch {
		case ignored&sigBit(sig) != 0 && isKeepIgnored(sig):
			// not asked for: it stays ignored
		case isUrgent(sig.(syscall.Signal)):
			urgent = append(urgent, sig)
		default:
			rest = append(rest, sig)
		}
	}
	signal.Notify(s.C, urgent...)
	go func() {
		signal.Notify(s.C, rest...)
		close(s.installed)
	}()
	return s
}

// isUrgent reports whether sig's default would end the entrypoint: the
// stop signals, QUIT, PIPE (a write to a closed stdout or stderr raises
// it), and the fault signals, which the Go runtime turns into a crash
// with a stack dump when they are sent with kill and not asked for.
func isUrgent(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE:
		return true
	}
	return isFault(sig)
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

// GuardGrace is how long Guard waits, after a stop, for prepare to return
// (so that a process it started, such as java -version, is killed and
// reaped) before it returns anyway.
const GuardGrace = 500 * time.Millisecond

// Guard runs prepare while it watches the signals, for the work a command
// does before Supervisor.Run (reading settings and files, running
// java -version, rendering). A stop signal (TERM, INT, and HUP when
// hangupStops is set) cancels prepare's context; Guard then waits up to
// GuardGrace for prepare to return, and returns the signal whether or not
// it did: the caller exits with 128+signal, and a prepare blocked in a
// system call ends with the process. Every other signal is kept, in order,
// for Run, which handles it as if it had just arrived; CHLD is dropped
// (prepare may wait for processes of its own, so nothing is reaped here;
// Run reaps whatever is left when it starts the child). With no stop,
// Guard returns prepare's error.
func (s *Signals) Guard(hangupStops bool, prepare func(ctx context.Context) error) (syscall.Signal, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- prepare(ctx) }()
	for {
		select {
		case err := <-done:
			return 0, err
		case osig := <-s.C:
			sig := osig.(syscall.Signal)
			switch classify(sig, hangupStops) {
			case actStop:
				cancel()
				select {
				case <-done:
				case <-time.After(GuardGrace):
				}
				return sig, nil
			case actReap:
			default:
				s.mu.Lock()
				s.kept = append(s.kept, osig)
				s.mu.Unlock()
			}
		}
	}
}

// takeKept returns the signals Guard kept for Run, and forgets them.
func (s *Signals) takeKept() []os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.kept
	s.kept = nil
	return k
}

// handled lists every signal the supervisor asks for: the forwarded ones,
// CHLD (reaping), TTIN/TTOU (received and dropped, so that writing its
// logs to a terminal can never stop the supervisor) and the fault signals
// (received and dropped, so that `kill -ABRT 1` cannot crash PID 1; a
// real fault in the entrypoint's own code still crashes it, as the Go
// runtime only hands over the ones sent with kill).
func handled() []os.Signal {
	out := []os.Signal{syscall.SIGCHLD, syscall.SIGTTIN, syscall.SIGTTOU}
	for n := 1; n <= 64; n++ {
		if sig := syscall.Signal(n); isForwardable(sig) || isFault(sig) {
			out = append(out, sig)
		}
	}
	return out
}

// isFault reports whether sig is one of the synchronous fault signals,
// which are never forwarded: the JVM uses SEGV for its own purposes, and a
// forwarded ABRT or SEGV would make it dump core or crash.
func isFault(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL,
		syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGABRT, syscall.SIGSTKFLT:
		return true
	}
	return false
}

// action is what a received signal asks of the supervisor.
type action int

const (
	actIgnore  action = iota // dropped: TTIN, TTOU and whatever is not forwardable
	actReap                  // CHLD: reap every child that has exited
	actStop                  // TERM, INT (and HUP with hangupStops): stop the child (forwarded, then killed after StopTimeout)
	actForward               // every other forwardable signal: delivered to the child as it is
)

// classify says what sig asks of the supervisor; hangupStops makes HUP a
// stop request like TERM (Config.HangupStops). It is the one place that
// decides; each phase of Run only decides how to carry the action out.
func classify(sig syscall.Signal, hangupStops bool) action {
	switch {
	case sig == syscall.SIGCHLD:
		return actReap
	case sig == syscall.SIGTERM, sig == syscall.SIGINT, sig == syscall.SIGHUP && hangupStops:
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
	if isFault(sig) {
		return false
	}
	switch sig {
	case syscall.SIGKILL, syscall.SIGSTOP, // cannot be caught
		syscall.SIGCHLD, syscall.SIGURG, syscall.SIGTTIN, syscall.SIGTTOU,
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

// stdioBroken reports whether stdout or stderr is a pipe or socket whose
// reading end is gone. A write to it raises PIPE in the writer, so a PIPE
// that arrives then is taken for the entrypoint's own failed write (of its
// log, or of the log lines it copies) and is not forwarded: the child did
// not ask for it, and it would end a child that has no handler. A PIPE
// sent with kill while stdout and stderr are healthy is forwarded like any
// other signal. (Both at once cannot be told apart: the kernel sends the
// write's PIPE as if the entrypoint had sent it to itself.)
func stdioBroken() bool {
	for _, fd := range []int{1, 2} {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil {
			continue
		}
		if t := st.Mode & unix.S_IFMT; t != unix.S_IFIFO && t != unix.S_IFSOCK {
			continue // a terminal or a file: a write there raises no PIPE
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if n, err := unix.Poll(pfd, 0); err == nil && n > 0 && pfd[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			return true
		}
	}
	return false
}

// resetLibcSignals sets signals 32 and 33 back to their default when they
// were ignored at start (GNU make starts its recipes so, e.g. `make demo`).
// glibc uses them for thread cancellation and set*id across threads; a
// JVM that inherits them ignored misbehaves. Go installs no handler for
// them and offers no call to reset them, so rt_sigaction does.
func resetLibcSignals(ignored uint64) {
	for _, sig := range []syscall.Signal{32, 33} {
		if ignored&sigBit(sig) == 0 {
			continue
		}
		var sa [4]uint64 // SIG_DFL: handler, flags, restorer and mask all zero
		_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	}
}
