package probes

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"otter-entrypoint/jvm/hsperf"
)

const (
	// metricsInFlight bounds concurrent scrapes; more get 503.
	metricsInFlight = 8
	// metricsTimeout bounds one scrape (503 after it).
	metricsTimeout = 5 * time.Second
	// perfDataGrace: a missing hsperfdata file is only worth a warning
	// once the JVM has had this long to create it.
	perfDataGrace = 15 * time.Second
)

// errNoChild is the java process collector's "nothing to report": with
// ReportErrors off its otter_java_process_* series are then absent.
var errNoChild = errors.New("java child not running")

// metricsHandler builds the server's registry and counters and returns
// the /metrics handler.
func (s *Server) metricsHandler() http.Handler {
	s.signalsForwarded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "otter_entrypoint_signals_forwarded_total",
		Help: "Signals forwarded to the child, by signal.",
	}, []string{"signal"})
	s.zombiesReaped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "otter_entrypoint_zombies_reaped_total",
		Help: "Processes other than the child that the entrypoint reaped.",
	})
	s.readyFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "otter_entrypoint_ready_check_failures_total",
		Help: "Readiness checks that failed.",
	})
	s.registry = prometheus.NewRegistry()
	s.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: "otter_java", PidFn: s.childPID}),
		s.signalsForwarded, s.zombiesReaped, s.readyFailures,
		stateCollector{s},
		&jvmCollector{file: s.progress.file, state: s.snapshot, now: s.now, log: s.log},
	)
	s.registry.MustRegister(s.cfg.Collectors...)
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		MaxRequestsInFlight: metricsInFlight,
		Timeout:             metricsTimeout,
		EnableOpenMetrics:   true,
		// A scrape is small and travels inside the pod network: gzip
		// costs more (CPU, and a flate writer's state allocated again
		// after each GC empties the pool) than the bytes it saves.
		DisableCompression: true,
		ErrorLog:           stdLogAt(s.log, zapcore.ErrorLevel),
		// A collector's error must not cost the scrape the other series.
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// childPID is the running child's pid for the java process collector.
func (s *Server) childPID() (int, error) {
	st := s.snapshot()
	if st.phase != phaseRunning {
		return 0, errNoChild
	}
	return st.pid, nil
}

var (
	buildInfoDesc = prometheus.NewDesc("otter_entrypoint_build_info",
		"Version of the entrypoint and of the Go that built it; always 1.", []string{"goversion", "version"}, nil)
	childUpDesc = prometheus.NewDesc("otter_entrypoint_child_up",
		"1 while the child (java) runs, else 0.", nil, nil)
	childStartDesc = prometheus.NewDesc("otter_entrypoint_child_start_time_seconds",
		"Start time of the child since the Unix epoch, in seconds (0 before it starts).", nil, nil)
	readyDesc = prometheus.NewDesc("otter_entrypoint_ready",
		"1 while /readyz answers 200, else 0.", nil, nil)
	readyDurationDesc = prometheus.NewDesc("otter_entrypoint_ready_check_duration_seconds",
		"How long the last readiness check took, in seconds.", nil, nil)
	readyCheckOKDesc = prometheus.NewDesc("otter_entrypoint_ready_check_ok",
		"1 when this readiness check passed in the last run, 0 when it failed; absent when it was not asked (no child, or an earlier check failed).",
		[]string{"check"}, nil)
)

// stateCollector reports the child's state from the server's state at
// scrape time, so that it never disagrees with /livez and /readyz.
type stateCollector struct{ s *Server }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- buildInfoDesc
	ch <- childUpDesc
	ch <- childStartDesc
	ch <- readyDesc
	ch <- readyDurationDesc
	ch <- readyCheckOKDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.snapshot()
	startTime := 0.0
	if !st.startedAt.IsZero() {
		startTime = float64(st.startedAt.UnixNano()) / 1e9
	}
	constMetric(ch, buildInfoDesc, prometheus.GaugeValue, 1, runtime.Version(), c.s.cfg.Version)
	constMetric(ch, childUpDesc, prometheus.GaugeValue, boolFloat(st.phase == phaseRunning))
	constMetric(ch, childStartDesc, prometheus.GaugeValue, startTime)
	constMetric(ch, readyDesc, prometheus.GaugeValue, boolFloat(st.ready))
	constMetric(ch, readyDurationDesc, prometheus.GaugeValue, st.lastTook.Seconds())
	for _, p := range st.parts {
		constMetric(ch, readyCheckOKDesc, prometheus.GaugeValue, boolFloat(p.ok), p.kind)
	}
}

// constMetric sends a const metric, or an invalid metric carrying the
// error (an invalid label value), which the handler logs while serving
// the rest of the scrape.
func constMetric(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The jvm_* families: the names, labels and help texts of Prometheus' Java
// client (client_java), so that existing JVM dashboards work.
var (
	perfDataDesc = prometheus.NewDesc("otter_entrypoint_jvm_perfdata_available",
		"1 when the child's hsperfdata file could be read (jvm_* series present), else 0.", nil, nil)
	memoryDescs = usageDescs("jvm_memory", "area", "; -1 if undefined")
	poolDescs   = usageDescs("jvm_memory_pool", "pool", "")
	gcDesc      = prometheus.NewDesc("jvm_gc_collection_seconds",
		"Time spent in a given JVM garbage collector in seconds (pauses, from hsperfdata).", []string{"gc"}, nil)
	threadsCurrentDesc = prometheus.NewDesc("jvm_threads_current", "Current thread count of a JVM.", nil, nil)
	threadsDaemonDesc  = prometheus.NewDesc("jvm_threads_daemon", "Daemon thread count of a JVM.", nil, nil)
	threadsPeakDesc    = prometheus.NewDesc("jvm_threads_peak", "Peak thread count of a JVM.", nil, nil)
	threadsStartedDesc = prometheus.NewDesc("jvm_threads_started_total", "Started thread count of a JVM.", nil, nil)
	classesLoadedDesc  = prometheus.NewDesc("jvm_classes_currently_loaded",
		"The number of classes that are currently loaded in the JVM.", nil, nil)
	classesLoadedTotalDesc = prometheus.NewDesc("jvm_classes_loaded_total",
		"The total number of classes that have been loaded since the JVM has started execution.", nil, nil)
	classesUnloadedTotalDesc = prometheus.NewDesc("jvm_classes_unloaded_total",
		"The total number of classes that have been unloaded since the JVM has started execution.", nil, nil)
	jvmInfoDesc = prometheus.NewDesc("jvm_info", "JVM version info.", []string{"runtime", "vendor", "version"}, nil)
)

// usageFamilies are the used, committed and max families of one prefix.
type usageFamilies struct{ used, committed, max *prometheus.Desc }

func usageDescs(prefix, label, maxNote string) usageFamilies {
	help := func(word, note string) string {
		return word + " bytes of a given JVM memory " + label + " (from hsperfdata" + note + ")."
	}
	l := []string{label}
	return usageFamilies{
		used:      prometheus.NewDesc(prefix+"_used_bytes", help("Used", ""), l, nil),
		committed: prometheus.NewDesc(prefix+"_committed_bytes", help("Committed", ""), l, nil),
		max:       prometheus.NewDesc(prefix+"_max_bytes", help("Max", maxNote), l, nil),
	}
}

func (f usageFamilies) collect(ch chan<- prometheus.Metric, name string, u hsperf.Usage) {
	constMetric(ch, f.used, prometheus.GaugeValue, float64(u.Used), name)
	constMetric(ch, f.committed, prometheus.GaugeValue, float64(u.Committed), name)
	constMetric(ch, f.max, prometheus.GaugeValue, float64(u.Max), name)
}

// jvmCollector reads the running child's hsperfdata file at scrape time.
type jvmCollector struct {
	file  *perfFile
	state func() state
	now   func() time.Time
	log   *zap.Logger

	mu        sync.Mutex
	warnedPid int // the pid the missing-file warning was logged for
}

func (c *jvmCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{perfDataDesc,
		memoryDescs.used, memoryDescs.committed, memoryDescs.max,
		poolDescs.used, poolDescs.committed, poolDescs.max, gcDesc,
		threadsCurrentDesc, threadsDaemonDesc, threadsPeakDesc, threadsStartedDesc,
		classesLoadedDesc, classesLoadedTotalDesc, classesUnloadedTotalDesc, jvmInfoDesc} {
		ch <- d
	}
}

func (c *jvmCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.state()
	var snap *hsperf.Snapshot
	if st.phase == phaseRunning {
		snap = c.read(st.pid, st.startedAt)
	}
	constMetric(ch, perfDataDesc, prometheus.GaugeValue, boolFloat(snap != nil))
	if snap != nil {
		collectJVM(ch, hsperf.Summarize(snap))
	}
}

// collectJVM sends j's jvm_* metrics.
func collectJVM(ch chan<- prometheus.Metric, j hsperf.JVM) {
	memoryDescs.collect(ch, "heap", j.Heap)
	memoryDescs.collect(ch, "nonheap", j.NonHeap)
	for _, p := range firstByName(j.Pools, func(p hsperf.Pool) string { return p.Name }) {
		poolDescs.collect(ch, p.Name, p.Usage)
	}
	for _, gc := range firstByName(j.GCs, func(g hsperf.GC) string { return g.Name }) {
		m, err := prometheus.NewConstSummary(gcDesc, uint64(max(gc.Count, 0)), gc.Seconds, nil, gc.Name)
		if err != nil {
			m = prometheus.NewInvalidMetric(gcDesc, err)
		}
		ch <- m
	}
	if j.HasThreads {
		constMetric(ch, threadsCurrentDesc, prometheus.GaugeValue, float64(j.ThreadsLive))
		constMetric(ch, threadsDaemonDesc, prometheus.GaugeValue, float64(j.ThreadsDaemon))
		constMetric(ch, threadsPeakDesc, prometheus.GaugeValue, float64(j.ThreadsPeak))
		constMetric(ch, threadsStartedDesc, prometheus.CounterValue, float64(j.ThreadsStarted))
	}
	if j.HasClasses {
		constMetric(ch, classesLoadedDesc, prometheus.GaugeValue, float64(j.ClassesLoaded))
		constMetric(ch, classesLoadedTotalDesc, prometheus.CounterValue, float64(j.ClassesLoadedTotal))
		constMetric(ch, classesUnloadedTotalDesc, prometheus.CounterValue, float64(j.ClassesUnloadedTotal))
	}
	constMetric(ch, jvmInfoDesc, prometheus.GaugeValue, 1, j.Runtime, j.Vendor, j.Version)
}

// firstByName drops the items whose name repeats an earlier one's: the
// name becomes a label value, and a scrape with two series of the same
// labels fails (a garbled file may name two pools or collectors alike).
func firstByName[T any](items []T, name func(T) string) []T {
	seen := make(map[string]bool, len(items))
	out := make([]T, 0, len(items))
	for _, it := range items {
		if n := name(it); !seen[n] {
			seen[n] = true
			out = append(out, it)
		}
	}
	return out
}

// read reads the hsperfdata file of the running child pid, started at
// started, or returns nil. A missing or unreadable file is logged once per
// child, after the JVM had time to create it.
func (c *jvmCollector) read(pid int, started time.Time) *hsperf.Snapshot {
	snap, err := c.file.read(pid)
	if err == nil {
		return snap
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warnedPid != pid && c.now().Sub(started) >= perfDataGrace && !errors.Is(err, hsperf.ErrNotAccessible) {
		c.warnedPid = pid
		c.log.Warn("cannot read the JVM's hsperfdata; jvm_* metrics are absent (is java run with -XX:-UsePerfData or -XX:+PerfDisableSharedMem, or is /tmp read-only? give /tmp an emptyDir)",
			zap.Int("pid", pid), zap.Error(err))
	}
	return nil
}

// perfFile finds and reads the hsperfdata file of the running child under
// dir, for both /metrics and the liveness stall check: the path is found
// once per pid and looked for again after a failed read.
type perfFile struct {
	dir string

	mu   sync.Mutex
	pid  int
	path string
}

// read reads pid's hsperfdata file.
func (f *perfFile) read(pid int) (*hsperf.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pid != pid {
		f.pid, f.path = pid, ""
	}
	if f.path == "" {
		f.path = findPerfData(f.dir, pid)
	}
	if f.path == "" {
		return nil, fmt.Errorf("no %s/hsperfdata_*/%d file", f.dir, pid)
	}
	snap, err := hsperf.ReadFile(f.path)
	if err != nil {
		f.path = "" // look again next time
	}
	return snap, err
}

// findPerfData returns the hsperfdata file of pid under dir
// (dir/hsperfdata_<user>/<pid>, whatever the user), or "".
func findPerfData(dir string, pid int) string {
	matches, _ := filepath.Glob(filepath.Join(dir, "hsperfdata_*", strconv.Itoa(pid)))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
			return m
		}
	}
	return ""
}
