package main

// Benchmarks of the entrypoint side by side with tini and dumb-init (from
// Debian's packages). .ci/bench runs them together with hyperfine and prints
// the ratios; nothing here asserts a time.

import (
	"os"
	"os/exec"
	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// initProgram is a PID-1 program compared: argv takes the command after it.
type initProgram struct {
	name string
	argv []string
}

// inits are the PID-1 programs compared.
func inits(b *testing.B) []initProgram {
	out := []initProgram{{"otter-entrypoint", []string{entrypointBin, "run", "--"}}}
	if p, err := exec.LookPath("tini"); err == nil {
		out = append(out, initProgram{"tini", []string{p, "-s", "--"}})
	}
	if p, err := exec.LookPath("dumb-init"); err == nil {
		out = append(out, initProgram{"dumb-init", []string{p}})
	}
	if len(out) < 3 {
		b.Logf("tini or dumb-init missing (apt-get install tini dumb-init): comparing %d programs", len(out))
	}
	return out
}

// BenchmarkTermLatency measures the time from TERM sent to the init until
// the child's TERM handler runs: the child (a Go recorder without runtime
// preemption signals) reads CLOCK_MONOTONIC when its handler gets the
// signal, and the benchmark subtracts its own reading taken just before
// kill(). One fresh init and child per sample.
func BenchmarkTermLatency(b *testing.B) {
	for _, in := range inits(b) {
		b.Run(in.name, func(b *testing.B) {
			var samples []time.Duration
			for i := 0; i < b.N; i++ {
				argv := append(append([]string{}, in.argv...), testBin(b))
				cmd := exec.Command(argv[0], argv[1:]...)
				p := startCmd(b, cmd, helperEnv("recorder", "RECORD_TIME=1", "ENTRYPOINT_LOG_LEVEL=warn"))
				ready := p.expect(10*time.Second, "ready", func(l string) bool { return strings.HasPrefix(l, "ready ") }, nil)
				prefix := strings.TrimPrefix(ready, "ready ") + " 15 at "
				sent := monotonicNS()
				cmd.Process.Signal(syscall.SIGTERM)
				line := p.expect(10*time.Second, "TERM", func(l string) bool { return strings.HasPrefix(l, prefix) }, nil)
				got, err := strconv.ParseInt(strings.TrimPrefix(line, prefix), 10, 64)
				if err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Duration(got-sent))
				p.wait(10 * time.Second)
			}
			reportPercentiles(b, samples)
		})
	}
}

// BenchmarkReapOrphans makes 1000 orphans under each init running as PID 1
// of a new PID namespace and checks that none is left as a zombie 1 s after
// they end (the helper exits 1 otherwise).
func BenchmarkReapOrphans(b *testing.B) {
	requireUnshare(b)
	for _, in := range inits(b) {
		b.Run(in.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				argv := append(append([]string{"unshare", "--fork", "--pid", "--mount-proc"}, in.argv...), testBin(b))
				p := startCmd(b, exec.Command(argv[0], argv[1:]...), helperEnv("orphans", "ORPHANS=1000"))
				line := p.expect(60*time.Second, "result", func(l string) bool { return strings.HasPrefix(l, "orphans ") }, nil)
				if code := p.wait(30 * time.Second); code != 0 || !strings.HasSuffix(line, "strays 0") {
					b.Fatalf("%s: exit %d: %s\n%s", in.name, code, line, p.stderr.String())
				}
			}
		})
	}
}

func reportPercentiles(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	pct := func(p float64) float64 {
		i := int(p * float64(len(samples)-1))
		return float64(samples[i].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(len(samples)), "samples")
}

// BenchmarkTimeToJava measures how long each launcher takes from its start
// until java runs: Otter's startup.sh (testdata/bench/startup.sh does its
// steps), tini exec'ing java, and `otter-entrypoint manager` (render, the
// command line, start). java is a copy of this test binary in a JDK-like
// directory that writes CLOCK_MONOTONIC when it runs; the same helper run
// directly gives the baseline that is subtracted, leaving each launcher's
// own time. Reported as medians and p90 in ms.
func BenchmarkTimeToJava(b *testing.B) {
	dir := b.TempDir()
	jdk := filepath.Join(dir, "jdk")
	if err := os.MkdirAll(filepath.Join(jdk, "bin"), 0o755); err != nil {
		b.Fatal(err)
	}
	java := filepath.Join(jdk, "bin", "java")
	self, err := os.ReadFile(testBin(b))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(java, self, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(jdk, "release"), []byte("JAVA_VERSION=\"17.0.15\"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	home := otterstub.Home(b, "manager", filepath.Join(dir, "manager"))
	script, err := os.ReadFile("testdata/bench/startup.sh")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "bin", "startup.sh"), script, 0o755); err != nil {
		b.Fatal(err)
	}
	stamp := filepath.Join(dir, "stamp")
	env := append(os.Environ(), "OTTER_TEST_HELPER=stamp", "STAMP_FILE="+stamp, "JAVA="+java,
		"JAVA_HOME="+jdk, "OTTER_HOME="+home, "ENTRYPOINT_RENDER_DIR="+filepath.Join(dir, "render"),
		"ENTRYPOINT_WAIT_FOR=none", "ENTRYPOINT_LISTEN=127.0.0.1:0", "ENTRYPOINT_LOG_LEVEL=error")
	launchers := []initProgram{{"java directly", []string{java}}, {"startup.sh", []string{filepath.Join(home, "bin", "startup.sh")}},
		{"otter-entrypoint manager", []string{entrypointBin, "manager"}}}
	if p, err := exec.LookPath("tini"); err == nil {
		launchers = append(launchers, initProgram{"tini", []string{p, "-s", "--", java}})
	}
	var base time.Duration
	for _, l := range launchers {
		b.Run(l.name, func(b *testing.B) {
			var samples []time.Duration
			for i := 0; i < b.N; i++ {
				os.Remove(stamp)
				os.Remove(filepath.Join(home, "bin", "otter.pid"))
				cmd := exec.Command(l.argv[0], l.argv[1:]...)
				cmd.Env = env
				start := monotonicNS()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				_ = cmd.Wait() // the entrypoint exits 70: java "exited on its own"
				var at int64
				testkit.Eventually(b, "java's stamp", 10*time.Second, func() bool {
					s, err := os.ReadFile(stamp)
					if err != nil || len(s) == 0 {
						return false
					}
					at, err = strconv.ParseInt(string(s), 10, 64)
					return err == nil
				}, nil)
				samples = append(samples, time.Duration(at-start))
			}
			slices.Sort(samples)
			med := samples[len(samples)/2]
			if l.name == "java directly" {
				base = med
			}
			b.ReportMetric(float64(med)/1e6, "median-ms")
			b.ReportMetric(float64(samples[len(samples)*9/10])/1e6, "p90-ms")
			b.ReportMetric(float64(med-base)/1e6, "own-ms")
		})
	}
}
