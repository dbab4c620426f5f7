// Package supervisor runs one command as the main child of a PID 1: it
// forwards signals to it, reaps every process re-parented to us, stops the
// child within a bounded grace period and reports its exit status.
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
