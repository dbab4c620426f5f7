package probes

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"otter-entrypoint/internal/testkit"
	"otter-entrypoint/supervisor"
)

// fakeClock is a settable clock for the server's timestamps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// switchCheck is a readiness check whose result the test sets.
type switchCheck struct {
	mu  sync.Mutex
	err error
	n   int
}

func (c *switchCheck) Name() string { return "switch" }
func (c *switchCheck) Check(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.err
}
func (c *switchCheck) set(err error) { c.mu.Lock(); c.err = err; c.mu.Unlock() }

func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.String()
}

func expect(t *testing.T, h http.Handler, target string, code int, contains string) {
	t.Helper()
	got, body := get(t, h, target)
	if got != code || !strings.Contains(body, contains) {
		t.Fatalf("GET %s = %d %q; want %d containing %q", target, got, body, code, contains)
	}
}

func newTestServer(t *testing.T, cfg Config) (*Server, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	s, err := NewServer(cfg, zaptest.NewLogger(t), clk.now)
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// TestReadinessStateMachine walks starting → ready → not ready → ready →
// stop requested (readyz 503 while livez 200) → exited (livez 503).
func TestReadinessStateMachine(t *testing.T) {
	chk := &switchCheck{err: fmt.Errorf("connection refused")}
	s, clk := newTestServer(t, Config{Listen: "off", Ready: chk})
	h := s.Handler()
	ctx := context.Background()

	expect(t, h, "/livez", 200, "waiting for the child")
	expect(t, h, "/healthz", 200, "waiting for the child")
	expect(t, h, "/readyz", 503, "not ready: child not started yet")
	s.RunCheckNow(ctx) // no child: the check must not run
	if chk.n != 0 {
		t.Fatalf("check ran %d times before the child started", chk.n)
	}

	s.ChildStarted(4242, clk.now())
	expect(t, h, "/livez", 200, "pid 4242")
	expect(t, h, "/readyz", 503, "has not run yet")
	s.RunCheckNow(ctx)
	expect(t, h, "/readyz", 503, "not ready: check switch failed 0s ago: connection refused")
	expect(t, h, "/readyz?verbose", 503, "[+]child: running (pid 4242")
	expect(t, h, "/readyz?verbose", 503, "[-]check switch: failed")

	chk.set(nil)
	clk.add(time.Second)
	s.RunCheckNow(ctx)
	expect(t, h, "/readyz", 200, "ok")
	expect(t, h, "/readyz?verbose", 200, "[+]check switch: passed")
	expect(t, h, "/readyz?verbose", 200, "readyz check passed")

	chk.set(fmt.Errorf("status 503"))
	s.RunCheckNow(ctx)
	expect(t, h, "/readyz", 503, "status 503")
	chk.set(nil)
	s.RunCheckNow(ctx)
	expect(t, h, "/readyz", 200, "ok")

	s.StopRequested(syscall.SIGTERM, clk.now())
	expect(t, h, "/readyz", 503, "not ready: stopping: SIGTERM received")
	expect(t, h, "/livez", 200, "pid 4242")
	runs := chk.n
	s.RunCheckNow(ctx)
	if chk.n != runs {
		t.Error("the check ran after the stop began")
	}
	expect(t, h, "/readyz", 503, "stopping")

	s.ChildExited(supervisor.ExitStatus{Code: 143}, clk.now())
	expect(t, h, "/livez", 503, "child exited with code 143")
	expect(t, h, "/healthz", 503, "exited")
	expect(t, h, "/readyz", 503, "stopping")

	metrics := scrape(t, h, "")
	for _, want := range []string{"otter_entrypoint_ready 0", "otter_entrypoint_child_up 0", "otter_entrypoint_ready_check_failures_total 2",
		"otter_entrypoint_child_start_time_seconds 1.7956944e+09"} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNoneCheckIsReadyOnceTheChildRuns(t *testing.T) {
	s, clk := newTestServer(t, Config{Listen: "127.0.0.1:0", ReadyInterval: time.Hour})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	base := "http://" + s.Addr()
	if code := httpGet(t, base+"/readyz"); code != 503 {
		t.Fatalf("readyz before start = %d", code)
	}
	s.ChildStarted(99, clk.now()) // kicks the loop: no need to wait an interval
	testkit.Eventually(t, "readyz 200", 15*time.Second, func() bool { return httpGet(t, base+"/readyz") == 200 }, nil)
	if m := scrape(t, s.Handler(), ""); !strings.Contains(m, "otter_entrypoint_ready 1\n") || !strings.Contains(m, "otter_entrypoint_child_up 1\n") {
		t.Errorf("metrics after ready:\n%s", grep(m, "otter_entrypoint_"))
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	s, _ := newTestServer(t, Config{Listen: "off"})
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(m, "/livez", strings.NewReader("x")))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /livez = %d (Allow %q); want 405", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/livez", nil))
	if rec.Code != 200 {
		t.Errorf("HEAD /livez = %d", rec.Code)
	}
	expect(t, s.Handler(), "/nothing", 404, "")
}

func TestSignalsAndZombiesMetrics(t *testing.T) {
	s, _ := newTestServer(t, Config{Listen: "off", Version: "1.2.3"})
	s.SignalForwarded(syscall.SIGTERM)
	s.SignalForwarded(syscall.SIGTERM)
	s.SignalForwarded(syscall.SIGHUP)
	s.OrphanReaped(10)
	m := scrape(t, s.Handler(), "")
	for _, want := range []string{
		`otter_entrypoint_signals_forwarded_total{signal="SIGTERM"} 2`,
		`otter_entrypoint_signals_forwarded_total{signal="SIGHUP"} 1`,
		`otter_entrypoint_zombies_reaped_total 1`,
		`otter_entrypoint_build_info{goversion="go`,
		`version="1.2.3"} 1`,
		`otter_entrypoint_jvm_perfdata_available 0`,
		`go_goroutines `,
		`go_memstats_heap_alloc_bytes `,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(m, "otter_java_process_") || strings.Contains(m, "jvm_memory") {
		t.Error("java series present with no child")
	}
}

func TestJavaProcessMetricsFollowTheChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	s, clk := newTestServer(t, Config{Listen: "off"})
	s.ChildStarted(cmd.Process.Pid, clk.now())
	m := scrape(t, s.Handler(), "")
	for _, want := range []string{"otter_java_process_cpu_seconds_total ", "otter_java_process_resident_memory_bytes ",
		"otter_java_process_open_fds ", "otter_java_process_start_time_seconds "} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// A child that died without ChildExited yet: /metrics must still be 200.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	code, _ := get(t, s.Handler(), "/metrics")
	if code != 200 {
		t.Fatalf("/metrics with a dead child = %d", code)
	}
}

func TestMissingPerfDataWarnsOnce(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s, err := NewServer(Config{Listen: "off", PerfDataDir: t.TempDir()}, zap.New(core), clk.now)
	if err != nil {
		t.Fatal(err)
	}
	s.ChildStarted(os.Getpid(), clk.now())
	scrape(t, s.Handler(), "")
	if n := logs.FilterMessageSnippet("hsperfdata").Len(); n != 0 {
		t.Fatalf("%d warnings inside the grace period", n)
	}
	clk.add(perfDataGrace)
	for range 3 {
		if m := scrape(t, s.Handler(), ""); !strings.Contains(m, "otter_entrypoint_jvm_perfdata_available 0\n") {
			t.Fatal("perfdata_available is not 0")
		}
	}
	if n := logs.FilterMessageSnippet("hsperfdata").Len(); n != 1 {
		t.Fatalf("%d warnings after 3 scrapes; want exactly 1", n)
	}
}

func TestOpenMetricsWhenAsked(t *testing.T) {
	s, _ := newTestServer(t, Config{Listen: "off"})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	s.Handler().ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(rec.Body.String(), "# EOF\n") {
		t.Errorf("Content-Type %q, body ends %q", ct, tail(rec.Body.String(), 20))
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("default Content-Type %q", ct)
	}
}

func TestStartFailsWhenThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, _ := newTestServer(t, Config{Listen: ln.Addr().String()})
	err = s.Start()
	if err == nil || !strings.Contains(err.Error(), "ENTRYPOINT_LISTEN") {
		t.Fatalf("Start on a taken port = %v; want an error naming ENTRYPOINT_LISTEN", err)
	}
	if _, err := NewServer(Config{Listen: "9779"}, zap.NewNop(), time.Now); err == nil {
		t.Error("NewServer accepted Listen without a colon")
	}
	if _, err := NewServer(Config{Listen: "off", ReadyInterval: -time.Second}, zap.NewNop(), time.Now); err == nil {
		t.Error("NewServer accepted a negative interval")
	}
}

func TestDisabledServerStillObserves(t *testing.T) {
	s, clk := newTestServer(t, Config{Listen: "off"})
	if err := s.Start(); err != nil || s.Addr() != "" {
		t.Fatalf("Start = %v, Addr %q", err, s.Addr())
	}
	s.ChildStarted(1, clk.now())
	s.ChildExited(supervisor.ExitStatus{Code: 0}, clk.now())
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestProbesAnswerWithHundredsOfSlowClients holds 400 connections that
// send half a request header very slowly, then checks /livez still answers.
func TestProbesAnswerWithHundredsOfSlowClients(t *testing.T) {
	s, clk := newTestServer(t, Config{Listen: "127.0.0.1:0"})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	s.ChildStarted(1, clk.now())
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 400 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatalf("slow client %d: %v", i, err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
	}
	// And a few that read a big answer very slowly (never read).
	for range 20 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprint(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 20 {
		start := time.Now()
		resp, err := client.Get("http://" + s.Addr() + "/livez")
		if err != nil {
			t.Fatalf("probe %d with 420 slow clients: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("probe %d = %d", i, resp.StatusCode)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("probe %d took %s", i, d)
		}
	}
	// The slow header senders are cut off by the read-header timeout.
	c := conns[0]
	_ = c.SetReadDeadline(time.Now().Add(readHeaderTimeout + 5*time.Second))
	_, err := bufio.NewReader(c).ReadString('\n')
	if err == nil {
		// a 408 answer is fine too; what matters is the connection ends
		_, err = io.ReadAll(c)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("a client stuck in its header was not cut off after %s", readHeaderTimeout)
	}
}

func scrape(t testing.TB, h http.Handler, accept string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("/metrics = %d: %s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

func httpGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// TestFirstReadinessDoesNotWaitAWholeInterval: with a long
// ENTRYPOINT_READY_INTERVAL, the check runs every second until it first
// passes, then only at the interval.
func TestFirstReadinessDoesNotWaitAWholeInterval(t *testing.T) {
	check := &switchCheck{err: errors.New("not yet")}
	s, _ := newTestServer(t, Config{Listen: "127.0.0.1:0", Ready: check, ReadyInterval: time.Hour})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	s.ChildStarted(os.Getpid(), time.Now())
	checks := func() int {
		check.mu.Lock()
		defer check.mu.Unlock()
		return check.n
	}
	// The first check at the start, a second one a second later: with a
	// 1 h interval that only happens if start-up checks are frequent.
	testkit.Eventually(t, "a second start-up check", 15*time.Second, func() bool { return checks() >= 2 }, nil)
	check.set(nil)
	testkit.Eventually(t, "readiness once the check passes", 15*time.Second, func() bool {
		code, _ := get(t, s.Handler(), "/readyz")
		return code == http.StatusOK
	}, nil)
	after := checks()
	time.Sleep(2500 * time.Millisecond) // no condition to wait on: the absence of checks is the point
	if n := checks(); n != after {
		t.Errorf("%d more checks within 2.5 s of being ready with a 1 h interval", n-after)
	}
}
