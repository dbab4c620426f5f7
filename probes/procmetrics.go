package probes

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"otter-entrypoint/probes/promtext"
)

// userHZ is the unit of the CPU times and start time in /proc/<pid>/stat.
// Linux reports them in USER_HZ, which is 100 on every architecture Go
// supports.
const userHZ = 100

// procStat is what /metrics reports of one process, read from /proc.
type procStat struct {
	cpuSeconds   float64
	startSeconds float64 // since boot
	vsize, rss   float64
	openFDs      float64 // -1: unknown
	maxFDs       float64 // -1: unknown
	maxVsize     float64 // -1: unknown
}

// readProcStat reads /proc/<pid>/stat, its limits and its fd directory.
// Only the stat file is required; the others can be unreadable (another
// user's process) and are then reported as unknown.
func readProcStat(proc string, pid string) (procStat, error) {
	dir := filepath.Join(proc, pid)
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procStat{}, err
	}
	st, err := parseStat(b, os.Getpagesize())
	if err != nil {
		return procStat{}, err
	}
	st.openFDs, st.maxFDs, st.maxVsize = -1, -1, -1
	if f, err := os.Open(filepath.Join(dir, "fd")); err == nil {
		names, err := f.Readdirnames(-1)
		f.Close() //nolint:errcheck // read-only directory handle
		if err == nil {
			st.openFDs = float64(len(names))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "limits")); err == nil {
		st.maxFDs, st.maxVsize = parseLimits(b)
	}
	return st, nil
}

var errStat = errors.New("malformed /proc/<pid>/stat")

// parseStat reads the fields of /proc/<pid>/stat that the metrics need.
// The command name (field 2) may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStat(b []byte, pageSize int) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errStat
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime is 14, stime 15, starttime 22,
	// vsize 23, rss 24.
	const utime, stime, start, vsize, rss = 14 - 3, 15 - 3, 22 - 3, 23 - 3, 24 - 3
	if len(f) <= rss {
		return procStat{}, errStat
	}
	var vals [5]float64
	for j, k := range []int{utime, stime, start, vsize, rss} {
		n, err := strconv.ParseUint(string(f[k]), 10, 64)
		if err != nil && k == rss {
			// rss is signed in the kernel's format.
			var signed int64
			signed, err = strconv.ParseInt(string(f[k]), 10, 64)
			n = uint64(max(signed, 0))
		}
		if err != nil {
			return procStat{}, errStat
		}
		vals[j] = float64(n)
	}
	return procStat{
		cpuSeconds:   (vals[0] + vals[1]) / userHZ,
		startSeconds: vals[2] / userHZ,
		vsize:        vals[3],
		rss:          vals[4] * float64(pageSize),
	}, nil
}

// parseLimits reads the soft limits "Max open files" and "Max address
// space" from /proc/<pid>/limits; -1 when absent. "unlimited" is reported
// as 2^64-1, as client_golang did.
func parseLimits(b []byte) (maxFDs, maxVsize float64) {
	maxFDs, maxVsize = -1, -1
	for _, line := range bytes.Split(b, []byte("\n")) {
		var dst *float64
		var rest []byte
		switch {
		case bytes.HasPrefix(line, []byte("Max open files")):
			dst, rest = &maxFDs, line[len("Max open files"):]
		case bytes.HasPrefix(line, []byte("Max address space")):
			dst, rest = &maxVsize, line[len("Max address space"):]
		default:
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if string(f[0]) == "unlimited" {
			*dst = float64(^uint64(0))
		} else if n, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
			*dst = float64(n)
		}
	}
	return maxFDs, maxVsize
}

// parseBootTime reads btime (seconds since the epoch) from /proc/stat.
func parseBootTime(b []byte) (float64, bool) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			return float64(n), err == nil
		}
	}
	return 0, false
}

// writeProcess writes the process_* family set under prefix ("process"
// for the entrypoint, "otter_java_process" for java): the names of
// client_golang's process collector, so that dashboards keep working.
// bootTime is the boot time in seconds since the epoch (0: unknown, and
// then the start time is left out).
func writeProcess(w *promtext.Writer, prefix string, st procStat, bootTime float64) {
	w.Counter(prefix+"_cpu_seconds_total", "Total user and system CPU time spent in seconds.", st.cpuSeconds)
	if st.openFDs >= 0 {
		w.Gauge(prefix+"_open_fds", "Number of open file descriptors.", st.openFDs)
	}
	if st.maxFDs >= 0 {
		w.Gauge(prefix+"_max_fds", "Maximum number of open file descriptors.", st.maxFDs)
	}
	w.Gauge(prefix+"_virtual_memory_bytes", "Virtual memory size in bytes.", st.vsize)
	if st.maxVsize >= 0 {
		w.Gauge(prefix+"_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", st.maxVsize)
	}
	w.Gauge(prefix+"_resident_memory_bytes", "Resident memory size in bytes.", st.rss)
	if bootTime > 0 {
		w.Gauge(prefix+"_start_time_seconds", "Start time of the process since unix epoch in seconds.", bootTime+st.startSeconds)
	}
}

// writeGo writes the entrypoint's own Go runtime metrics, with the names
// client_golang's Go collector used.
func writeGo(w *promtext.Writer) {
	w.Family("go_info", promtext.Gauge, "Information about the Go environment.")
	w.Sample("go_info", 1, "version", runtime.Version())
	w.Gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	threads, _ := runtime.ThreadCreateProfile(nil)
	w.Gauge("go_threads", "Number of OS threads created.", float64(threads))
	w.Gauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.", float64(runtime.GOMAXPROCS(0)))

	var gc debug.GCStats
	gc.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&gc)
	q := make([]float64, 0, 10)
	for i, d := range gc.PauseQuantiles {
		q = append(q, float64(i)/4, d.Seconds())
	}
	w.Family("go_gc_duration_seconds", promtext.Summary, "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.")
	w.Summary("go_gc_duration_seconds", q, gc.PauseTotal.Seconds(), uint64(gc.NumGC))

	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.Gauge("go_memstats_alloc_bytes", "Number of heap bytes allocated and currently in use.", float64(m.Alloc))
	w.Counter("go_memstats_alloc_bytes_total", "Total number of heap bytes allocated, even if freed.", float64(m.TotalAlloc))
	w.Counter("go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed.", float64(m.Mallocs))
	w.Counter("go_memstats_frees_total", "Total number of heap objects frees.", float64(m.Frees))
	w.Gauge("go_memstats_sys_bytes", "Number of bytes obtained from system.", float64(m.Sys))
	w.Gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", float64(m.HeapAlloc))
	w.Gauge("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", float64(m.HeapSys))
	w.Gauge("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", float64(m.HeapIdle))
	w.Gauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", float64(m.HeapInuse))
	w.Gauge("go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", float64(m.HeapReleased))
	w.Gauge("go_memstats_heap_objects", "Number of currently allocated objects.", float64(m.HeapObjects))
	w.Gauge("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments.", float64(m.StackInuse))
	w.Gauge("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator.", float64(m.StackSys))
	w.Gauge("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", float64(m.NextGC))
	w.Gauge("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", float64(m.LastGC)/1e9)
}
