package probes

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"

	"otter-entrypoint/internal/testkit"
)

// jdkHome is the home of the installed JDK with that major version (17 is
// required under CI; Temurin 25 is not a Debian package, so its cases are
// skipped, loudly, on a machine without it).
func jdkHome(t testing.TB, major int) string {
	t.Helper()
	for _, j := range testkit.JDKs(t) {
		if j.Major == major {
			return j.Home
		}
	}
	t.Skipf("SKIPPED LOUDLY: no JDK %d on this machine", major)
	return ""
}

var (
	compileOnce sync.Once
	classesDir  string
	compileErr  error
)

// perfProbeClasses compiles testdata/PerfProbe.java once (--release 17, so
// both JDKs run it).
func perfProbeClasses(t testing.TB) string {
	t.Helper()
	javac := testkit.Javac(t)
	compileOnce.Do(func() {
		classesDir, compileErr = os.MkdirTemp("", "perfprobe-classes-")
		if compileErr != nil {
			return
		}
		out, err := exec.Command(javac, "--release", "17", "-d", classesDir, "testdata/PerfProbe.java").CombinedOutput()
		if err != nil {
			compileErr = fmt.Errorf("javac: %v: %s", err, out)
		}
	})
	if compileErr != nil {
		t.Fatal(compileErr)
	}
	return classesDir
}

// jvmProc is a running PerfProbe.
type jvmProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startPerfProbe(t testing.TB, javaHome string, flags ...string) *jvmProc {
	t.Helper()
	java := filepath.Join(javaHome, "bin", "java")
	dir := perfProbeClasses(t)
	args := append(append([]string{"-Xmx256m"}, flags...), "-cp", dir, "PerfProbe")
	cmd := exec.Command(java, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &jvmProc{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	p.expect(t, "READY")
	return p
}

func (p *jvmProc) expect(t testing.TB, want string) {
	t.Helper()
	if !p.out.Scan() || p.out.Text() != want {
		t.Fatalf("PerfProbe said %q (%v); want %q", p.out.Text(), p.out.Err(), want)
	}
}

// command sends a command ("gc") and waits for its OK.
func (p *jvmProc) command(t testing.TB, c string) {
	t.Helper()
	if _, err := fmt.Fprintln(p.stdin, c); err != nil {
		t.Fatal(err)
	}
	p.expect(t, "OK")
}

// jstat runs the JDK's jstat and returns its columns by name.
func jstat(t testing.TB, javaHome, option string, pid int) map[string]float64 {
	t.Helper()
	out, err := exec.Command(filepath.Join(javaHome, "bin", "jstat"), option, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		t.Fatalf("jstat %s: %v: %s", option, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("jstat %s output: %q", option, out)
	}
	names, values := strings.Fields(lines[0]), strings.Fields(lines[1])
	if len(names) != len(values) {
		t.Fatalf("jstat %s: %d names, %d values", option, len(names), len(values))
	}
	m := map[string]float64{}
	for i, n := range names {
		v, err := strconv.ParseFloat(values[i], 64)
		if err != nil {
			v = math.NaN() // "-" for a column the collector does not have
		}
		m[n] = v
	}
	return m
}

// scrapeFamilies scrapes /metrics and parses it.
func scrapeFamilies(t testing.TB, h http.Handler) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	text := scrape(t, h, "")
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs, text
}

// watching is a server (not listening) whose child is pid.
func watching(t testing.TB, pid int) *Server {
	t.Helper()
	s, err := NewServer(Config{Listen: "off"}, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.ChildStarted(pid, time.Now())
	return s
}

// value finds a sample: name, then label pairs; for summaries the suffix
// _count or _sum selects the field.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	field := ""
	base := name
	if mfs[name] == nil {
		for _, sfx := range []string{"_count", "_sum"} {
			if strings.HasSuffix(name, sfx) && mfs[strings.TrimSuffix(name, sfx)] != nil {
				base, field = strings.TrimSuffix(name, sfx), sfx
			}
		}
	}
	mf := mfs[base]
	if mf == nil {
		return 0, false
	}
outer:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue outer
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Summary != nil && field == "_count":
			return float64(m.GetSummary().GetSampleCount()), true
		case m.Summary != nil && field == "_sum":
			return m.GetSummary().GetSampleSum(), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// TestJVMMetricsAgreeWithJstat starts the test program on JDK 17 and 25
// (and JDK 17 with Parallel GC), lets it go quiet, and compares what
// /metrics says with jstat -gc and jstat -class taken between two scrapes.
// Tolerance: jstat prints sizes in KB with one decimal (±51 bytes) and
// times with three decimals (±0.5 ms); a figure must lie within the two
// scrapes' values widened by that rounding.
func TestJVMMetricsAgreeWithJstat(t *testing.T) {
	cases := []struct {
		name       string
		major      int
		flags      []string
		eden, surv string
		old        string
		young, gcs []string
	}{
		{"jdk17-g1", 17, []string{"-XX:+UseG1GC"}, "G1 Eden Space", "G1 Survivor Space", "G1 Old Gen", nil,
			[]string{"G1 Young Generation", "G1 Old Generation", "G1 Concurrent GC"}},
		{"jdk25-g1", 25, []string{"-XX:+UseG1GC"}, "G1 Eden Space", "G1 Survivor Space", "G1 Old Gen", nil,
			[]string{"G1 Young Generation", "G1 Old Generation", "G1 Concurrent GC"}},
		{"jdk17-parallel", 17, []string{"-XX:+UseParallelGC"}, "PS Eden Space", "PS Survivor Space", "PS Old Gen", nil,
			[]string{"PS Scavenge", "PS MarkSweep"}},
		{"jdk25-serial", 25, []string{"-XX:+UseSerialGC"}, "Eden Space", "Survivor Space", "Tenured Gen", nil,
			[]string{"Copy", "MarkSweepCompact"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := jdkHome(t, c.major)
			p := startPerfProbe(t, home, c.flags...)
			p.command(t, "gc")
			pid := p.cmd.Process.Pid
			s := watching(t, pid)
			before, _ := scrapeFamilies(t, s.handler)
			gc := jstat(t, home, "-gc", pid)
			cls := jstat(t, home, "-class", pid)
			after, text := scrapeFamilies(t, s.handler)

			if v, _ := value(after, "otter_entrypoint_jvm_perfdata_available"); v != 1 {
				t.Fatalf("perfdata not available:\n%s", grep(text, "jvm"))
			}
			const kb = 1024.0
			within := func(what string, jstatValue, tol float64, name string, labels ...string) {
				t.Helper()
				b, ok1 := value(before, name, labels...)
				a, ok2 := value(after, name, labels...)
				if !ok1 || !ok2 {
					t.Errorf("%s: no %s%v in /metrics", what, name, labels)
					return
				}
				lo, hi := math.Min(a, b)-tol, math.Max(a, b)+tol
				if math.IsNaN(jstatValue) || jstatValue < lo || jstatValue > hi {
					t.Errorf("%s: jstat says %.4f, /metrics %s%v says %.4f..%.4f (tolerance %.4f)", what, jstatValue, name, labels, b, a, tol)
				}
			}
			sizeTol := 0.05*kb + 1
			sum := func(cols ...string) float64 {
				var s float64
				for _, col := range cols {
					s += gc[col]
				}
				return s * kb
			}
			within("heap used (S0U+S1U+EU+OU)", sum("S0U", "S1U", "EU", "OU"), 4*sizeTol, "jvm_memory_used_bytes", "area", "heap")
			within("heap committed (S0C+S1C+EC+OC)", sum("S0C", "S1C", "EC", "OC"), 4*sizeTol, "jvm_memory_committed_bytes", "area", "heap")
			within("eden used", sum("EU"), sizeTol, "jvm_memory_pool_used_bytes", "pool", c.eden)
			within("survivor used", sum("S0U", "S1U"), 2*sizeTol, "jvm_memory_pool_used_bytes", "pool", c.surv)
			within("old used", sum("OU"), sizeTol, "jvm_memory_pool_used_bytes", "pool", c.old)
			within("metaspace used", sum("MU"), sizeTol, "jvm_memory_pool_used_bytes", "pool", "Metaspace")
			within("nonheap used", sum("MU"), sizeTol, "jvm_memory_used_bytes", "area", "nonheap")
			within("compressed class space used", sum("CCSU"), sizeTol, "jvm_memory_pool_used_bytes", "pool", "Compressed Class Space")
			within("young GC count", gc["YGC"], 0, "jvm_gc_collection_seconds_count", "gc", c.gcs[0])
			within("young GC time", gc["YGCT"], 0.0005+1e-9, "jvm_gc_collection_seconds_sum", "gc", c.gcs[0])
			within("full GC count", gc["FGC"], 0, "jvm_gc_collection_seconds_count", "gc", c.gcs[1])
			within("full GC time", gc["FGCT"], 0.0005+1e-9, "jvm_gc_collection_seconds_sum", "gc", c.gcs[1])
			if len(c.gcs) > 2 {
				within("concurrent GC count", gc["CGC"], 0, "jvm_gc_collection_seconds_count", "gc", c.gcs[2])
				within("concurrent GC time", gc["CGCT"], 0.0005+1e-9, "jvm_gc_collection_seconds_sum", "gc", c.gcs[2])
			}
			if gc["FGC"] < 2 {
				t.Errorf("jstat FGC = %v; the program's two System.gc() calls must show", gc["FGC"])
			}
			within("classes loaded (Loaded-Unloaded)", cls["Loaded"]-cls["Unloaded"], 0, "jvm_classes_currently_loaded")
			within("classes loaded total", cls["Loaded"], 0, "jvm_classes_loaded_total")

			// Threads: main, 4 sleepers (2 daemon) plus the JVM's own.
			if v, _ := value(after, "jvm_threads_current"); v < 5 {
				t.Errorf("jvm_threads_current = %v", v)
			}
			if v, _ := value(after, "jvm_threads_daemon"); v < 2 {
				t.Errorf("jvm_threads_daemon = %v", v)
			}
			if v, _ := value(after, "jvm_threads_peak"); v < 5 {
				t.Errorf("jvm_threads_peak = %v", v)
			}
			if mx, _ := value(after, "jvm_memory_max_bytes", "area", "heap"); mx != 256<<20 {
				t.Errorf("jvm_memory_max_bytes{heap} = %v; want -Xmx256m = %d", mx, 256<<20)
			}
			version := "17."
			if strings.Contains(c.name, "25") {
				version = "25."
			}
			if _, ok := value(after, "jvm_info", "version", ""); ok || !strings.Contains(text, `jvm_info{runtime="OpenJDK 64-Bit Server VM",vendor=`) || !strings.Contains(text, `version="`+version) {
				t.Errorf("jvm_info:\n%s", grep(text, "jvm_info"))
			}
			for _, want := range []string{"otter_java_process_cpu_seconds_total", "otter_java_process_resident_memory_bytes",
				"otter_java_process_open_fds", "otter_java_process_start_time_seconds"} {
				if v, ok := value(after, want); !ok || v <= 0 {
					t.Errorf("%s = %v, %v", want, v, ok)
				}
			}
			checkWithPromtool(t, text)
		})
	}
}

// checkWithPromtool runs `promtool check metrics` (Debian's prometheus
// package) on a scrape; it must report nothing.
func checkWithPromtool(t *testing.T, scrape string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testkit.MissingTool(t, "promtool not installed (apt-get install prometheus): %v", err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestPromtoolOnAScrapeWithoutJava(t *testing.T) {
	s, err := NewServer(Config{Listen: "off"}, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.SignalForwarded(15)
	_, text := scrapeFamilies(t, s.handler)
	checkWithPromtool(t, text)
}

// TestPerfDataGoesAwayWithTheJVM: once the JVM exits (and deletes its
// file) the jvm_* and otter_java_process_* series vanish and /metrics
// stays 200.
func TestPerfDataGoesAwayWithTheJVM(t *testing.T) {
	p := startPerfProbe(t, jdkHome(t, 17))
	s := watching(t, p.cmd.Process.Pid)
	mfs, _ := scrapeFamilies(t, s.handler)
	if v, _ := value(mfs, "otter_entrypoint_jvm_perfdata_available"); v != 1 {
		t.Fatal("perfdata not available with a live JVM")
	}
	p.stdin.Close()
	_ = p.cmd.Wait()
	mfs, text := scrapeFamilies(t, s.handler)
	if v, ok := value(mfs, "otter_entrypoint_jvm_perfdata_available"); !ok || v != 0 {
		t.Errorf("perfdata_available after the JVM exited = %v, %v", v, ok)
	}
	if strings.Contains(text, "jvm_memory_used_bytes") || strings.Contains(text, "otter_java_process_cpu") {
		t.Error("JVM series still present after the JVM exited")
	}
	if findPerfData("/tmp", p.cmd.Process.Pid) != "" {
		t.Error("findPerfData finds a dead JVM's file")
	}
}

func TestNoPerfDataWithUsePerfDataOff(t *testing.T) {
	p := startPerfProbe(t, testkit.AnyJDK(t).Home, "-XX:-UsePerfData")
	s := watching(t, p.cmd.Process.Pid)
	mfs, text := scrapeFamilies(t, s.handler)
	if v, ok := value(mfs, "otter_entrypoint_jvm_perfdata_available"); !ok || v != 0 {
		t.Errorf("perfdata_available = %v, %v", v, ok)
	}
	if strings.Contains(text, "\njvm_") {
		t.Errorf("jvm_ series with -XX:-UsePerfData:\n%s", grep(text, "jvm_"))
	}
	if v, ok := value(mfs, "otter_java_process_resident_memory_bytes"); !ok || v <= 0 {
		t.Error("process metrics of the java child missing")
	}
}

// recorder is a minimal http.ResponseWriter (httptest's, without its
// per-request allocations showing up in benchmarks more than needed).
type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}, code: 200} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

// BenchmarkMetricsLiveJVM measures the /metrics handler's server time with
// a live JDK 17 child (G1): every iteration is one full scrape (Go, process,
// otter_java_process_*, hsperfdata jvm_*). Reports the median and p99.
func BenchmarkMetricsLiveJVM(b *testing.B) {
	p := startPerfProbe(b, jdkHome(b, 17))
	s := watching(b, p.cmd.Process.Pid)
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip") // as Prometheus asks
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	cpu0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		rec := newRecorder()
		start := time.Now()
		s.handler.ServeHTTP(rec, req)
		durs = append(durs, time.Since(start))
		if rec.code != 200 {
			b.Fatalf("status %d", rec.code)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	reportPercentiles(b, durs)
}

// processCPU is this process's user+system CPU time (getrusage).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMetricsHTTP50PerSecond scrapes a live server on 127.0.0.1 over
// TCP at 50 requests a second (a bounded loop: 100 requests per
// iteration, two seconds), with a live JDK 17 child, and reports the
// client-seen median and p99.
func BenchmarkMetricsHTTP50PerSecond(b *testing.B) {
	p := startPerfProbe(b, jdkHome(b, 17))
	s, err := NewServer(Config{Listen: "127.0.0.1:0"}, zap.NewNop(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	s.ChildStarted(p.cmd.Process.Pid, time.Now())
	client := &http.Client{Timeout: 5 * time.Second}
	url := "http://" + s.Addr() + "/metrics"
	var durs []time.Duration
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for range 100 {
			<-tick.C
			start := time.Now()
			resp, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			durs = append(durs, time.Since(start))
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.StopTimer()
	reportPercentiles(b, durs)
}

func reportPercentiles(b *testing.B, durs []time.Duration) {
	if len(durs) == 0 {
		return
	}
	slices.Sort(durs)
	pct := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(durs)))) - 1
		return float64(durs[max(i, 0)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(durs)), "requests")
}
