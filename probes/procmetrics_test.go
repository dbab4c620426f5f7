package probes

import (
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStatCountsFromTheLastParen(t *testing.T) {
	// A command name with spaces and parentheses, as a process can name itself.
	line := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	st, err := parseStat([]byte(line), 4096)
	if err != nil {
		t.Fatal(err)
	}
	if st.cpuSeconds != 4 || st.startSeconds != 123.45 || st.vsize != 104857600 || st.rss != 2560*4096 {
		t.Errorf("parsed %+v", st)
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 1 2 3", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 150 0 0 20 0 3 0 12345 1 2"} {
		if _, err := parseStat([]byte(bad), 4096); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestParseLimits(t *testing.T) {
	in := `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max address space         unlimited            unlimited            bytes
`
	fds, as := parseLimits([]byte(in))
	if fds != 1024 || as != float64(^uint64(0)) {
		t.Errorf("parseLimits = %v, %v", fds, as)
	}
	if fds, as := parseLimits([]byte("nothing here\n")); fds != -1 || as != -1 {
		t.Errorf("no limits: %v, %v", fds, as)
	}
}

func TestReadProcStatOfARealProcess(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Right after exec the new image may have no page resident yet: wait
	// until the loader has run.
	var st procStat
	for deadline := time.Now().Add(5 * time.Second); ; {
		var err error
		st, err = readProcStat("/proc", strconv.Itoa(cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		if st.rss > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if st.rss <= 0 || st.vsize <= 0 || st.openFDs < 3 || st.maxFDs <= 0 {
		t.Errorf("sleep: %+v", st)
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	boot, ok := parseBootTime(b)
	if !ok {
		t.Fatal("no btime in /proc/stat")
	}
	// The start time is computed from boot time and ticks: it must be now,
	// give or take the tick and the clock's adjustments since boot.
	started := boot + st.startSeconds
	if d := math.Abs(started - float64(time.Now().UnixNano())/1e9); d > 5 {
		t.Errorf("start time %v is %vs away from now", started, d)
	}
	if _, err := readProcStat("/proc", "999999999"); err == nil {
		t.Error("a missing process read without error")
	}
}

func FuzzParseStat(f *testing.F) {
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("1 (a) b) R 0 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3 4 -5\n"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStat(b, 4096)
		if err != nil {
			return
		}
		if st.cpuSeconds < 0 || st.vsize < 0 || st.rss < 0 || st.startSeconds < 0 {
			t.Errorf("negative figures from %q: %+v", b, st)
		}
	})
}

func FuzzParseLimitsAndBootTime(f *testing.F) {
	for _, p := range []string{"/proc/self/limits", "/proc/stat"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Max open files x\nbtime -1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fds, as := parseLimits(b)
		if (fds < 0 && fds != -1) || (as < 0 && as != -1) {
			t.Errorf("limits %v %v from %q", fds, as, b)
		}
		if bt, ok := parseBootTime(b); ok && (bt < 0 || !strings.Contains(string(b), "btime ")) {
			t.Errorf("btime %v from %q", bt, b)
		}
	})
}
