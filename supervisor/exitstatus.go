package supervisor

import (
	"fmt"
	"syscall"
)

// ExitStatus is how the main child ended: an exit code, or a signal.
type ExitStatus struct {
	Code   int            // exit code when Signal is 0
	Signal syscall.Signal // the signal that killed the child, or 0
}

// ShellCode is the status as a shell reports it: the code, or 128+signal.
func (e ExitStatus) ShellCode() int {
	if e.Signal != 0 {
		return (128 + int(e.Signal)) & 0xff
	}
	return e.Code & 0xff
}

func (e ExitStatus) String() string {
	if e.Signal != 0 {
		return fmt.Sprintf("killed by signal %d (%s)", int(e.Signal), SignalName(e.Signal))
	}
	return fmt.Sprintf("exited with code %d", e.Code)
}

// Result is what Run reports.
type Result struct {
	// Status is how the child ended (zero if it never started).
	Status ExitStatus
	// Code is the exit code the supervisor should exit with: the child's
	// shell code with SuccessCodes mapped to 0, or 128+signal when a stop
	// signal arrived before the child started.
	Code int
	// Started is true when the child was started.
	Started bool
	// StopRequested is true when a stop signal (TERM, INT; HUP with
	// Config.HangupStops) asked for the stop.
	StopRequested bool
	// Killed is true when the child outlived the stop timeout and was killed.
	Killed bool
}
