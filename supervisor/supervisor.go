package supervisor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// Supervisor runs one main child. Create it with New and call Run once.
//
// While Run is active it waits for every child of the program (it reaps
// every process re-parented to it), so nothing else in the program may
// start and wait for a process of its own meanwhile.
type Supervisor struct {
	cfg Config
	log *zap.Logger
	now func() time.Time
	r   *reaper
}

// New returns a Supervisor for cfg. log and now must not be nil.
func New(cfg Config, log *zap.Logger, now func() time.Time) *Supervisor {
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return &Supervisor{cfg: cfg, log: log, now: now, r: newReaper()}
}

// nopObserver stands in for a nil Config.Observer.
type nopObserver struct{}

func (nopObserver) ChildStarted(int, time.Time)             {}
func (nopObserver) ChildExited(ExitStatus, time.Time)       {}
func (nopObserver) StopRequested(syscall.Signal, time.Time) {}
func (nopObserver) SignalForwarded(syscall.Signal)          {}
func (nopObserver) OrphanReaped(int)                        {}

// StartError reports that the child could not be started. Its ExitCode
// follows the shell: 127 when the command is not found, 126 when it is
// found but cannot be executed.
type StartError struct {
	Path string
	Err  error
}

func (e *StartError) Error() string {
	switch e.ExitCode() {
	case 127:
		return "command not found: " + e.Path + ": " + e.Err.Error() + " (check the command name and PATH)"
	case 126:
		return "command not executable: " + e.Path + ": " + e.Err.Error() + " (check its permissions and format)"
	}
	return "cannot start " + e.Path + ": " + e.Err.Error()
}

func (e *StartError) Unwrap() error { return e.Err }

// ExitCode is 127 for a missing command, 126 for one that cannot run.
func (e *StartError) ExitCode() int {
	if errors.Is(e.Err, exec.ErrNotFound) || errors.Is(e.Err, syscall.ENOENT) {
		return 127
	}
	return 126 // found, but not runnable: EACCES, ENOEXEC, EISDIR, ...
}

// Run runs the child to its end and returns how it ended. It becomes the
// child subreaper when it is not PID 1, runs BeforeStart, starts the child,
// forwards signals, reaps orphans, stops the child on a stop signal within
// StopTimeout and drains the processes left when the child has exited.
// A stop signal received before the child starts, even before Run was
// called, ends Run with 128+signal and the child is never started.
func (s *Supervisor) Run(sigs *Signals) (Result, error) {
	s.becomeReaper()
	closeOnExec()
	sigs.Wait() // every handler in place before anything is started

	// Phase 1: before start. A stop signal, whether it arrived before Run
	// or during BeforeStart, ends Run here; other signals wait for the child.
	stop, held, err := s.beforeStart(sigs)
	if stop != 0 {
		return Result{Code: 128 + int(stop), StopRequested: true}, nil
	}
	if err != nil {
		return Result{}, err
	}

	// Phase 2: start the child in its own process group.
	cmd := exec.Command(s.cfg.Path, s.cfg.Args...)
	cmd.Env = s.cfg.Env
	cmd.Dir = s.cfg.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.cfg.Stdin, s.cfg.Stdout, s.cfg.Stderr
	if cmd.Stdin == nil {
		cmd.Stdin = os.Stdin
	}
	if cmd.Stdout == nil {
		cmd.Stdout = os.Stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	// Should the supervisor itself die (kill -9 of it, or signal 32 or 34,
	// which a static Go program cannot catch, when it is not PID 1), the
	// child gets TERM rather than being orphaned. The signal is sent when
	// the thread that started the child exits, and Go exits no thread the
	// program has not locked.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if f, ok := cmd.Stdin.(*os.File); ok && s.cfg.Foreground && isTerminal(f) {
		// Give the child the terminal so job control and Ctrl-C work.
		cmd.SysProcAttr.Foreground = true
		cmd.SysProcAttr.Ctty = 0
	}
	if cmd.Err != nil {
		return Result{}, &StartError{Path: s.cfg.Path, Err: cmd.Err}
	}
	exited, err := s.r.start(cmd)
	if err != nil {
		return Result{}, &StartError{Path: s.cfg.Path, Err: unwrapExecErr(err)}
	}
	startedAt := s.now()
	pid := cmd.Process.Pid
	s.log.Info("child started", zap.Int("pid", pid), zap.String("path", cmd.Path))
	s.cfg.Observer.ChildStarted(pid, startedAt)
	c := &child{cmd: cmd, pid: pid, group: s.cfg.SignalGroup}
	for _, sig := range held {
		s.forward(c, sig)
	}
	// A child that exits before the first SIGCHLD reaches us is reaped here.
	s.r.reap(s)

	res, err := s.supervise(sigs, c, exited, startedAt)
	s.drain(sigs)
	return res, err
}

// beforeStart runs until the child may start. It first takes the signals
// already pending, so that a stop requested while the caller was still
// preparing (rendering files, probing java) is seen before anything starts,
// with or without a BeforeStart. It then runs BeforeStart, which a TERM or
// INT cancels, and finally takes what arrived as BeforeStart returned. It
// returns the first stop signal (0: none), the forwardable signals held for
// the child, and BeforeStart's error.
func (s *Supervisor) beforeStart(sigs *Signals) (stop syscall.Signal, held []syscall.Signal, err error) {
	cancel := func() {} // ends BeforeStart once it runs
	handle := func(osig os.Signal) {
		sig := osig.(syscall.Signal)
		switch s.classify(sig) {
		case actReap:
			s.r.reap(s)
		case actStop:
			if stop == 0 {
				stop = sig
				s.log.Info("stop requested before the child started", zap.String("signal", SignalName(sig)))
				s.cfg.Observer.StopRequested(sig, s.now())
				cancel()
			}
		case actForward:
			held = append(held, sig)
		}
	}
	handlePending := func() {
		for _, osig := range sigs.takeKept() { // what Guard kept, in order, first
			handle(osig)
		}
		for {
			select {
			case osig := <-sigs.C:
				handle(osig)
			default:
				return
			}
		}
	}

	handlePending()
	if stop != 0 || s.cfg.BeforeStart == nil {
		return stop, held, nil
	}
	ctx, cancelCtx := context.WithCancel(context.Background())
	defer cancelCtx()
	cancel = cancelCtx
	done := make(chan error, 1)
	go func() { done <- s.cfg.BeforeStart(ctx) }()
	for {
		select {
		case err = <-done:
			handlePending()
			return stop, held, err
		case osig := <-sigs.C:
			handle(osig)
		}
	}
}

type child struct {
	cmd   *exec.Cmd
	pid   int
	group bool
	done  bool
}

func (s *Supervisor) supervise(sigs *Signals, c *child, exited <-chan ExitStatus, startedAt time.Time) (Result, error) {
	var (
		res       = Result{Started: true}
		stopTimer <-chan time.Time
		stopAt    time.Time
	)
	for {
		select {
		case st := <-exited:
			c.done = true
			// Flush the I/O copying goroutines os/exec starts when the
			// streams are not files; its wait error (ECHILD: we reaped the
			// child ourselves) is expected.
			_ = c.cmd.Wait()
			c.cmd.Process.Release()
			at := s.now()
			fields := []zap.Field{zap.Int("pid", c.pid), zap.String("status", st.String()),
				zap.Int("code", st.ShellCode()), zap.Duration("ran", at.Sub(startedAt))}
			if !stopAt.IsZero() {
				fields = append(fields, zap.Duration("since_stop", at.Sub(stopAt)))
			}
			s.log.Info("child exited", fields...)
			s.cfg.Observer.ChildExited(st, at)
			res.Status = st
			res.Code = s.mapCode(st.ShellCode())
			return res, nil
		case <-stopTimer:
			stopTimer = nil
			res.Killed = true
			s.log.Warn("child did not exit within the stop timeout; killing it and its process group",
				zap.Int("pid", c.pid), zap.Duration("stop_timeout", s.cfg.StopTimeout),
				zap.Duration("waited", s.now().Sub(stopAt)))
			s.kill(c)
		case osig := <-sigs.C:
			sig := osig.(syscall.Signal)
			switch s.classify(sig) {
			case actReap:
				s.r.reap(s)
			case actStop:
				// Forward first: the child's shutdown should not wait for
				// our bookkeeping and logging.
				delivered := s.forward(c, sig)
				if !res.StopRequested {
					res.StopRequested = true
					stopAt = s.now()
					msg := "stop requested; forwarded to the child"
					if !delivered {
						msg = "stop requested; the signal did not reach the child (it is exiting, or see the warning above)"
					}
					s.log.Info(msg, zap.String("signal", SignalName(sig)), zap.Int("pid", c.pid),
						zap.Duration("stop_timeout", s.cfg.StopTimeout))
					s.cfg.Observer.StopRequested(sig, stopAt)
					if s.cfg.StopTimeout > 0 {
						stopTimer = time.After(s.cfg.StopTimeout)
					}
				}
			case actForward:
				s.forward(c, sig)
			}
		}
	}
}

// classify is the package's classify with the configuration applied, and
// with the signals that are dropped said so: a fault signal sent with kill
// is logged (it is never forwarded), and a PIPE raised by the entrypoint's
// own write to a closed stdout or stderr is not passed on as if someone
// had sent it (stdioBroken).
func (s *Supervisor) classify(sig syscall.Signal) action {
	a := classify(sig, s.cfg.HangupStops)
	switch {
	case isFault(sig):
		s.log.Warn("signal ignored: fault signals sent with kill are neither forwarded nor acted on",
			zap.String("signal", SignalName(sig)))
	case sig == syscall.SIGPIPE && a == actForward && stdioBroken():
		s.log.Debug("PIPE not forwarded: stdout or stderr is closed, so it was raised by the entrypoint's own write")
		return actIgnore
	}
	return a
}

// forward delivers sig to the child, or to its process group, and reports
// whether the child got it. Only a delivered signal is logged and counted
// as forwarded.
func (s *Supervisor) forward(c *child, sig syscall.Signal) bool {
	if c.done {
		return false
	}
	var err error
	leads := false
	if c.group {
		// The group id is the child's pid (Setpgid); the child has not been
		// reaped yet (c.done is false), so the id cannot have been reused.
		pgid, gerr := unix.Getpgid(c.pid)
		leads = gerr == nil && pgid == c.pid
	}
	if leads {
		err = unix.Kill(-c.pid, sig)
	} else {
		// os.Process signals through a pidfd: never a recycled pid.
		err = c.cmd.Process.Signal(sig)
		if c.group {
			// The child left the group it led: it got the signal above,
			// and what is left of its group gets it too.
			_ = unix.Kill(-c.pid, sig)
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrProcessDone) || errors.Is(err, unix.ESRCH) {
			s.log.Debug("signal not forwarded: the child has exited", zap.String("signal", SignalName(sig)), zap.Int("pid", c.pid))
			return false
		}
		s.log.Warn("cannot forward the signal to the child", zap.String("signal", SignalName(sig)), zap.Int("pid", c.pid), zap.Error(err))
		return false
	}
	s.log.Debug("signal forwarded", zap.String("signal", SignalName(sig)), zap.Int("pid", c.pid), zap.Bool("group", leads))
	s.cfg.Observer.SignalForwarded(sig)
	return true
}

// kill sends KILL to the child itself, wherever it moved (another process
// group or session), and to the process group it was started in. What it
// started elsewhere is left to the drain, once the child has been reaped.
func (s *Supervisor) kill(c *child) {
	if c.done {
		return
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, unix.ESRCH) {
		s.log.Error("kill the child", zap.Int("pid", c.pid), zap.Error(err))
	}
	if err := unix.Kill(-c.pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		s.log.Error("kill the child's process group", zap.Int("pgid", c.pid), zap.Error(err))
	}
}

func (s *Supervisor) mapCode(code int) int {
	for _, c := range s.cfg.SuccessCodes {
		if c == code {
			return 0
		}
	}
	return code
}

// orphanReaped is called by the reaper for every process that was not
// registered (an orphan re-parented to us).
func (s *Supervisor) orphanReaped(pid int, st ExitStatus) {
	s.log.Debug("orphan reaped", zap.Int("pid", pid), zap.String("status", st.String()))
	s.cfg.Observer.OrphanReaped(pid)
}

// becomeReaper makes orphans re-parent to us when we are not PID 1.
func (s *Supervisor) becomeReaper() {
	if os.Getpid() == 1 {
		return
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		s.log.Warn("cannot become a child subreaper; orphaned processes will not be reaped by the entrypoint",
			zap.Error(err))
	}
}

func unwrapExecErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// closeOnExec marks every descriptor above stderr close-on-exec, so none
// that the supervisor inherited leaks into the child.
func closeOnExec() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}
