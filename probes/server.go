package probes

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"otter-entrypoint/jvm/hsperf"
	"otter-entrypoint/probes/promtext"
	"otter-entrypoint/supervisor"
)

// Defaults.
const (
	DefaultListen        = ":9779"
	DefaultReadyInterval = 5 * time.Second
	// perfDataGrace: a missing hsperfdata file is only worth a warning
	// once the JVM has had this long to create it.
	perfDataGrace = 15 * time.Second
)

// HTTP server limits: slow or stuck clients cannot hold the probes up.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	metricsInFlight   = 8
)

// Config configures the probes server.
type Config struct {
	// Listen is ENTRYPOINT_LISTEN, e.g. ":9779". "" or "off" disables
	// the server (the Server still works as an Observer). The caller
	// applies the default (DefaultListen) when the variable is unset.
	Listen string
	// Ready is the readiness check (nil: none, ready once the child runs).
	Ready Check
	// ReadyInterval is ENTRYPOINT_READY_INTERVAL (0: 5s).
	ReadyInterval time.Duration
	// ReadyTimeout bounds one check (0: 2s).
	ReadyTimeout time.Duration
	// Version labels otter_entrypoint_build_info.
	Version string
	// PerfDataDir is where the JVM writes hsperfdata_<user>/<pid>
	// ("": /tmp, which HotSpot always uses on Linux).
	PerfDataDir string
}

type phase int

const (
	phaseWaiting phase = iota // the supervisor runs; the child is not started yet
	phaseRunning
	phaseExited
)

// Server serves /livez, /healthz, /readyz and /metrics and implements
// supervisor.Observer, from which it learns the child's state.
type Server struct {
	cfg   Config
	log   *zap.Logger
	now   func() time.Time
	check Check

	handler http.Handler
	srv     *http.Server
	ln      net.Listener

	// metrics
	signals                [65]atomic.Uint64 // by signal number
	zombies, readyFailures atomic.Uint64
	inFlight               chan struct{} // bounds concurrent scrapes
	bootTime               func() float64

	kick chan struct{}

	mu          sync.Mutex
	phase       phase
	pid         int
	startedAt   time.Time
	exit        supervisor.ExitStatus
	stopping    bool
	stopSig     syscall.Signal
	isReady     bool
	everReady   bool // the check passed once since the child started
	checked     bool // a check ran since the child started
	lastErr     error
	lastAt      time.Time
	lastTook    time.Duration
	perfPath    string // cached hsperfdata path for pid
	perfPathPid int
	perfWarned  int // pid the missing-file warning was logged for

	cancel context.CancelFunc
	done   chan struct{}
}

var _ supervisor.Observer = (*Server)(nil)

// NewServer builds the server; nothing listens until Start.
func NewServer(cfg Config, log *zap.Logger, now func() time.Time) (*Server, error) {
	if cfg.ReadyInterval == 0 {
		cfg.ReadyInterval = DefaultReadyInterval
	}
	if cfg.ReadyInterval < 0 {
		return nil, settingErrorf("ENTRYPOINT_READY_INTERVAL=%s: must be positive, e.g. 5s", cfg.ReadyInterval)
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultCheckTimeout
	}
	if cfg.PerfDataDir == "" {
		cfg.PerfDataDir = "/tmp"
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if err := CheckListen(cfg.Listen); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, now: now, check: cfg.Ready, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if s.check == nil {
		s.check = noneCheck{}
	}
	s.inFlight = make(chan struct{}, metricsInFlight)
	s.bootTime = sync.OnceValue(func() float64 {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return 0
		}
		bt, _ := parseBootTime(b)
		return bt
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/livez", s.serveLivez)
	mux.HandleFunc("/healthz", s.serveLivez)
	mux.HandleFunc("/readyz", s.serveReadyz)
	mux.HandleFunc("/metrics", s.serveMetrics)
	s.handler = getOrHead(mux)
	return s, nil
}

// CheckListen checks an ENTRYPOINT_LISTEN value: [host]:port, or empty or
// off to disable the server.
func CheckListen(listen string) error {
	if ListenDisabled(listen) {
		return nil
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return settingErrorf("ENTRYPOINT_LISTEN=%q: not [host]:port (%v); use e.g. :9779, 127.0.0.1:9779, or off", listen, err)
	}
	return nil
}

// ListenDisabled reports whether an ENTRYPOINT_LISTEN value turns the
// server off.
func ListenDisabled(listen string) bool {
	l := strings.TrimSpace(listen)
	return l == "" || strings.EqualFold(l, "off")
}

// Handler is the server's HTTP handler (for tests and benchmarks).
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens (an error if the address is taken) and serves in the
// background, and starts the readiness loop. Call it before the supervisor
// starts the child: it also marks where the log check starts reading.
// With Listen disabled it does nothing.
func (s *Server) Start() error {
	if ListenDisabled(s.cfg.Listen) {
		close(s.done)
		return nil
	}
	if b, ok := s.check.(baseliner); ok {
		if err := b.Begin(); err != nil {
			s.log.Warn("readiness check cannot read its log file yet; will keep trying", zap.String("check", s.check.Name()), zap.Error(err))
		}
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ENTRYPOINT_LISTEN=%q: %w; pick a free port or set ENTRYPOINT_LISTEN=off", s.cfg.Listen, err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          stdLogAt(s.log, zapcore.WarnLevel),
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("probes server stopped", zap.Error(err))
		}
	}()
	go s.readinessLoop(ctx)
	s.log.Info("probes listening", zap.String("address", ln.Addr().String()), zap.String("ready_check", s.check.Name()),
		zap.Duration("ready_interval", s.cfg.ReadyInterval))
	return nil
}

// Addr is the address the server listens on ("" before Start or when
// disabled).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops the readiness loop and the server, waiting for requests in
// progress until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	s.cancel()
	err := s.srv.Shutdown(ctx)
	select {
	case <-s.done:
	case <-ctx.Done():
	}
	return err
}

// ChildStarted implements supervisor.Observer.
func (s *Server) ChildStarted(pid int, at time.Time) {
	s.mu.Lock()
	s.phase, s.pid, s.startedAt = phaseRunning, pid, at
	s.isReady, s.checked, s.lastErr, s.everReady = false, false, nil, false
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// ChildExited implements supervisor.Observer.
func (s *Server) ChildExited(status supervisor.ExitStatus, at time.Time) {
	s.mu.Lock()
	s.phase, s.exit, s.isReady = phaseExited, status, false
	s.mu.Unlock()
}

// StopRequested implements supervisor.Observer: /readyz turns 503 at once.
func (s *Server) StopRequested(sig syscall.Signal, at time.Time) {
	s.mu.Lock()
	s.stopping, s.stopSig, s.isReady = true, sig, false
	s.mu.Unlock()
}

// SignalForwarded implements supervisor.Observer.
func (s *Server) SignalForwarded(sig syscall.Signal) {
	if sig >= 1 && int(sig) < len(s.signals) {
		s.signals[sig].Add(1)
	}
}

// OrphanReaped implements supervisor.Observer.
func (s *Server) OrphanReaped(pid int) { s.zombies.Add(1) }

func (s *Server) readinessLoop(ctx context.Context) {
	defer close(s.done)
	timer := time.NewTimer(s.nextCheckIn())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-timer.C:
		}
		s.runCheck(ctx)
		timer.Reset(s.nextCheckIn())
	}
}

// startupCheckInterval is how often the readiness check runs until it has
// passed once after the child started: a pod becomes ready about when Otter
// does, not up to a whole ENTRYPOINT_READY_INTERVAL later.
const startupCheckInterval = time.Second

func (s *Server) nextCheckIn() time.Duration {
	s.mu.Lock()
	everReady := s.everReady
	s.mu.Unlock()
	if !everReady && s.cfg.ReadyInterval > startupCheckInterval {
		return startupCheckInterval
	}
	return s.cfg.ReadyInterval
}

// runCheck runs the readiness check once if the child runs and no stop
// has begun, and records the result.
func (s *Server) runCheck(ctx context.Context) {
	s.mu.Lock()
	pid, run := s.pid, s.phase == phaseRunning && !s.stopping
	s.mu.Unlock()
	if !run {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	start := s.now()
	err := s.check.Check(cctx)
	timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded)
	cancel()
	end := s.now()
	if err != nil && timedOut {
		err = fmt.Errorf("timed out after %s: %w", s.cfg.ReadyTimeout, err)
	}
	if err != nil {
		s.readyFailures.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pid != pid || s.phase != phaseRunning {
		return
	}
	was := s.isReady
	s.checked, s.lastErr, s.lastAt, s.lastTook = true, err, end, end.Sub(start)
	s.isReady = err == nil && !s.stopping
	s.everReady = s.everReady || s.isReady
	switch {
	case s.isReady && !was:
		s.log.Info("ready", zap.String("check", s.check.Name()), zap.Duration("since_start", end.Sub(s.startedAt)))
	case !s.isReady && was:
		s.log.Warn("not ready any more", zap.String("check", s.check.Name()), zap.Error(err))
	}
}

// RunCheckNow runs the readiness check at once (for tests and for callers
// that know something changed).
func (s *Server) RunCheckNow(ctx context.Context) { s.runCheck(ctx) }

func (s *Server) serveLivez(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ph, pid, exit := s.phase, s.pid, s.exit
	s.mu.Unlock()
	switch ph {
	case phaseWaiting:
		writeText(w, http.StatusOK, "ok: waiting for the child to start")
	case phaseRunning:
		writeText(w, http.StatusOK, fmt.Sprintf("ok: child running (pid %d)", pid))
	default:
		writeText(w, http.StatusServiceUnavailable, "child "+exit.String())
	}
}

func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ph, pid, exit, stopping, sig := s.phase, s.pid, s.exit, s.stopping, s.stopSig
	checked, lastErr, lastAt, lastTook, ready, started := s.checked, s.lastErr, s.lastAt, s.lastTook, s.isReady, s.startedAt
	s.mu.Unlock()
	now := s.now()

	type line struct {
		ok   bool
		name string
		text string
	}
	var lines []line
	switch ph {
	case phaseWaiting:
		lines = append(lines, line{false, "child", "not started yet"})
	case phaseRunning:
		lines = append(lines, line{true, "child", fmt.Sprintf("running (pid %d, for %s)", pid, now.Sub(started).Round(time.Second))})
	default:
		lines = append(lines, line{false, "child", exit.String()})
	}
	switch {
	case !checked:
		lines = append(lines, line{false, "check " + s.check.Name(), "has not run yet"})
	case lastErr != nil:
		lines = append(lines, line{false, "check " + s.check.Name(), fmt.Sprintf("failed %s ago: %v", now.Sub(lastAt).Round(time.Millisecond), lastErr)})
	default:
		lines = append(lines, line{true, "check " + s.check.Name(), fmt.Sprintf("passed %s ago in %s", now.Sub(lastAt).Round(time.Millisecond), lastTook.Round(time.Microsecond))})
	}
	if stopping {
		lines = append(lines, line{false, "stopping", sigName(sig) + " received"})
	} else {
		lines = append(lines, line{true, "stopping", "no"})
	}
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	if _, verbose := r.URL.Query()["verbose"]; verbose {
		var b strings.Builder
		for _, l := range lines {
			mark := "[-]"
			if l.ok {
				mark = "[+]"
			}
			fmt.Fprintf(&b, "%s%s: %s\n", mark, l.name, l.text)
		}
		if ready {
			b.WriteString("readyz check passed")
		} else {
			b.WriteString("readyz check failed")
		}
		writeText(w, code, b.String())
		return
	}
	if ready {
		writeText(w, code, "ok")
		return
	}
	// The one-line reason: the first thing that is not ok, in order of
	// importance (a stop beats a failing check).
	reason := ""
	if stopping {
		reason = "stopping: " + sigName(sig) + " received"
	} else {
		for _, l := range lines {
			if !l.ok {
				reason = l.name + " " + l.text
				break
			}
		}
	}
	writeText(w, code, "not ready: "+reason)
}

func writeText(w http.ResponseWriter, code int, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(strings.ReplaceAll(text, "\r", "") + "\n"))
}

// getOrHead answers 405 to every method but GET and HEAD.
func getOrHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeText(w, http.StatusMethodNotAllowed, "method not allowed: use GET or HEAD")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serveMetrics answers /metrics: Prometheus text, or OpenMetrics when the
// scraper asks for it. More than metricsInFlight scrapes at once get 503.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	select {
	case s.inFlight <- struct{}{}:
		defer func() { <-s.inFlight }()
	default:
		writeText(w, http.StatusServiceUnavailable, "too many scrapes in flight; try again")
		return
	}
	format := promtext.Negotiate(r.Header.Get("Accept"))
	body := s.gather(format)
	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// gather writes every metric in format f. The gauges of the child's state
// are read from the server's state at scrape time, so they can never
// disagree with /livez and /readyz.
func (s *Server) gather(f promtext.Format) []byte {
	s.mu.Lock()
	running, pid, started, ready, took := s.phase == phaseRunning, s.pid, s.startedAt, s.isReady, s.lastTook
	s.mu.Unlock()
	w := promtext.NewWriter(f)
	w.Family("otter_entrypoint_build_info", promtext.Gauge, "Version of the entrypoint and of the Go that built it; always 1.")
	w.Sample("otter_entrypoint_build_info", 1, "goversion", runtime.Version(), "version", s.cfg.Version)
	w.Gauge("otter_entrypoint_child_up", "1 while the child (java) runs, else 0.", boolFloat(running))
	startTime := 0.0
	if !started.IsZero() {
		startTime = float64(started.UnixNano()) / 1e9
	}
	w.Gauge("otter_entrypoint_child_start_time_seconds", "Start time of the child since the Unix epoch, in seconds (0 before it starts).", startTime)
	w.Gauge("otter_entrypoint_ready", "1 while /readyz answers 200, else 0.", boolFloat(ready))
	w.Gauge("otter_entrypoint_ready_check_duration_seconds", "How long the last readiness check took, in seconds.", took.Seconds())
	w.Counter("otter_entrypoint_ready_check_failures_total", "Readiness checks that failed.", float64(s.readyFailures.Load()))
	w.Counter("otter_entrypoint_zombies_reaped_total", "Processes other than the child that the entrypoint reaped.", float64(s.zombies.Load()))
	w.Family("otter_entrypoint_signals_forwarded_total", promtext.Counter, "Signals forwarded to the child, by signal.")
	for n := range s.signals {
		if v := s.signals[n].Load(); v > 0 {
			w.Sample("otter_entrypoint_signals_forwarded_total", float64(v), "signal", sigName(syscall.Signal(n)))
		}
	}

	var snap *hsperf.Snapshot
	if running {
		snap = s.readPerfData(pid, started)
	}
	w.Gauge("otter_entrypoint_jvm_perfdata_available", "1 when the child's hsperfdata file could be read (jvm_* series present), else 0.", boolFloat(snap != nil))
	if snap != nil {
		hsperf.WriteMetrics(w, hsperf.Summarize(snap))
	}
	if running {
		if st, err := readProcStat("/proc", strconv.Itoa(pid)); err == nil {
			writeProcess(w, "otter_java_process", st, s.bootTime())
		}
	}
	if st, err := readProcStat("/proc", "self"); err == nil {
		writeProcess(w, "process", st, s.bootTime())
	}
	writeGo(w)
	return w.Bytes()
}

// readPerfData reads the hsperfdata file of the running child pid, started
// at started, or returns nil. A missing or unreadable file is logged once
// per child, after the JVM had time to create it.
func (s *Server) readPerfData(pid int, started time.Time) *hsperf.Snapshot {
	s.mu.Lock()
	path := ""
	if s.perfPathPid == pid {
		path = s.perfPath
	}
	s.mu.Unlock()
	if path == "" {
		path = FindPerfData(s.cfg.PerfDataDir, pid)
	}
	var (
		snap *hsperf.Snapshot
		err  error
	)
	if path != "" {
		snap, err = hsperf.ReadFile(path)
	} else {
		err = fmt.Errorf("no %s/hsperfdata_*/%d file", s.cfg.PerfDataDir, pid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.perfPath, s.perfPathPid = path, pid
		return snap
	}
	if s.perfPathPid == pid {
		s.perfPath = "" // look again next time
	}
	if s.perfWarned != pid && s.now().Sub(started) >= perfDataGrace && !errors.Is(err, hsperf.ErrNotAccessible) {
		s.perfWarned = pid
		s.log.Warn("cannot read the JVM's hsperfdata; jvm_* metrics are absent (is java run with -XX:-UsePerfData or -XX:+PerfDisableSharedMem, or is /tmp read-only? give /tmp an emptyDir)",
			zap.Int("pid", pid), zap.Error(err))
	}
	return nil
}

// FindPerfData returns the hsperfdata file of pid under dir
// (dir/hsperfdata_<user>/<pid>, whatever the user), or "".
func FindPerfData(dir string, pid int) string {
	matches, _ := filepath.Glob(filepath.Join(dir, "hsperfdata_*", strconv.Itoa(pid)))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
			return m
		}
	}
	return ""
}

// sigName is a signal's name with its SIG prefix ("SIGTERM"), or its number.
func sigName(sig syscall.Signal) string {
	n := supervisor.SignalName(sig)
	if n == "" || (n[0] >= '0' && n[0] <= '9') {
		return n
	}
	return "SIG" + n
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// stdLogAt is a standard-library logger that writes to log at level, for
// net/http's own errors. (zap.IncreaseLevel would print a non-JSON error
// line when the logger's level is already above level.)
func stdLogAt(log *zap.Logger, level zapcore.Level) *stdlog.Logger {
	l, err := zap.NewStdLogAt(log, level)
	if err != nil { // only for an invalid level
		return zap.NewStdLog(log)
	}
	return l
}
