// Package supervisor runs one command as the main child of a PID 1: it
// forwards signals to it, reaps every process re-parented to us, stops the
// child within a bounded grace period and reports its exit status.
//
// # Signals and stopping
//
// Notify installs the signal handlers as early as the program can (those
// whose default would end or crash the process before it returns, the
// rest in the background); every signal then arrives on Signals.C, and
// classify decides what it asks for: TERM and INT (and HUP with
// Config.HangupStops) stop the child, CHLD reaps, every other forwardable
// signal (QUIT, USR1, PIPE, ...; see isForwardable) goes to the child
// unchanged, and the rest is dropped: TTIN, TTOU, URG, and the fault
// signals (ABRT, SEGV, BUS, FPE, ILL, TRAP, SYS, STKFLT), which are asked
// for only so that one sent with kill cannot crash the process, and are
// logged. A PIPE that arrives while stdout or stderr is a broken pipe is
// taken for the supervisor's own failed write and dropped too.
//
// Signals has one reader at a time. Before Run, a command that prepares
// the launch (reading files, running java -version) does it under
// Signals.Guard, which cancels the preparation on a stop and keeps every
// other signal for Run. Supervisor.Run then goes through three phases,
// each acting on classify's answer; what a TERM does depends on the phase
// it arrives in:
//
//   - beforeStart, until the child starts: the signals Guard kept and those
//     already pending when Run begins are taken first, then
//     Config.BeforeStart (the dependency wait) runs. A stop here, even one
//     received before Run was called, cancels BeforeStart, and Run returns
//     128+signal with StopRequested and the child never started.
//     Forwardable signals are held and delivered as soon as the child
//     exists.
//   - supervise, while the child runs: a stop signal is forwarded at once
//     (to the child, or its process group with Config.SignalGroup; to the
//     child itself when it left that group), then Observer.StopRequested is
//     told (the probes turn unready) and a timer of Config.StopTimeout
//     starts (none when zero). If the child is still there when it fires,
//     the child itself and its process group get KILL (Result.Killed),
//     wherever it moved. Further stops are forwarded without restarting the
//     timer. Only a signal the child got is logged and counted as
//     forwarded. The phase ends when the child has been reaped;
//     Result.Code is its shell code (128+signal when a signal ended it),
//     with Config.SuccessCodes mapped to 0.
//   - drain, once the child has exited: the processes it left behind (found
//     in /proc, in any group or session) get TERM, and KILL after
//     Config.DrainTimeout, because the kernel kills them all abruptly the
//     moment PID 1 exits. With nothing left, which is the usual case, Run
//     returns at once.
//
// The child is started with PR_SET_PDEATHSIG set to TERM: should the
// supervisor itself die (not as PID 1: kill -9, or signal 32 or 34, which
// a static Go program cannot catch), the child is asked to stop rather
// than orphaned.
package supervisor

import (
	"context"
	"io"
	"syscall"
	"time"
)

// Observer is told about the supervisor's life cycle. Every method must
// return quickly; the probes server implements it. A nil Observer is allowed.
type Observer interface {
	// ChildStarted is called once the main child exists.
	ChildStarted(pid int, at time.Time)
	// ChildExited is called once the main child has been reaped.
	ChildExited(status ExitStatus, at time.Time)
	// StopRequested is called when a stop signal starts the graceful stop.
	StopRequested(sig syscall.Signal, at time.Time)
	// SignalForwarded is called for every signal delivered to the child
	// (never for one that did not reach it).
	SignalForwarded(sig syscall.Signal)
	// OrphanReaped is called for every reaped process other than the main child.
	OrphanReaped(pid int)
}

// Config says what to run and how to stop it.
type Config struct {
	// Path is the program to run; when it has no slash it is looked up in
	// PATH. Args are its arguments, without argv[0].
	Path string
	Args []string
	// Env is the child's environment (nil: the supervisor's own).
	Env []string
	// Dir is the child's working directory ("": the supervisor's own).
	Dir string
	// Stdin, Stdout and Stderr are the child's streams (nil: the
	// supervisor's own). Files are handed over as they are, so the child's
	// output is never copied, re-encoded or buffered.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StopTimeout is how long the child may take to exit after a stop
	// signal before it and its process group are killed.
	StopTimeout time.Duration
	// DrainTimeout is how long processes left after the main child exits
	// get after TERM before they are killed.
	DrainTimeout time.Duration
	// SignalGroup forwards signals to the child's whole process group
	// instead of the child alone. A child that left the group it was
	// started in still gets them, directly.
	SignalGroup bool
	// HangupStops makes HUP a stop request like TERM (readiness turns
	// unready, StopTimeout applies): for a JVM, whose answer to HUP is to
	// shut down. Without it HUP is only forwarded (a command may reload on
	// it).
	HangupStops bool
	// Foreground hands the terminal to the child when stdin is one: its
	// process group becomes the terminal's foreground group, so job
	// control works and Ctrl-C goes to the child alone (for interactive
	// commands). Without it the terminal's signals reach the supervisor,
	// which acts on them as on any other: Ctrl-C is a stop request.
	Foreground bool
	// SuccessCodes are shell exit codes of the child reported as 0.
	SuccessCodes []int
	// BeforeStart, when set, runs after signal handling is in place and
	// before the child starts (waiting for dependencies). A stop signal
	// cancels its context and Run then returns 128+signal without starting
	// the child; one already received when Run begins keeps it from being
	// called at all. An error it returns is returned by Run.
	BeforeStart func(ctx context.Context) error
	// Observer is told about starts, exits, stops, signals and reaps.
	Observer Observer
}
