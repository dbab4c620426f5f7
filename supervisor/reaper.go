package supervisor

import (
	"errors"
	"os/exec"

	"golang.org/x/sys/unix"
)

// reaper is the only code in the program that waits for child processes.
// The main child is registered as soon as it is started, before reap can
// run again (both happen on Run's goroutine), so its status goes to its
// channel; every other reaped process is an orphan.
type reaper struct {
	child  int             // the main child's pid until it is reaped; 0 otherwise
	exited chan ExitStatus // receives the main child's status
}

func newReaper() *reaper { return &reaper{} }

// start starts cmd and registers it; the returned channel receives its
// status once it has been reaped.
func (r *reaper) start(cmd *exec.Cmd) (<-chan ExitStatus, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.child, r.exited = cmd.Process.Pid, make(chan ExitStatus, 1)
	return r.exited, nil
}

// reap collects every child that has exited, until none is left to collect
// (several exits may arrive as one SIGCHLD). It reports whether the
// supervisor has no children at all any more.
func (r *reaper) reap(s *Supervisor) (noChildren bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil { // ECHILD: nothing left to wait for
			return true
		}
		if pid <= 0 {
			return false
		}
		st := exitStatusOfUnix(ws)
		if pid == r.child {
			r.child = 0
			r.exited <- st
			continue
		}
		s.orphanReaped(pid, st)
	}
}

func exitStatusOfUnix(ws unix.WaitStatus) ExitStatus {
	switch {
	case ws.Signaled():
		return ExitStatus{Signal: ws.Signal()}
	case ws.Exited():
		return ExitStatus{Code: ws.ExitStatus()}
	}
	return ExitStatus{Code: int(ws)}
}
