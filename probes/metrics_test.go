package probes

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"otter-entrypoint/jvm/hsperf"
	"otter-entrypoint/supervisor"
)

func TestSignalsAndZombiesMetrics(t *testing.T) {
	s, _ := newTestServer(t, Config{Listen: "off", Version: "1.2.3"})
	s.SignalForwarded(syscall.SIGTERM)
	s.SignalForwarded(syscall.SIGTERM)
	s.SignalForwarded(syscall.SIGHUP)
	s.OrphanReaped(10)
	m := scrape(t, s.handler, "")
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

// gather gathers s's registry; an error there (a collector's) fails the
// test even though the handler would serve the rest.
func gather(t testing.TB, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := s.registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	m := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		m[mf.GetName()] = mf
	}
	return m
}

// javaProcessFamilies lists the otter_java_process_* families present.
func javaProcessFamilies(mfs map[string]*dto.MetricFamily) []string {
	var names []string
	for n := range mfs {
		if strings.HasPrefix(n, "otter_java_process_") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// TestJavaProcessMetricsFollowTheChild: the otter_java_process_* series
// are there while the child runs and absent, without a gather error, when
// there is none: not started, dead but not yet reported, exited.
func TestJavaProcessMetricsFollowTheChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	s, clk := newTestServer(t, Config{Listen: "off"})
	if got := javaProcessFamilies(gather(t, s)); len(got) != 0 {
		t.Errorf("before the child starts: %v", got)
	}
	s.ChildStarted(cmd.Process.Pid, clk.now())
	mfs := gather(t, s)
	for _, want := range []string{"otter_java_process_cpu_seconds_total", "otter_java_process_resident_memory_bytes",
		"otter_java_process_open_fds", "otter_java_process_max_fds", "otter_java_process_start_time_seconds"} {
		if mfs[want] == nil {
			t.Errorf("no %s while the child runs", want)
		}
	}
	// The child's own figures, not the entrypoint's: sleep's start time
	// is its own, at or after this test's.
	javaStart := mfs["otter_java_process_start_time_seconds"].GetMetric()[0].GetGauge().GetValue()
	selfStart := mfs["process_start_time_seconds"].GetMetric()[0].GetGauge().GetValue()
	if javaStart < selfStart {
		t.Errorf("otter_java_process_start_time_seconds %v is before the entrypoint's own %v", javaStart, selfStart)
	}

	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if got := javaProcessFamilies(gather(t, s)); len(got) != 0 {
		t.Errorf("with a dead child not yet reported: %v", got)
	}
	if code, _ := get(t, s.handler, "/metrics"); code != 200 {
		t.Fatalf("/metrics with a dead child = %d", code)
	}
	s.ChildExited(supervisor.ExitStatus{Signal: syscall.SIGKILL}, clk.now())
	if got := javaProcessFamilies(gather(t, s)); len(got) != 0 {
		t.Errorf("after the child exited: %v", got)
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
	scrape(t, s.handler, "")
	if n := logs.FilterMessageSnippet("hsperfdata").Len(); n != 0 {
		t.Fatalf("%d warnings inside the grace period", n)
	}
	clk.add(perfDataGrace)
	for range 3 {
		if m := scrape(t, s.handler, ""); !strings.Contains(m, "otter_entrypoint_jvm_perfdata_available 0\n") {
			t.Fatal("perfdata_available is not 0")
		}
	}
	if n := logs.FilterMessageSnippet("hsperfdata").Len(); n != 1 {
		t.Fatalf("%d warnings after 3 scrapes; want exactly 1", n)
	}
}

// TestMetricsFormats: OpenMetrics when asked for, else the classic text
// format; never compressed, even when the scraper offers gzip as
// Prometheus does.
func TestMetricsFormats(t *testing.T) {
	s, _ := newTestServer(t, Config{Listen: "off"})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	req.Header.Set("Accept-Encoding", "gzip")
	s.handler.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(rec.Body.String(), "# EOF\n") {
		t.Errorf("Content-Type %q, body ends %q", ct, tail(rec.Body.String(), 20))
	}
	if ce := rec.Header().Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding %q; want none", ce)
	}
	rec = httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("default Content-Type %q", ct)
	}
}

// jvmFixture is the hsperfdata file of a JDK 17 with G1, captured by the
// hsperf package's tests.
const jvmFixture = "../jvm/hsperf/testdata/jdk17-g1.hsperf"

// fixedJVM collects a given JVM summary with the server's jvm_* families.
type fixedJVM struct{ j hsperf.JVM }

func (f fixedJVM) Describe(ch chan<- *prometheus.Desc) { (&jvmCollector{}).Describe(ch) }
func (f fixedJVM) Collect(ch chan<- prometheus.Metric) { collectJVM(ch, f.j) }

// gatherJVM collects j with a pedantic registry, which also checks each
// metric against the families described.
func gatherJVM(t testing.TB, j hsperf.JVM) (map[string]*dto.MetricFamily, error) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(fixedJVM{j})
	mfs, err := reg.Gather()
	m := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		m[mf.GetName()] = mf
	}
	return m, err
}

// TestJVMMetricsNamesTypesAndValues reads a captured hsperfdata file the
// way a scrape does (the file found under PerfDataDir by the child's pid)
// and checks the families client_java's dashboards expect.
func TestJVMMetricsNamesTypesAndValues(t *testing.T) {
	b, err := os.ReadFile(jvmFixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const pid = 4321
	if err := os.MkdirAll(filepath.Join(dir, "hsperfdata_otter"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hsperfdata_otter", strconv.Itoa(pid)), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, clk := newTestServer(t, Config{Listen: "off", PerfDataDir: dir})
	s.ChildStarted(pid, clk.now())
	mfs := gather(t, s)

	types := map[string]dto.MetricType{
		"otter_entrypoint_jvm_perfdata_available": dto.MetricType_GAUGE,
		"jvm_memory_used_bytes":                   dto.MetricType_GAUGE,
		"jvm_memory_committed_bytes":              dto.MetricType_GAUGE,
		"jvm_memory_max_bytes":                    dto.MetricType_GAUGE,
		"jvm_memory_pool_used_bytes":              dto.MetricType_GAUGE,
		"jvm_memory_pool_committed_bytes":         dto.MetricType_GAUGE,
		"jvm_memory_pool_max_bytes":               dto.MetricType_GAUGE,
		"jvm_gc_collection_seconds":               dto.MetricType_SUMMARY,
		"jvm_threads_current":                     dto.MetricType_GAUGE,
		"jvm_threads_daemon":                      dto.MetricType_GAUGE,
		"jvm_threads_peak":                        dto.MetricType_GAUGE,
		"jvm_threads_started_total":               dto.MetricType_COUNTER,
		"jvm_classes_currently_loaded":            dto.MetricType_GAUGE,
		"jvm_classes_loaded_total":                dto.MetricType_COUNTER,
		"jvm_classes_unloaded_total":              dto.MetricType_COUNTER,
		"jvm_info":                                dto.MetricType_GAUGE,
	}
	for name, typ := range types {
		if mf := mfs[name]; mf == nil || mf.GetType() != typ {
			t.Errorf("%s = %v; want a %v", name, mf, typ)
		}
	}
	if v, _ := value(mfs, "otter_entrypoint_jvm_perfdata_available"); v != 1 {
		t.Errorf("perfdata_available = %v", v)
	}
	if v, _ := value(mfs, "jvm_threads_daemon"); v != 7 {
		t.Errorf("jvm_threads_daemon = %v; the fixture has 7", v)
	}
	for _, area := range []string{"heap", "nonheap"} {
		if _, ok := value(mfs, "jvm_memory_used_bytes", "area", area); !ok {
			t.Errorf(`no jvm_memory_used_bytes{area=%q}`, area)
		}
	}
	for _, pool := range []string{"G1 Eden Space", "G1 Survivor Space", "G1 Old Gen", "Metaspace", "Compressed Class Space"} {
		if _, ok := value(mfs, "jvm_memory_pool_used_bytes", "pool", pool); !ok {
			t.Errorf(`no jvm_memory_pool_used_bytes{pool=%q}`, pool)
		}
	}
	for _, gc := range []string{"G1 Young Generation", "G1 Old Generation", "G1 Concurrent GC"} {
		if _, ok := value(mfs, "jvm_gc_collection_seconds_count", "gc", gc); !ok {
			t.Errorf(`no jvm_gc_collection_seconds{gc=%q}`, gc)
		}
	}
	// The help texts say where the figures come from.
	if h := mfs["jvm_memory_max_bytes"].GetHelp(); h != "Max bytes of a given JVM memory area (from hsperfdata; -1 if undefined)." {
		t.Errorf("jvm_memory_max_bytes help %q", h)
	}
	if h := mfs["jvm_memory_pool_used_bytes"].GetHelp(); h != "Used bytes of a given JVM memory pool (from hsperfdata)." {
		t.Errorf("jvm_memory_pool_used_bytes help %q", h)
	}
}

// TestJVMMetricsRepeatedNamesKeepOneSeries: a garbled file may name two
// pools or collectors alike; two series with the same labels would fail
// the scrape, so the first one is kept.
func TestJVMMetricsRepeatedNamesKeepOneSeries(t *testing.T) {
	j := hsperf.JVM{
		Pools: []hsperf.Pool{{Name: "Eden", Usage: hsperf.Usage{Used: 1}}, {Name: "Eden", Usage: hsperf.Usage{Used: 2}}},
		GCs:   []hsperf.GC{{Name: "G1", Count: 1}, {Name: "G1", Count: 2}},
	}
	mfs, err := gatherJVM(t, j)
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if n := len(mfs["jvm_memory_pool_used_bytes"].GetMetric()); n != 1 {
		t.Errorf("%d pool series, want 1", n)
	}
	if v, _ := value(mfs, "jvm_memory_pool_used_bytes", "pool", "Eden"); v != 1 {
		t.Errorf("pool Eden used = %v; want the first pool's 1", v)
	}
	if n := len(mfs["jvm_gc_collection_seconds"].GetMetric()); n != 1 {
		t.Errorf("%d gc series, want 1", n)
	}
	if v, _ := value(mfs, "jvm_gc_collection_seconds_count", "gc", "G1"); v != 1 {
		t.Errorf("gc G1 count = %v; want the first collector's 1", v)
	}
}

// TestJVMMetricsFromAGarbledFile garbles both collector names of a real
// file into invalid UTF-8: they become the same replacement character,
// and the scrape still succeeds with one series for them.
func TestJVMMetricsFromAGarbledFile(t *testing.T) {
	b, err := os.ReadFile(jvmFixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"G1 young collection pauses", "G1 full collection pauses"} {
		i := bytes.Index(b, []byte(name+"\x00"))
		if i < 0 {
			t.Fatalf("fixture lacks the collector name %q", name)
		}
		copy(b[i:], "\xff\xfe\x00")
	}
	snap, err := hsperf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := gatherJVM(t, hsperf.Summarize(snap))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	gcs := map[string]bool{}
	for _, m := range mfs["jvm_gc_collection_seconds"].GetMetric() {
		gcs[m.GetLabel()[0].GetValue()] = true
	}
	if !gcs["\uFFFD"] || !gcs["G1 Concurrent GC"] || len(gcs) != 2 {
		t.Errorf("gc labels %q; want the garbled pair as one U+FFFD series and G1 Concurrent GC", slices.Sorted(maps.Keys(gcs)))
	}
}

// FuzzJVMMetrics: whatever an hsperfdata file holds, its metrics gather
// without error (valid UTF-8 labels, no duplicate series).
func FuzzJVMMetrics(f *testing.F) {
	paths, _ := filepath.Glob("../jvm/hsperf/testdata/*.hsperf")
	if len(paths) == 0 {
		f.Fatal("no hsperfdata fixtures")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		snap, err := hsperf.Parse(b)
		if err != nil {
			return
		}
		if _, err := gatherJVM(t, hsperf.Summarize(snap)); err != nil {
			t.Fatalf("gather: %v", err)
		}
	})
}
