package probes

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

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

func TestOnlyGetAndHead(t *testing.T) {
	s, _ := newTestServer(t, Config{Listen: "off"})
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, httptest.NewRequest(m, "/livez", strings.NewReader("x")))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /livez = %d (Allow %q); want 405", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/livez", nil))
	if rec.Code != 200 {
		t.Errorf("HEAD /livez = %d", rec.Code)
	}
	expect(t, s.handler, "/nothing", 404, "")
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
	s.ChildStarted(1234, clk.now())
	expect(t, s.handler, "/livez", 200, "child running (pid 1234)")
	if m := scrape(t, s.handler, ""); !strings.Contains(m, "otter_entrypoint_child_up 1\n") {
		t.Errorf("child_up is not 1 while the child runs:\n%s", grep(m, "child_up"))
	}
	s.ChildExited(supervisor.ExitStatus{Code: 3}, clk.now())
	expect(t, s.handler, "/livez", 503, "child exited with code 3")
	if st := s.snapshot(); st.phase != phaseExited || st.exit.Code != 3 || st.pid != 1234 {
		t.Errorf("state after ChildExited = %+v", st)
	}
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
