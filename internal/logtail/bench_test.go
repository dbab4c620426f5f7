package logtail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// countWriter counts bytes, like a pipe to the container runtime that is
// never full.
type countWriter struct{ n atomic.Int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// a 100-byte log line, Otter-like.
var benchLine = "2026-11-26 14:00:00.000 [main] INFO  c.a.o.node.deployer.OtterLauncher - ## line " + strings.Repeat("x", 15) + "\n"

// BenchmarkTail10kLines: one iteration appends 10,000 lines (in 10 writes)
// and polls until they are all copied. cpu-%core@10k/s is the CPU time one
// iteration costs the whole process (getrusage), i.e. the share of one core
// that tailing 10,000 lines a second costs, writer included.
func BenchmarkTail10kLines(b *testing.B) {
	p := filepath.Join(b.TempDir(), "a.log")
	out := &countWriter{}
	tl := New([]string{p}, out, time.Hour, zap.NewNop())
	tl.Start()
	defer tl.Stop()
	chunk := strings.Repeat(benchLine, 1000)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ResetTimer()
	start := cpuTime(b)
	for i := 0; i < b.N; i++ {
		for range 10 {
			if _, err := f.WriteString(chunk); err != nil {
				b.Fatal(err)
			}
		}
		tl.Poll()
	}
	used := cpuTime(b) - start
	if want := int64(b.N) * 10 * int64(len(chunk)); out.n.Load() != want {
		b.Fatalf("copied %d bytes, want %d", out.n.Load(), want)
	}
	b.ReportMetric(100*used.Seconds()/float64(b.N), "cpu-%core@10k/s")
}

// BenchmarkTailRealtime runs the real background loop (inotify, at most a
// poll every 10 ms; 250 ms polling as the fallback) while a
// writer appends 100 lines every 10 ms (10,000 lines/s); each iteration is
// one second of wall time. cpu-%core is the process's CPU time over the
// wall time (writer included).
func BenchmarkTailRealtime(b *testing.B) {
	p := filepath.Join(b.TempDir(), "a.log")
	out := &countWriter{}
	tl := New([]string{p}, out, DefaultInterval, zap.NewNop())
	tl.Start()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	batch := strings.Repeat(benchLine, 100)
	b.ResetTimer()
	start, wall := cpuTime(b), time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	for i := 0; i < b.N; i++ {
		for range 100 {
			<-tick.C
			if _, err := f.WriteString(batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	tick.Stop()
	used, elapsed := cpuTime(b)-start, time.Since(wall)
	tl.Stop()
	if want := int64(b.N) * 100 * int64(len(batch)); out.n.Load() != want {
		b.Fatalf("copied %d bytes, want %d", out.n.Load(), want)
	}
	b.ReportMetric(100*used.Seconds()/elapsed.Seconds(), "cpu-%core")
}

// BenchmarkTailLatency: one iteration appends one line and waits until the
// background tailer (inotify-driven, DefaultInterval fallback) has copied
// it. ns/op is the latency from the write to the copy; the goal is well
// under 100 ms.
func BenchmarkTailLatency(b *testing.B) {
	p := filepath.Join(b.TempDir(), "a.log")
	out := newLineChecker()
	tl := New([]string{p}, out, DefaultInterval, zap.NewNop())
	tl.Start()
	defer tl.Stop()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := fmt.Fprintf(f, "line %d\n", i); err != nil {
			b.Fatal(err)
		}
		if !out.waitFor(i+1, 5*time.Second) {
			b.Fatalf("line %d not copied after 5s", i)
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}
