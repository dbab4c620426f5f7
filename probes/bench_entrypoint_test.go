package probes

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"otter-entrypoint/internal/testkit"
)

// BenchmarkEntrypointScrapes runs the real entrypoint binary (built as the
// Makefile builds it) with `run -- java ... PerfProbe` on JDK 17 and
// scrapes its /metrics over TCP at 50 requests a second, 1000 per
// iteration (20 s). It reports the client-seen p50/p99 and the
// entrypoint's RssAnon and VmRSS from /proc/<pid>/status, idle (before the
// first scrape) and after the scrapes. Run it with -benchtime=1x.
func BenchmarkEntrypointScrapes(b *testing.B) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		testkit.MissingTool(b, "go not on PATH: %v", err)
	}
	bin := filepath.Join(b.TempDir(), "otter-entrypoint")
	build := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	java := filepath.Join(jdkHome(b, 17), "bin", "java")
	port := testkit.FreePorts(b, 1)[0]
	cmd := exec.Command(bin, "run", "--", java, "-Xmx256m", "-cp", perfProbeClasses(b), "PerfProbe")
	cmd.Env = append(os.Environ(), "ENTRYPOINT_LISTEN=127.0.0.1:"+strconv.Itoa(port), "ENTRYPOINT_LOG_LEVEL=warn")
	stdin, err := cmd.StdinPipe() // PerfProbe runs until its stdin closes
	if err != nil {
		b.Fatal(err)
	}
	p := testkit.StartProc(b, cmd)
	b.Cleanup(func() { stdin.Close() })

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	client := &http.Client{Timeout: 5 * time.Second}
	scrape := func() (time.Duration, []byte) {
		start := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
		}
		return took, body
	}
	// Ready: /readyz answers (the default check is none) and the JVM's
	// hsperfdata is there. /readyz, not /metrics, so that the idle figures
	// are taken before the first scrape.
	testkit.Eventually(b, "/readyz 200 and the JVM's hsperfdata", 30*time.Second, func() bool {
		p.FailIfExited(b)
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/readyz?verbose")
		if err != nil {
			return false
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return false
		}
		m := childPID.FindSubmatch(body)
		if m == nil {
			return false
		}
		pid, _ := strconv.Atoi(string(m[1])) // digits only
		return findPerfData("/tmp", pid) != ""
	}, p.Out.Bytes)
	idleAnon, idleRSS := procStatus(b, cmd.Process.Pid)
	_, body := scrape()
	if !bytes.Contains(body, []byte("otter_entrypoint_jvm_perfdata_available 1")) {
		b.Fatalf("no hsperfdata in the first scrape:\n%s", body)
	}

	var durs []time.Duration
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for range b.N {
		for range 1000 {
			<-tick.C
			d, _ := scrape()
			durs = append(durs, d)
		}
	}
	b.StopTimer()
	anon, rss := procStatus(b, cmd.Process.Pid)
	reportPercentiles(b, durs)
	b.ReportMetric(float64(idleAnon), "idle-RssAnon-KiB")
	b.ReportMetric(float64(idleRSS), "idle-VmRSS-KiB")
	b.ReportMetric(float64(anon), "RssAnon-KiB")
	b.ReportMetric(float64(rss), "VmRSS-KiB")
}

// childPID finds the java child's pid in /readyz?verbose.
var childPID = regexp.MustCompile(`running \(pid (\d+),`)

// procStatus reads RssAnon and VmRSS (KiB) from /proc/<pid>/status.
func procStatus(b *testing.B, pid int) (rssAnon, vmRSS int) {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "RssAnon":
			rssAnon = n
		case "VmRSS":
			vmRSS = n
		}
	}
	return rssAnon, vmRSS
}
