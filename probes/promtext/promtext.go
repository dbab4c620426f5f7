// Package promtext writes Prometheus metrics as text: the classic format
// (text/plain; version=0.0.4) that every Prometheus scrapes, and OpenMetrics
// 1.0 when the scraper asks for it.
//
// The entrypoint used client_golang for this. Its package initialisation
// (registries, protobuf descriptors, the Go and process collectors) ran on
// every start of the binary, /metrics or not, and was more than half of
// `run -- /bin/true` and `manager --dry-run`. What the probes server needs is
// a handful of gauges and counters computed at scrape time, which this
// writer covers; the output is checked against Prometheus' own parser and
// promtool in the tests.
package promtext

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is an exposition format.
type Format int

const (
	// Text is the classic text format, version 0.0.4.
	Text Format = iota
	// OpenMetrics is OpenMetrics 1.0.0 text.
	OpenMetrics
)

// ContentType is the Content-Type header for f.
func (f Format) ContentType() string {
	if f == OpenMetrics {
		return "application/openmetrics-text; version=1.0.0; charset=utf-8"
	}
	return "text/plain; version=0.0.4; charset=utf-8"
}

// Negotiate picks the format for an Accept header: OpenMetrics when the
// scraper lists application/openmetrics-text (Prometheus does when its
// scrape protocols allow it), else the classic text format.
func Negotiate(accept string) Format {
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(mt), "application/openmetrics-text") {
			continue
		}
		ok := true
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			v = strings.TrimSpace(v)
			if strings.EqualFold(k, "version") && !strings.HasPrefix(v, "1.") && v != "0.0.1" {
				ok = false // a version we do not write
			}
			if strings.EqualFold(k, "q") && v == "0" {
				ok = false
			}
		}
		if ok {
			return OpenMetrics
		}
	}
	return Text
}

// Type is a metric family's type.
type Type string

// The types the entrypoint exports.
const (
	Gauge   Type = "gauge"
	Counter Type = "counter"
	Summary Type = "summary"
)

// Writer accumulates one exposition. Use Family before the samples of a
// family, then Sample (or the Summary helper) for each series; Gauge and
// Counter write a family of one unlabelled sample. Bytes ends the
// exposition. Names are the caller's constants and are not checked;
// label values and help texts may hold anything (invalid UTF-8 is replaced).
type Writer struct {
	format Format
	b      []byte
}

// NewWriter starts an exposition in format f.
func NewWriter(f Format) *Writer { return &Writer{format: f, b: make([]byte, 0, 16<<10)} }

// Family writes the HELP and TYPE lines of a family. For a counter, name is
// the sample name ending in _total; OpenMetrics names the family without
// the suffix.
func (w *Writer) Family(name string, typ Type, help string) {
	if w.format == OpenMetrics && typ == Counter {
		name = strings.TrimSuffix(name, "_total")
	}
	w.b = append(w.b, "# HELP "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	w.b = appendEscaped(w.b, help, w.format == OpenMetrics)
	w.b = append(w.b, "\n# TYPE "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	w.b = append(w.b, typ...)
	w.b = append(w.b, '\n')
}

// Gauge writes a gauge family with its one unlabelled sample.
func (w *Writer) Gauge(name, help string, v float64) {
	w.Family(name, Gauge, help)
	w.Sample(name, v)
}

// Counter writes a counter family (name ends in _total) with its one
// unlabelled sample.
func (w *Writer) Counter(name, help string, v float64) {
	w.Family(name, Counter, help)
	w.Sample(name, v)
}

// Sample writes one sample. labels are name, value pairs; a trailing odd
// name is ignored.
func (w *Writer) Sample(name string, v float64, labels ...string) {
	w.b = append(w.b, name...)
	if len(labels) >= 2 {
		w.b = append(w.b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, labels[i]...)
			w.b = append(w.b, `="`...)
			w.b = appendEscaped(w.b, labels[i+1], true)
			w.b = append(w.b, '"')
		}
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ' ')
	w.b = AppendFloat(w.b, v)
	w.b = append(w.b, '\n')
}

// Summary writes a summary's quantiles (pairs of quantile and value, may be
// empty), its _sum and its _count, with the given labels.
func (w *Writer) Summary(name string, quantiles []float64, sum float64, count uint64, labels ...string) {
	for i := 0; i+1 < len(quantiles); i += 2 {
		// Clip: the append copies, never writing into the caller's array.
		w.Sample(name, quantiles[i+1], append(slices.Clip(labels), "quantile", strconv.FormatFloat(quantiles[i], 'g', -1, 64))...)
	}
	w.Sample(name+"_sum", sum, labels...)
	w.Sample(name+"_count", float64(count), labels...)
}

// Bytes ends the exposition (OpenMetrics' "# EOF") and returns it.
func (w *Writer) Bytes() []byte {
	if w.format == OpenMetrics {
		return append(w.b, "# EOF\n"...)
	}
	return w.b
}

// AppendFloat appends v as both formats spell it: Go's shortest 'g' form,
// +Inf, -Inf or NaN.
func AppendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendEscaped appends s with backslash and newline escaped, and double
// quotes too when quotes is set (label values; OpenMetrics help). Each run
// of invalid UTF-8 becomes one U+FFFD: both formats are UTF-8.
func appendEscaped(b []byte, s string, quotes bool) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quotes:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
