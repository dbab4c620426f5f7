// Package supervisor runs one command as the main child of a PID 1: it
// forwards signals to it, reaps every process re-parented to us, stops the
// child within a bounded grace period and reports its exit status.
//
// # Signals and stopping
//
// Notify installs the signal handlers as early as the program can; every
// signal then arrives on Signals.C, and classify decides what it asks for:
// TERM and INT stop the child, CHLD reaps, every other forwardable signal
// (HUP, QUIT, USR1, ...; see isForwardable) goes to the child unchanged,
// and the rest (TTIN, TTOU, URG, ...) is dropped. Supervisor.Run goes
// through three phases, each acting on classify's answer; what a TERM does
// depends on the phase it arrives in:
//
//   - beforeStart, until the child starts: signals already pending when Run
//     begins are taken first, then Config.BeforeStart (the dependency wait)
//     runs. A TERM or INT here, even one received before Run was called,
//     cancels BeforeStart, and Run returns 128+signal with StopRequested
//     and the child never started. Forwardable signals are held and
//     delivered as soon as the child exists.
//   - supervise, while the child runs: a TERM or INT is forwarded at once
//     (to the child, or its process group with Config.SignalGroup), then
//     Observer.StopRequested is told (the probes turn unready) and a timer
//     of Config.StopTimeout starts (none when zero). If the child is still
//     there when it fires, its whole process group gets KILL
//     (Result.Killed). Further TERMs are forwarded without restarting the
//     timer. The phase ends when the child has been reaped; Result.Code is
//     its shell code (128+signal when a signal ended it), with
//     Config.SuccessCodes mapped to 0.
//   - drain, once the child has exited: the processes it left behind (found
//     in /proc) get TERM, and KILL after Config.DrainTimeout, because the
//     kernel kills them all abruptly the moment PID 1 exits. With nothing
//     left, which is the usual case, Run returns at once.
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
	// StopRequested is called when a TERM or INT starts the graceful stop.
	StopRequested(sig syscall.Signal, at time.Time)
	// SignalForwarded is called for every signal delivered to the child.
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
	// StopTimeout is how long the child may take to exit after TERM/INT
	// before its process group is killed.
	StopTimeout time.Duration
	// DrainTimeout is how long processes left after the main child exits
	// get after TERM before they are killed.
	DrainTimeout time.Duration
	// SignalGroup forwards signals to the child's whole process group
	// instead of the child alone.
	SignalGroup bool
	// SuccessCodes are shell exit codes of the child reported as 0.
	SuccessCodes []int
	// BeforeStart, when set, runs after signal handling is in place and
	// before the child starts (waiting for dependencies). A TERM or INT
	// cancels its context and Run then returns 128+signal without starting
	// the child; one already received when Run begins keeps it from being
	// called at all. An error it returns is returned by Run.
	BeforeStart func(ctx context.Context) error
	// Observer is told about starts, exits, stops, signals and reaps.
	Observer Observer
}
