package probes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/internal/testkit"
)

// TestARealPrometheusScrapesUs runs Debian's Prometheus server against the
// probes server: it negotiates OpenMetrics, parses the scrape with its own
// parser, and the values can be queried back.
func TestARealPrometheusScrapesUs(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		testkit.MissingTool(t, "prometheus not installed (apt-get install prometheus): %v", err)
	}
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()

	s, err := NewServer(Config{Listen: "off", Version: "9.9.9"}, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.ChildStarted(child.Process.Pid, time.Now())
	s.SignalForwarded(syscall.SIGTERM)
	s.SignalForwarded(syscall.SIGQUIT)
	s.SignalForwarded(syscall.SIGQUIT)

	var mu sync.Mutex
	var accepts, served []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handler.ServeHTTP(w, r)
		mu.Lock()
		accepts = append(accepts, r.Header.Get("Accept"))
		served = append(served, w.Header().Get("Content-Type"))
		mu.Unlock()
	}))
	defer target.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n  - job_name: otter\n    static_configs: [{targets: [%q]}]\n",
		strings.TrimPrefix(target.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testkit.FreePorts(t, 1)[0]
	api := "http://127.0.0.1:" + strconv.Itoa(port)
	prom := exec.Command(promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+strconv.Itoa(port))
	var promLog testkit.SyncBuffer
	prom.Stdout, prom.Stderr = &promLog, &promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = prom.Process.Kill(); _ = prom.Wait() }()

	// Wait for a successful scrape and the samples of that scrape.
	query := func(q string) (float64, bool) {
		var res struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		if json.NewDecoder(resp.Body).Decode(&res) != nil || len(res.Data.Result) != 1 {
			return 0, false
		}
		v, err := strconv.ParseFloat(fmt.Sprint(res.Data.Result[0].Value[1]), 64)
		return v, err == nil
	}
	testkit.Eventually(t, "a successful scrape by Prometheus", 60*time.Second, func() bool {
		if v, ok := query(`up{job="otter"}`); !ok || v != 1 {
			return false
		}
		_, ok := query(`otter_entrypoint_child_up`)
		return ok
	}, promLog.Bytes)

	for q, want := range map[string]float64{
		`otter_entrypoint_signals_forwarded_total{signal="SIGQUIT"}`: 2,
		`otter_entrypoint_signals_forwarded_total{signal="SIGTERM"}`: 1,
		`otter_entrypoint_child_up`:                                  1,
		`otter_entrypoint_build_info{version="9.9.9"}`:               1,
		`scrape_samples_post_metric_relabeling{job="otter"} > 40`:    0, // presence only
	} {
		v, ok := query(q)
		if !ok || (want != 0 && v != want) {
			t.Errorf("%s = %v (found %v), want %v", q, v, ok, want)
		}
	}
	if v, ok := query(`otter_java_process_open_fds`); !ok || v < 3 {
		t.Errorf("otter_java_process_open_fds = %v, %v", v, ok)
	}
	if _, ok := query(`go_gc_duration_seconds_count`); !ok {
		t.Error("go_gc_duration_seconds_count is absent")
	}

	mu.Lock()
	defer mu.Unlock()
	if len(accepts) == 0 || !strings.Contains(accepts[0], "application/openmetrics-text") || !strings.HasPrefix(served[0], "application/openmetrics-text") {
		t.Errorf("Prometheus asked %q and got %q; want OpenMetrics negotiated", accepts, served)
	}
}
