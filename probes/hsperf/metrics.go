package hsperf

import "otter-entrypoint/probes/promtext"

// WriteMetrics writes j as Prometheus metrics named as Prometheus' Java
// client names them (jvm_memory_used_bytes{area}, jvm_gc_collection_seconds{gc}...),
// so that existing JVM dashboards work.
func WriteMetrics(w *promtext.Writer, j JVM) {
	writeUsage(w, "jvm_memory", "area", "; -1 if undefined", []named{{"heap", j.Heap}, {"nonheap", j.NonHeap}})
	if len(j.Pools) > 0 {
		pools := make([]named, 0, len(j.Pools))
		for _, p := range uniquePools(j.Pools) {
			pools = append(pools, named{p.Name, p.Usage})
		}
		writeUsage(w, "jvm_memory_pool", "pool", "", pools)
	}
	if len(j.GCs) > 0 {
		w.Family("jvm_gc_collection_seconds", promtext.Summary, "Time spent in a given JVM garbage collector in seconds (pauses, from hsperfdata).")
		seen := map[string]bool{}
		for _, gc := range j.GCs {
			if seen[gc.Name] {
				continue // one series per label set; a garbled file may repeat a name
			}
			seen[gc.Name] = true
			w.Summary("jvm_gc_collection_seconds", nil, gc.Seconds, uint64(max(gc.Count, 0)), "gc", gc.Name)
		}
	}
	gauge := func(name, help string, v int64) {
		w.Family(name, promtext.Gauge, help)
		w.Sample(name, float64(v))
	}
	counter := func(name, help string, v int64) {
		w.Family(name, promtext.Counter, help)
		w.Sample(name, float64(v))
	}
	if j.HasThreads {
		gauge("jvm_threads_current", "Current thread count of a JVM.", j.ThreadsLive)
		gauge("jvm_threads_daemon", "Daemon thread count of a JVM.", j.ThreadsDaemon)
		gauge("jvm_threads_peak", "Peak thread count of a JVM.", j.ThreadsPeak)
		counter("jvm_threads_started_total", "Started thread count of a JVM.", j.ThreadsStarted)
	}
	if j.HasClasses {
		gauge("jvm_classes_currently_loaded", "The number of classes that are currently loaded in the JVM.", j.ClassesLoaded)
		counter("jvm_classes_loaded_total", "The total number of classes that have been loaded since the JVM has started execution.", j.ClassesLoadedTotal)
		counter("jvm_classes_unloaded_total", "The total number of classes that have been unloaded since the JVM has started execution.", j.ClassesUnloadedTotal)
	}
	w.Family("jvm_info", promtext.Gauge, "JVM version info.")
	w.Sample("jvm_info", 1, "runtime", j.Runtime, "vendor", j.Vendor, "version", j.Version)
}

type named struct {
	name string
	u    Usage
}

// writeUsage writes the used, committed and max families of prefix, one
// series per item labelled label=name.
func writeUsage(w *promtext.Writer, prefix, label, maxNote string, items []named) {
	for _, f := range []struct {
		suffix, word, note string
		v                  func(Usage) int64
	}{
		{"_used_bytes", "Used", "", func(u Usage) int64 { return u.Used }},
		{"_committed_bytes", "Committed", "", func(u Usage) int64 { return u.Committed }},
		{"_max_bytes", "Max", maxNote, func(u Usage) int64 { return u.Max }},
	} {
		name := prefix + f.suffix
		w.Family(name, promtext.Gauge, f.word+" bytes of a given JVM memory "+label+" (from hsperfdata"+f.note+").")
		for _, it := range items {
			w.Sample(name, float64(f.v(it.u)), label, it.name)
		}
	}
}

// uniquePools drops pools whose name repeats an earlier one: Prometheus
// rejects a scrape with two series of the same labels.
func uniquePools(pools []Pool) []Pool {
	seen := make(map[string]bool, len(pools))
	out := pools[:0:0]
	for _, p := range pools {
		if !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p)
		}
	}
	return out
}
