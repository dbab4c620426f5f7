package supervisor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestShellCode(t *testing.T) {
	cases := []struct {
		st   ExitStatus
		want int
	}{
		{ExitStatus{Code: 0}, 0},
		{ExitStatus{Code: 42}, 42},
		{ExitStatus{Code: 255}, 255},
		{ExitStatus{Signal: syscall.SIGTERM}, 143},
		{ExitStatus{Signal: syscall.SIGKILL}, 137},
		{ExitStatus{Signal: syscall.SIGQUIT}, 131},
		{ExitStatus{Signal: syscall.SIGINT}, 130},
	}
	for _, tc := range cases {
		if got := tc.st.ShellCode(); got != tc.want {
			t.Errorf("%v.ShellCode() = %d, want %d", tc.st, got, tc.want)
		}
	}
}

func TestForwardableSet(t *testing.T) {
	never := []syscall.Signal{syscall.SIGCHLD, syscall.SIGURG, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGSEGV,
		syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGABRT,
		syscall.SIGKILL, syscall.SIGSTOP}
	for _, s := range never {
		if isForwardable(s) {
			t.Errorf("%v is forwardable", s)
		}
	}
	for _, s := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGTSTP, syscall.SIGPIPE, 35, 64} {
		if !isForwardable(s) {
			t.Errorf("%v is not forwardable", s)
		}
	}
}

// TestClassify pins what each signal asks of the supervisor, in every phase.
func TestClassify(t *testing.T) {
	want := map[syscall.Signal]action{
		syscall.SIGTERM: actStop, syscall.SIGINT: actStop,
		syscall.SIGCHLD: actReap,
		// QUIT is passed on, not a stop: java dumps its threads.
		syscall.SIGQUIT: actForward, syscall.SIGUSR1: actForward, syscall.SIGPIPE: actForward,
		syscall.SIGWINCH: actForward, syscall.SIGCONT: actForward, syscall.SIGTSTP: actForward, 35: actForward, 64: actForward,
		syscall.SIGTTIN: actIgnore, syscall.SIGTTOU: actIgnore, syscall.SIGURG: actIgnore, syscall.SIGPROF: actIgnore,
		syscall.SIGSEGV: actIgnore, syscall.SIGABRT: actIgnore, syscall.SIGSTKFLT: actIgnore, 32: actIgnore, 33: actIgnore, 34: actIgnore,
	}
	name := map[action]string{actIgnore: "ignore", actReap: "reap", actStop: "stop", actForward: "forward"}
	for _, hup := range []bool{false, true} {
		for sig, w := range want {
			if got := classify(sig, hup); got != w {
				t.Errorf("classify(%s, %v) = %s, want %s", SignalName(sig), hup, name[got], name[w])
			}
		}
	}
	// HUP: a stop for a JVM (HangupStops), passed on for any other command.
	if got := classify(syscall.SIGHUP, true); got != actStop {
		t.Errorf("classify(HUP, true) = %s, want stop", name[got])
	}
	if got := classify(syscall.SIGHUP, false); got != actForward {
		t.Errorf("classify(HUP, false) = %s, want forward", name[got])
	}
}

func TestSignalName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGQUIT: "QUIT", 35: "RTMIN+3"} {
		if got := SignalName(sig); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", int(sig), got, want)
		}
	}
}

// TestDescendantsListsTheWholeTree: descendants finds children and
// grandchildren, and nothing else.
func TestDescendantsListsTheWholeTree(t *testing.T) {
	cmd := exec.Command("sh", "-c", `sleep 60 & echo $!; wait`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	grandchild := 0
	defer func() {
		// Killing the sleep lets the shell's wait reap it and the shell
		// exit, so that no orphan is left for a later test's reaper.
		if grandchild == 0 || syscall.Kill(grandchild, syscall.SIGKILL) != nil {
			_ = cmd.Process.Kill()
		}
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if grandchild, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
		t.Fatalf("sh printed %q", line)
	}
	pids, scanned := descendants(os.Getpid())
	if !scanned {
		t.Fatal("/proc was not scanned")
	}
	slices.Sort(pids)
	want := []int{cmd.Process.Pid, grandchild}
	slices.Sort(want)
	if !slices.Equal(pids, want) {
		t.Errorf("descendants = %v, want the shell and its sleep %v", pids, want)
	}
}

// recordingObserver records what the supervisor tells it.
type recordingObserver struct {
	// startedC, when set, is closed once the main child has started.
	startedC chan struct{}

	mu      sync.Mutex
	started int
	exited  []ExitStatus
	stops   []syscall.Signal
	fwd     []syscall.Signal
	orphans int
}

func (o *recordingObserver) ChildStarted(pid int, at time.Time) {
	o.mu.Lock()
	o.started = pid
	o.mu.Unlock()
	if o.startedC != nil {
		close(o.startedC)
	}
}
func (o *recordingObserver) ChildExited(st ExitStatus, at time.Time) {
	o.mu.Lock()
	o.exited = append(o.exited, st)
	o.mu.Unlock()
}
func (o *recordingObserver) StopRequested(sig syscall.Signal, at time.Time) {
	o.mu.Lock()
	o.stops = append(o.stops, sig)
	o.mu.Unlock()
}
func (o *recordingObserver) SignalForwarded(sig syscall.Signal) {
	o.mu.Lock()
	o.fwd = append(o.fwd, sig)
	o.mu.Unlock()
}
func (o *recordingObserver) OrphanReaped(pid int) { o.mu.Lock(); o.orphans++; o.mu.Unlock() }

// childSignals receives only SIGCHLD for real; tests inject other signals
// into C directly.
func childSignals(t *testing.T) *Signals {
	s := &Signals{C: make(chan os.Signal, 4096)}
	signal.Notify(s.C, syscall.SIGCHLD)
	t.Cleanup(s.Stop)
	return s
}

// runAsync runs s in the background; the result arrives on the channel.
func runAsync(s *Supervisor, sigs *Signals) <-chan runResult {
	done := make(chan runResult, 1)
	go func() {
		res, err := s.Run(sigs)
		done <- runResult{res, err}
	}()
	return done
}

type runResult struct {
	res Result
	err error
}

// await returns Run's result, failing the test if it takes over a minute
// (a hang: every test's child ends or is stopped well before).
func await(t *testing.T, done <-chan runResult) Result {
	t.Helper()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
		return r.res
	case <-time.After(time.Minute):
		t.Fatal("Run did not return")
	}
	return Result{}
}

// TestMainChildStatusAmidOrphans: while the main child leaves 300 orphans
// behind, which the supervisor reaps with wait4(-1) as they exit, the main
// child's own status is still the one reported (a naive Go reaper loses it
// to ECHILD) and every orphan is reaped and reported exactly once.
func TestMainChildStatusAmidOrphans(t *testing.T) {
	const orphans = 300
	core, logs := observer.New(zap.DebugLevel)
	obs := &recordingObserver{}
	sigs := childSignals(t)
	// Each shell started in the loop leaves its sleep to us and exits; they
	// run side by side, so many exits (and coalesced CHLDs) meet.
	script := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do sh -c 'sleep 0.01 & exit 3' & i=$((i+1)); done; wait; exit 42`, orphans)
	s := New(Config{Path: "sh", Args: []string{"-c", script}, DrainTimeout: 10 * time.Second, Observer: obs},
		zap.New(core), time.Now)
	res := await(t, runAsync(s, sigs))
	if !res.Started || res.Code != 42 || res.Status != (ExitStatus{Code: 42}) || res.StopRequested || res.Killed {
		t.Errorf("result %+v, want the main child's own exit code 42", res)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.exited) != 1 || obs.exited[0] != (ExitStatus{Code: 42}) {
		t.Errorf("observer told of exits %v, want one with code 42", obs.exited)
	}
	if obs.orphans != orphans {
		t.Errorf("%d orphans reaped, want %d", obs.orphans, orphans)
	}
	if n := logs.FilterMessage("child exited").Len(); n != 1 {
		t.Errorf("the exit is logged %d times, want once", n)
	}
}

// awaitStart waits until obs was told that the child started.
func awaitStart(t *testing.T, obs *recordingObserver) {
	t.Helper()
	select {
	case <-obs.startedC:
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not start")
	}
}

// TestTermStopsRunningChild: TERM is forwarded to the running child and
// reported as a stop once; TTIN, which the supervisor only receives so that
// it cannot be stopped by it, is neither forwarded nor a stop.
func TestTermStopsRunningChild(t *testing.T) {
	sigs := childSignals(t)
	obs := &recordingObserver{startedC: make(chan struct{})}
	s := New(Config{Path: "sleep", Args: []string{"30"}, StopTimeout: 20 * time.Second, DrainTimeout: time.Second,
		Observer: obs}, zap.NewNop(), time.Now)
	done := runAsync(s, sigs)
	awaitStart(t, obs)
	sigs.C <- syscall.SIGTTIN
	sigs.C <- syscall.SIGTERM
	res := await(t, done)
	if !res.Started || !res.StopRequested || res.Killed || res.Code != 143 || res.Status.Signal != syscall.SIGTERM {
		t.Errorf("result %+v, want the child stopped by the forwarded TERM (143)", res)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Equal(obs.stops, []syscall.Signal{syscall.SIGTERM}) || !slices.Equal(obs.fwd, []syscall.Signal{syscall.SIGTERM}) {
		t.Errorf("observer: stops %v, forwarded %v; want TERM once in each", obs.stops, obs.fwd)
	}
}

// TestOtherSignalsAreOnlyForwarded: a forwardable signal other than TERM
// and INT (here USR1, whose default ends sleep) reaches the child but is
// not a stop request.
func TestOtherSignalsAreOnlyForwarded(t *testing.T) {
	sigs := childSignals(t)
	obs := &recordingObserver{startedC: make(chan struct{})}
	s := New(Config{Path: "sleep", Args: []string{"30"}, DrainTimeout: time.Second, Observer: obs}, zap.NewNop(), time.Now)
	done := runAsync(s, sigs)
	awaitStart(t, obs)
	sigs.C <- syscall.SIGUSR1
	res := await(t, done)
	if res.StopRequested || res.Code != 128+int(syscall.SIGUSR1) || res.Status.Signal != syscall.SIGUSR1 {
		t.Errorf("result %+v, want the child killed by the forwarded USR1 without a stop", res)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.stops) != 0 || !slices.Equal(obs.fwd, []syscall.Signal{syscall.SIGUSR1}) {
		t.Errorf("observer: stops %v, forwarded %v; want no stop and USR1 forwarded", obs.stops, obs.fwd)
	}
}

// TestStopTimeoutKillsProcessGroup: a child that ignores TERM is killed,
// with its process group, once StopTimeout has passed; a second TERM is
// forwarded but does not restart the stop.
func TestStopTimeoutKillsProcessGroup(t *testing.T) {
	sigs := childSignals(t)
	obs := &recordingObserver{startedC: make(chan struct{})}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The shell ignores TERM, says so, and waits on a sleep in its process
	// group that inherits the ignored TERM: were the sleep not killed with
	// the group, the drain would wait its whole DrainTimeout for it.
	s := New(Config{Path: "sh", Args: []string{"-c", `trap "" TERM; echo ready; sleep 60`}, Stdout: w,
		StopTimeout: 300 * time.Millisecond, DrainTimeout: 40 * time.Second, Observer: obs}, zap.NewNop(), time.Now)
	done := runAsync(s, sigs)
	awaitStart(t, obs)
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	start := time.Now()
	sigs.C <- syscall.SIGTERM
	sigs.C <- syscall.SIGTERM
	res := await(t, done)
	if !res.StopRequested || !res.Killed || res.Code != 137 || res.Status.Signal != syscall.SIGKILL {
		t.Errorf("result %+v, want the child killed after the stop timeout (137)", res)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 30*time.Second {
		t.Errorf("Run returned %v after TERM, want the stop timeout (300ms) and no drain timeout (40s)", took)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.stops) != 1 || len(obs.fwd) != 2 {
		t.Errorf("observer: stops %v, forwarded %v; want one stop and both TERMs forwarded", obs.stops, obs.fwd)
	}
}

// TestStopPendingBeforeRun: a TERM or INT that reached the process before
// Run (while the caller rendered files or ran java -version) ends Run with
// 128+N before anything starts, whether or not there is a BeforeStart.
func TestStopPendingBeforeRun(t *testing.T) {
	for _, tc := range []struct {
		name        string
		sig         syscall.Signal
		beforeStart bool
	}{
		{"TERM", syscall.SIGTERM, false},
		{"INT", syscall.SIGINT, false},
		{"TERM with BeforeStart", syscall.SIGTERM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sigs := &Signals{C: make(chan os.Signal, 4096)}
			signal.Notify(sigs.C, syscall.SIGCHLD, tc.sig)
			defer sigs.Stop()
			if err := syscall.Kill(os.Getpid(), tc.sig); err != nil {
				t.Fatal(err)
			}
			// Take the signal as delivered and put it back, so that it is
			// certainly pending when Run begins.
			select {
			case got := <-sigs.C:
				if got != tc.sig {
					t.Fatalf("received %v, want %v", got, tc.sig)
				}
				sigs.C <- got
			case <-time.After(10 * time.Second):
				t.Fatalf("%v never arrived", tc.sig)
			}

			witness := filepath.Join(t.TempDir(), "started")
			obs := &recordingObserver{}
			cfg := Config{Path: "touch", Args: []string{witness}, DrainTimeout: time.Second, Observer: obs}
			var waited atomic.Bool
			if tc.beforeStart {
				cfg.BeforeStart = func(ctx context.Context) error {
					waited.Store(true)
					<-ctx.Done()
					return ctx.Err()
				}
			}
			res := await(t, runAsync(New(cfg, zap.NewNop(), time.Now), sigs))
			if want := (Result{Code: 128 + int(tc.sig), StopRequested: true}); res != want {
				t.Errorf("result %+v, want %+v", res, want)
			}
			if _, err := os.Stat(witness); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the child ran (stat %s: %v)", witness, err)
			}
			if waited.Load() {
				t.Errorf("BeforeStart ran although the stop was already requested")
			}
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if obs.started != 0 || !slices.Equal(obs.stops, []syscall.Signal{tc.sig}) {
				t.Errorf("observer: started pid %d, stops %v; want no start and one %v stop", obs.started, obs.stops, tc.sig)
			}
		})
	}
}

func TestBeforeStartStoppedBySignal(t *testing.T) {
	sigs := childSignals(t)
	obs := &recordingObserver{}
	entered := make(chan struct{})
	s := New(Config{Path: "true", Observer: obs, BeforeStart: func(ctx context.Context) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}}, zap.NewNop(), time.Now)
	done := make(chan Result, 1)
	go func() {
		res, err := s.Run(sigs)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	<-entered
	sigs.C <- syscall.SIGUSR1 // held for the child, which never starts
	sigs.C <- syscall.SIGTERM
	select {
	case res := <-done:
		if res.Code != 143 || res.Started || !res.StopRequested {
			t.Errorf("result %+v, want 143 without a start", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("TERM did not end the wait")
	}
	if obs.started != 0 || len(obs.fwd) != 0 {
		t.Errorf("a child was started or signalled: %+v", obs)
	}
}

func TestBeforeStartHeldSignalsReachChild(t *testing.T) {
	sigs := childSignals(t)
	obs := &recordingObserver{}
	release := make(chan struct{})
	s := New(Config{Path: "sleep", Args: []string{"30"}, Observer: obs, DrainTimeout: time.Second,
		BeforeStart: func(ctx context.Context) error {
			<-release
			return nil
		}}, zap.NewNop(), time.Now)
	done := make(chan Result, 1)
	go func() {
		res, _ := s.Run(sigs)
		done <- res
	}()
	sigs.C <- syscall.SIGHUP // arrives before the child exists
	close(release)
	select {
	case res := <-done:
		if res.Status.Signal != syscall.SIGHUP || res.Code != 129 {
			t.Errorf("result %+v, want the child killed by the held HUP (129)", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the held HUP never reached the child")
	}
}

func TestBeforeStartError(t *testing.T) {
	sigs := childSignals(t)
	want := errors.New("dependency unreachable")
	s := New(Config{Path: "true", BeforeStart: func(ctx context.Context) error { return want }}, zap.NewNop(), time.Now)
	if _, err := s.Run(sigs); !errors.Is(err, want) {
		t.Errorf("Run error %v, want %v", err, want)
	}
}

func TestStartErrorCodes(t *testing.T) {
	sigs := childSignals(t)
	for path, want := range map[string]int{"/no/such/file": 127, "no-such-command-otter": 127, "/etc": 126} {
		_, err := New(Config{Path: path}, zap.NewNop(), time.Now).Run(sigs)
		var se *StartError
		if !errors.As(err, &se) || se.ExitCode() != want {
			t.Errorf("Run(%q) error %v, want a StartError with code %d", path, err, want)
		}
	}
}

func TestNotifyHandlesEverySignalOnceWaitReturns(t *testing.T) {
	// Notify installs its handlers in the background; after Wait every
	// forwardable signal, and CHLD, must reach C instead of the runtime's
	// default (which would end the test binary for TERM, HUP or QUIT).
	sigs := Notify()
	sigs.Wait()
	defer sigs.Stop()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGWINCH, syscall.Signal(40), syscall.SIGCHLD} {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(5 * time.Second)
	wait:
		for {
			select {
			case got := <-sigs.C:
				if got == sig {
					break wait
				}
			case <-deadline:
				t.Fatalf("%v never reached Signals.C", sig)
			}
		}
	}
}

// TestForwardUndeliveredIsNotCounted: a signal that does not reach the
// child is neither logged nor counted as forwarded.
func TestForwardUndeliveredIsNotCounted(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil { // waited for: the process is done
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	obs := &recordingObserver{}
	s := New(Config{Observer: obs}, zap.New(core), time.Now)
	// (Not in group mode: with the pid reaped, a group of that id could be
	// a stranger's; the supervisor never signals a reaped child.)
	if s.forward(&child{cmd: cmd, pid: cmd.Process.Pid}, syscall.SIGUSR1) {
		t.Errorf("forward reported a signal to an exited child as delivered")
	}
	if n := logs.FilterMessage("signal forwarded").Len(); n != 0 || len(obs.fwd) != 0 {
		t.Errorf("logged %d times and counted %v as forwarded", n, obs.fwd)
	}
}
