package probes

import (
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"

	"otter-entrypoint/internal/testkit"
)

// documentedMetric is one name from the first column of README.md's
// Metrics table.
type documentedMetric struct {
	name  string // as written: a full name, "_suffix" shorthand or "prefix_*"
	first string // the row's first name, which a shorthand continues
}

// readmeMetrics parses the Metrics table of README.md: every backquoted
// name in each row's first cell.
func readmeMetrics(t *testing.T, path string) []documentedMetric {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Metrics\n")
	if !ok {
		t.Fatalf("%s has no ## Metrics section", path)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	section, _, _ = strings.Cut(section, "\n### ") // the manager's Otter series have their own table and test
	code := regexp.MustCompile("`([^`]+)`")
	var out []documentedMetric
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue // not a table row naming metrics
		}
		first := ""
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			if first == "" {
				first = m[1]
			}
			out = append(out, documentedMetric{name: m[1], first: first})
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d metric names in %s's Metrics table: %v", len(out), path, out)
	}
	return out
}

// sampleNames are the names a family's samples carry: the family's, and
// for a summary or histogram its _count and _sum (and _bucket), which is
// how the README names them.
func sampleNames(mf *dto.MetricFamily) []string {
	n := mf.GetName()
	switch mf.GetType() {
	case dto.MetricType_SUMMARY:
		return []string{n, n + "_count", n + "_sum"}
	case dto.MetricType_HISTOGRAM:
		return []string{n, n + "_count", n + "_sum", n + "_bucket"}
	}
	return []string{n}
}

// resolve says which scraped families a documented name stands for. A
// "prefix_*" stands for every family with that prefix. A "_suffix" continues
// the row's first name: it replaces that name's tail after some "_", and
// the longest such stem that gives a scraped name wins
// ("otter_java_process_cpu_seconds_total", "_open_fds" is
// otter_java_process_open_fds). It returns the full name it looked for.
func resolve(d documentedMetric, bySample map[string]string) (families []string, looked string) {
	switch {
	case strings.HasSuffix(d.name, "*"):
		prefix := strings.TrimSuffix(d.name, "*")
		for sample, family := range bySample {
			if strings.HasPrefix(sample, prefix) && !slices.Contains(families, family) {
				families = append(families, family)
			}
		}
		return families, d.name
	case strings.HasPrefix(d.name, "_"):
		looked = d.first + "+" + d.name
		for i := len(d.first) - 1; i > 0; i-- {
			if d.first[i] != '_' {
				continue
			}
			if family, ok := bySample[d.first[:i]+d.name]; ok {
				return []string{family}, d.first[:i] + d.name
			}
		}
		return nil, looked
	default:
		if family, ok := bySample[d.name]; ok {
			return []string{family}, d.name
		}
		return nil, d.name
	}
}

// TestREADMEListsEveryMetricFamily scrapes the real server over TCP while a
// JVM child runs and compares the families with README.md's Metrics table:
// every scraped family must be documented, and every documented name must
// appear. The one family documented as absent until something happens,
// otter_entrypoint_signals_forwarded_total, is made to appear by
// forwarding a signal; otter_entrypoint_ready_check_ok appears once the
// first readiness check ran, which the test waits for.
func TestREADMEListsEveryMetricFamily(t *testing.T) {
	documented := readmeMetrics(t, "../README.md")

	p := startPerfProbe(t, jdkHome(t, 17))
	s, err := NewServer(Config{Listen: "127.0.0.1:0"}, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	s.ChildStarted(p.cmd.Process.Pid, time.Now())
	s.SignalForwarded(syscall.SIGTERM)
	// ChildStarted only kicks the readiness loop: the check's result, and
	// with it otter_entrypoint_ready_check_ok, exists once that check ran.
	testkit.Eventually(t, "the first readiness check", 10*time.Second,
		func() bool { return s.snapshot().checked }, nil)

	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	if v, _ := value(mfs, "otter_entrypoint_jvm_perfdata_available"); v != 1 {
		t.Fatal("no hsperfdata from the JVM child: the jvm_* families cannot be compared")
	}

	bySample := map[string]string{} // sample name → family
	for name, mf := range mfs {
		for _, n := range sampleNames(mf) {
			bySample[n] = name
		}
	}
	covered := map[string]bool{}
	for _, d := range documented {
		families, looked := resolve(d, bySample)
		if len(families) == 0 {
			t.Errorf("README documents %s, which /metrics does not have", looked)
		}
		for _, f := range families {
			covered[f] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(mfs)) {
		if !covered[name] {
			t.Errorf("/metrics has %s (%v), which README's Metrics table does not document", name, mfs[name].GetType())
		}
	}
}
