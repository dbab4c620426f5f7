package supervisor

import (
	"os"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// drain stops what is left once the main child has exited: when PID 1 (or a
// subreaper) exits, the kernel kills every process left at once, so they get
// TERM first and DrainTimeout to finish, then KILL.
func (s *Supervisor) drain(sigs *Signals) {
	if s.r.reap(s) {
		return // no children left: the common case, and the fast one
	}
	start := s.now()
	pids, scanned := descendants(os.Getpid())
	s.log.Info("main child exited; stopping the processes it left",
		zap.Int("processes", len(pids)), zap.Duration("drain_timeout", s.cfg.DrainTimeout))
	for _, pid := range pids {
		_ = unix.Kill(pid, unix.SIGTERM)
	}
	deadline := time.After(s.cfg.DrainTimeout)
	for {
		select {
		case osig := <-sigs.C:
			// Only reaping matters now: there is no child to forward to.
			if classify(osig.(syscall.Signal), s.cfg.HangupStops) == actReap && s.r.reap(s) {
				s.log.Info("remaining processes exited", zap.Duration("took", s.now().Sub(start)))
				return
			}
		case <-deadline:
			s.killRemaining(sigs, start, scanned)
			return
		}
	}
}

// killRemaining KILLs every descendant still alive and reaps them, within a
// bounded time: a process that forks while it is being killed is caught by
// the next round.
func (s *Supervisor) killRemaining(sigs *Signals, start time.Time, scanned bool) {
	pids, _ := descendants(os.Getpid())
	s.log.Warn("processes still running after the drain timeout; killing them",
		zap.Int("processes", len(pids)), zap.Duration("waited", s.now().Sub(start)), zap.Bool("process_list", scanned))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(2 * time.Second)
	for {
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		if s.r.reap(s) {
			s.log.Info("remaining processes killed", zap.Duration("took", s.now().Sub(start)))
			return
		}
		select {
		case <-sigs.C:
		case <-tick.C:
		case <-giveUp:
			s.log.Error("some processes could not be reaped; exiting anyway")
			return
		}
		pids, _ = descendants(os.Getpid())
	}
}

// descendants lists every process below root, read from /proc. scanned is
// false when /proc does not belong to our PID namespace (then nothing is
// listed: signalling pids from another namespace would hit strangers).
func descendants(root int) (pids []int, scanned bool) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, false
	}
	if self, err := fs.Self(); err != nil || self.PID != root {
		return nil, false // /proc/self names someone else, or no one
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return nil, false
	}
	children := make(map[int][]int)
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil {
			continue // exited meanwhile
		}
		children[st.PPID] = append(children[st.PPID], p.PID)
	}
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			pids = append(pids, c)
			queue = append(queue, c)
		}
	}
	return pids, true
}
