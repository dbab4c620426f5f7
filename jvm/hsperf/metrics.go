package hsperf

import "otter-entrypoint/probes/promtext"

// WriteMetrics writes j as Prometheus metrics named as Prometheus' Java
// client names them (jvm_memory_used_bytes{area}, jvm_gc_collection_seconds{gc}...),
// so that existing JVM dashboards work.
func WriteMetrics(w *promtext.Writer, j JVM) {
	writeUsage(w, "jvm_memory", "area", "; -1 if undefined", []named{{"heap", j.Heap}, {"nonheap", j.NonHeap}})
	if len(j.Pools) > 0 {
		pools := make([]named, 0, len(j.Pools))
		for _, p := range firstByName(j.Pools, func(p Pool) string { return p.Name }) {
			pools = append(pools, named{p.Name, p.Usage})
		}
		writeUsage(w, "jvm_memory_pool", "pool", "", pools)
	}
	if len(j.GCs) > 0 {
		w.Family("jvm_gc_collection_seconds", promtext.Summary, "Time spent in a given JVM garbage collector in seconds (pauses, from hsperfdata).")
		for _, gc := range firstByName(j.GCs, func(g GC) string { return g.Name }) {
			w.Summary("jvm_gc_collection_seconds", nil, gc.Seconds, uint64(max(gc.Count, 0)), "gc", gc.Name)
		}
	}
	if j.HasThreads {
		w.Gauge("jvm_threads_current", "Current thread count of a JVM.", float64(j.ThreadsLive))
		w.Gauge("jvm_threads_daemon", "Daemon thread count of a JVM.", float64(j.ThreadsDaemon))
		w.Gauge("jvm_threads_peak", "Peak thread count of a JVM.", float64(j.ThreadsPeak))
		w.Counter("jvm_threads_started_total", "Started thread count of a JVM.", float64(j.ThreadsStarted))
	}
	if j.HasClasses {
		w.Gauge("jvm_classes_currently_loaded", "The number of classes that are currently loaded in the JVM.", float64(j.ClassesLoaded))
		w.Counter("jvm_classes_loaded_total", "The total number of classes that have been loaded since the JVM has started execution.", float64(j.ClassesLoadedTotal))
		w.Counter("jvm_classes_unloaded_total", "The total number of classes that have been unloaded since the JVM has started execution.", float64(j.ClassesUnloadedTotal))
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

// firstByName drops the items whose name repeats an earlier one's: the
// name becomes a label value, and Prometheus rejects a scrape with two
// series of the same labels (a garbled file may name two pools or
// collectors alike).
func firstByName[T any](items []T, name func(T) string) []T {
	seen := make(map[string]bool, len(items))
	out := make([]T, 0, len(items))
	for _, it := range items {
		if n := name(it); !seen[n] {
			seen[n] = true
			out = append(out, it)
		}
	}
	return out
}
