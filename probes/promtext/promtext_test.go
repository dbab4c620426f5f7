package promtext

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parse reads a classic text exposition with Prometheus' own parser.
func parse(t testing.TB, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Prometheus cannot parse:\n%s\nerror: %v", b, err)
	}
	return mfs
}

func TestTextParsesAsWritten(t *testing.T) {
	w := NewWriter(Text)
	w.Family("a_total", Counter, "A counter.\nSecond line with \\ and \"quotes\".")
	w.Sample("a_total", 3, "signal", "SIGTERM")
	w.Sample("a_total", 1, "signal", `we\ird "va"lue`+"\nnext")
	w.Family("g", Gauge, "A gauge.")
	w.Sample("g", math.Inf(1))
	w.Family("s", Summary, "A summary.")
	w.Summary("s", []float64{0.5, 0.25, 1, 2}, 7.5, 4, "gc", "G1 Young Generation")
	mfs := parse(t, w.Bytes())

	a := mfs["a_total"]
	if a.GetType() != dto.MetricType_COUNTER || a.GetHelp() != "A counter.\nSecond line with \\ and \"quotes\"." || len(a.Metric) != 2 {
		t.Fatalf("a_total = %v", a)
	}
	if v := a.Metric[1].Label[0].GetValue(); v != `we\ird "va"lue`+"\nnext" {
		t.Errorf("label value read back as %q", v)
	}
	if v := a.Metric[0].GetCounter().GetValue(); v != 3 {
		t.Errorf("a_total = %v", v)
	}
	if v := mfs["g"].Metric[0].GetGauge().GetValue(); !math.IsInf(v, 1) {
		t.Errorf("g = %v", v)
	}
	s := mfs["s"].Metric[0].GetSummary()
	if s.GetSampleCount() != 4 || s.GetSampleSum() != 7.5 || len(s.Quantile) != 2 || s.Quantile[1].GetQuantile() != 1 || s.Quantile[1].GetValue() != 2 {
		t.Errorf("s = %v", s)
	}
	if mfs["s"].Metric[0].Label[0].GetValue() != "G1 Young Generation" {
		t.Errorf("summary labels = %v", mfs["s"].Metric[0].Label)
	}
}

func TestOpenMetricsNamesCountersWithoutTotalAndEnds(t *testing.T) {
	w := NewWriter(OpenMetrics)
	w.Family("a_total", Counter, `say "hi"`)
	w.Sample("a_total", 1)
	got := string(w.Bytes())
	want := "# HELP a say \\\"hi\\\"\n# TYPE a counter\na_total 1\n# EOF\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if !strings.HasPrefix(OpenMetrics.ContentType(), "application/openmetrics-text; version=1.0.0") ||
		!strings.HasPrefix(Text.ContentType(), "text/plain; version=0.0.4") {
		t.Error("content types")
	}
}

func TestGaugeAndCounterWriteOneSampleFamilies(t *testing.T) {
	w := NewWriter(OpenMetrics)
	w.Gauge("g", "A gauge.", 2)
	w.Counter("c_total", "A counter.", 3)
	got := string(w.Bytes())
	want := "# HELP g A gauge.\n# TYPE g gauge\ng 2\n# HELP c A counter.\n# TYPE c counter\nc_total 3\n# EOF\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestNegotiate(t *testing.T) {
	cases := map[string]Format{
		"": Text,
		"text/plain;version=0.0.4;q=0.5,*/*;q=0.1":                                          Text,
		"application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5":         OpenMetrics,
		"application/openmetrics-text; version=0.0.1; q=0.75, text/plain; version=0.0.4":    OpenMetrics,
		"Application/OpenMetrics-Text":                                                      OpenMetrics,
		"application/openmetrics-text;version=2.0.0,text/plain":                             Text,
		"application/openmetrics-text;q=0,text/plain":                                       Text,
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;q=0.7,*/*": Text,
	}
	for accept, want := range cases {
		if got := Negotiate(accept); got != want {
			t.Errorf("Negotiate(%q) = %v, want %v", accept, got, want)
		}
	}
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	w := NewWriter(Text)
	w.Family("g", Gauge, "help \xff")
	w.Sample("g", 1, "l", "a\xffb\xc3")
	if !utf8.Valid(w.Bytes()) {
		t.Fatalf("not UTF-8: %q", w.Bytes())
	}
	if v := parse(t, w.Bytes())["g"].Metric[0].Label[0].GetValue(); v != "a\uFFFDb\uFFFD" {
		t.Errorf("label = %q", v)
	}
}

func TestAppendFloat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1: "1", -2.5: "-2.5", 1e21: "1e+21", 0.001: "0.001",
		math.Inf(1): "+Inf", math.Inf(-1): "-Inf"} {
		if got := string(AppendFloat(nil, v)); got != want {
			t.Errorf("AppendFloat(%v) = %q, want %q", v, got, want)
		}
	}
	if got := string(AppendFloat(nil, math.NaN())); got != "NaN" {
		t.Errorf("NaN = %q", got)
	}
}

// FuzzTextRoundTrip: whatever the label value, help text and value, the
// exposition parses with Prometheus' parser and reads back the same
// (with invalid UTF-8 replaced).
func FuzzTextRoundTrip(f *testing.F) {
	f.Add("SIGTERM", "help", 1.5)
	f.Add("a\\b\"c\nd", "x\\y\nz\"", math.Copysign(0, -1))
	f.Add("\xff\xfe", "\xc3", math.Inf(-1))
	f.Add("", "", 1e300)
	f.Fuzz(func(t *testing.T, label, help string, v float64) {
		w := NewWriter(Text)
		w.Family("m", Gauge, help)
		w.Sample("m", v, "l", label)
		w.Family("c_total", Counter, help)
		w.Sample("c_total", v, "l", label, "k", help)
		mfs := parse(t, w.Bytes())
		m := mfs["m"]
		if m == nil || len(m.Metric) != 1 {
			t.Fatalf("m = %v", m)
		}
		// The format cannot carry blanks at the start of a help text: the
		// parser skips them after the name (ours are constants without).
		if got, want := m.GetHelp(), strings.TrimLeft(strings.ToValidUTF8(help, "\uFFFD"), " \t"); got != want {
			t.Errorf("help read back %q, want %q", got, want)
		}
		got := ""
		for _, l := range m.Metric[0].Label {
			if l.GetName() == "l" {
				got = l.GetValue()
			}
		}
		if want := strings.ToValidUTF8(label, "\uFFFD"); got != want {
			t.Errorf("label read back %q, want %q", got, want)
		}
		gv := m.Metric[0].GetGauge().GetValue()
		if gv != v && !(math.IsNaN(gv) && math.IsNaN(v)) {
			t.Errorf("value read back %v, want %v", gv, v)
		}
	})
}
