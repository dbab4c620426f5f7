package probes

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"otter-entrypoint/supervisor"
)

// Defaults.
const (
	DefaultListen        = ":9779"
	DefaultReadyInterval = 5 * time.Second
)

// HTTP server limits: slow or stuck clients cannot hold the probes up.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
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
	// Collectors are more collectors /metrics serves (the manager's
	// Otter statistics). A scrape waits on their Collect: they must
	// answer from memory.
	Collectors []prometheus.Collector
	// LivenessStall is ENTRYPOINT_LIVENESS_STALL (0: off): /livez answers
	// 503 once java has looked hung for this long (see stalled).
	LivenessStall time.Duration
}

// Server serves /livez, /healthz, /readyz and /metrics and implements
// supervisor.Observer, from which it learns the child's state.
type Server struct {
	cfg   Config
	log   *zap.Logger
	now   func() time.Time
	check Check
	// after is the readiness loop's timer (time.After); tests replace it
	// to drive the loop without waiting.
	after func(time.Duration) <-chan time.Time

	handler  http.Handler
	registry *prometheus.Registry
	srv      *http.Server
	ln       net.Listener

	// Counters the Observer methods and the readiness loop update.
	signalsForwarded *prometheus.CounterVec
	zombiesReaped    prometheus.Counter
	readyFailures    prometheus.Counter

	kick chan struct{} // runs a check at once (the child started)

	mu sync.Mutex
	st state

	cancel context.CancelFunc
	done   chan struct{}

	progress  *progress // the JVM's tick counter, for LivenessStall
	stallMu   sync.Mutex
	stallPid  int
	stallHung bool
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
	if err := CheckLivenessStall(cfg.LivenessStall, cfg.ReadyInterval); err != nil {
		return nil, err
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if err := CheckListen(cfg.Listen); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, now: now, check: cfg.Ready, after: time.After,
		kick: make(chan struct{}, 1), done: make(chan struct{}), progress: &progress{file: &perfFile{dir: cfg.PerfDataDir}}}
	if s.check == nil {
		s.check = noneCheck{}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/livez", s.serveLivez)
	mux.HandleFunc("/healthz", s.serveLivez)
	mux.HandleFunc("/readyz", s.serveReadyz)
	mux.Handle("/metrics", s.metricsHandler())
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
	s.st.phase, s.st.pid, s.st.startedAt = phaseRunning, pid, at
	s.st.ready, s.st.checked, s.st.lastErr, s.st.everReady, s.st.parts = false, false, nil, false, nil
	s.st.notReadySince = at
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// ChildExited implements supervisor.Observer.
func (s *Server) ChildExited(status supervisor.ExitStatus, at time.Time) {
	s.mu.Lock()
	s.st.phase, s.st.exit, s.st.ready, s.st.parts = phaseExited, status, false, nil
	s.mu.Unlock()
}

// StopRequested implements supervisor.Observer: /readyz turns 503 at once.
func (s *Server) StopRequested(sig syscall.Signal, at time.Time) {
	s.mu.Lock()
	s.st.stopping, s.st.stopSig, s.st.ready = true, sig, false
	s.mu.Unlock()
}

// SignalForwarded implements supervisor.Observer.
func (s *Server) SignalForwarded(sig syscall.Signal) {
	s.signalsForwarded.WithLabelValues(sigName(sig)).Inc()
}

// OrphanReaped implements supervisor.Observer.
func (s *Server) OrphanReaped(pid int) { s.zombiesReaped.Inc() }

// snapshot is a copy of the child's state.
func (s *Server) snapshot() state {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

func (s *Server) serveLivez(w http.ResponseWriter, r *http.Request) {
	st := s.snapshot()
	switch st.phase {
	case phaseWaiting:
		writeText(w, http.StatusOK, "ok: waiting for the child to start")
	case phaseRunning:
		why := s.stalled(st, s.now())
		s.logStall(st.pid, why)
		if why != "" {
			writeText(w, http.StatusServiceUnavailable, "hung: "+why)
			return
		}
		writeText(w, http.StatusOK, fmt.Sprintf("ok: child running (pid %d)", st.pid))
	default:
		writeText(w, http.StatusServiceUnavailable, "child "+st.exit.String())
	}
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

// sigName is a signal's name with its SIG prefix ("SIGTERM"), or its number.
func sigName(sig syscall.Signal) string {
	n := supervisor.SignalName(sig)
	if n == "" || (n[0] >= '0' && n[0] <= '9') {
		return n
	}
	return "SIG" + n
}

// stdLogAt is a standard-library logger that writes to log at level, for
// net/http's and promhttp's own errors. (zap.IncreaseLevel would print a
// non-JSON error line when the logger's level is already above level.)
func stdLogAt(log *zap.Logger, level zapcore.Level) *stdlog.Logger {
	l, err := zap.NewStdLogAt(log, level)
	if err != nil { // only for an invalid level
		return zap.NewStdLog(log)
	}
	return l
}
