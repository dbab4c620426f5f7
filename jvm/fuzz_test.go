package jvm

import (
	"otter-entrypoint/internal/testkit"
	"strconv"
	"strings"
	"testing"
)

// FuzzTranslate: any JAVA_OPTIONS on any JDK translates without panicking,
// every warning names a flag, no output argument is one the table would
// still change (translation is idempotent), and at most one collector is
// selected afterwards.
func FuzzTranslate(f *testing.F) {
	f.Add(testkit.StartupSh64, 17)
	f.Add(testkit.StartupSh32, 8)
	f.Add(testkit.StartupShDebug, 25)
	f.Add("-XX:+PrintGCDetails -Xloggc:/x/gc.log -XX:+UseGCLogFileRotation -XX:GCLogFileSize=10m -verbose:gc", 11)
	f.Add("-XX:+UseParallelGC -XX:+UseConcMarkSweepGC -XX:MaxRAMFraction=0 -XX:CMSx", 21)
	f.Fuzz(func(t *testing.T, opts string, major int) {
		args, err := SplitOptions(opts)
		if err != nil {
			return
		}
		if major < 0 || major > 40 {
			major %= 41
			if major < 0 {
				major = -major
			}
		}
		tr := translate(args, major)
		for _, w := range tr.warnings {
			if w.Flag == "" || w.Message == "" {
				t.Fatalf("warning without a flag or message: %+v", w)
			}
		}
		again := translate(tr.args, major)
		if len(again.warnings) != 0 {
			t.Fatalf("translation is not idempotent on JDK %d: %q → %q, then warnings %v", major, args, tr.args, again.warnings)
		}
		seen := map[string]bool{}
		for _, a := range tr.args {
			if o, ok := parseXX(a); ok && o.sign == '+' && collectors[o.name] != "" {
				seen[collectors[o.name]] = true
			}
		}
		if len(seen) > 1 {
			t.Fatalf("two collectors remain: %q", tr.args)
		}
	})
}

// FuzzCgroupFiles: the /proc/self/cgroup and mountinfo parsers never panic
// and place the cgroup under its mount.
func FuzzCgroupFiles(f *testing.F) {
	f.Add("4:memory:/kubepods/pod1/c1\n0::/\n", v1Mountinfo)
	f.Add("4:memory:/docker/abc\n", v1ContainerMountinfo)
	f.Add("0::/kubepods.slice/x\n", v2Mountinfo)
	f.Add("", "")
	f.Add("::\n0::\n", " - \n1 2 3 4 5 - cgroup2\n")
	f.Fuzz(func(t *testing.T, cgroup, mountinfo string) {
		d, ok := memoryCgroupDir([]byte(cgroup), []byte(mountinfo))
		if !ok {
			return
		}
		if d.v2 != (d.limitFile() == "memory.max") || d.v2 != (d.eventsFile() == "memory.events") {
			t.Fatalf("v2 %v with files %q, %q", d.v2, d.limitFile(), d.eventsFile())
		}
		if !strings.HasPrefix(d.path, d.mount) {
			t.Fatalf("cgroup dir %q is not under its mount %q", d.path, d.mount)
		}
	})
}

// FuzzOOMKill: the oom_kill parser never panics, never returns a negative
// count, and a count it returns is written on an "oom_kill" line.
func FuzzOOMKill(f *testing.F) {
	f.Add("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
	f.Add("low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n")
	f.Add("oom_kill -1\n")
	f.Add("oom_kill\n")
	f.Fuzz(func(t *testing.T, text string) {
		n, ok := parseOOMKill([]byte(text))
		if !ok {
			return
		}
		if n < 0 {
			t.Fatalf("count %d", n)
		}
		if !strings.Contains(text, "oom_kill") {
			t.Fatalf("count %d from a text without oom_kill: %q", n, text)
		}
	})
}

// FuzzParseSize: no panic; a parsed size is non-negative and round-trips
// through its byte count.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1024", "64k", "512m", "3G", "1t", "", "-1", "9223372036854775807", "8796093022208t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if back, err := ParseSize(strconv.FormatInt(n, 10)); err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, but its byte count parses as %d, %v", s, n, back, err)
		}
	})
}

// FuzzVersions: the version parsers never panic and agree with each other.
func FuzzVersions(f *testing.F) {
	for _, s := range []string{"1.8.0_392", "17.0.15", "26-ea", "jdk8u392-b08", "", "1.", "x1.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m := MajorVersion(v)
		if m < 0 {
			t.Fatalf("MajorVersion(%q) = %d", v, m)
		}
		_ = (JDK{Version: v}).Update()
		if strings.ContainsAny(v, "\"\n\r'") {
			return
		}
		if got := ReleaseVersion([]byte("JAVA_VERSION=\"" + v + "\"\n")); got != strings.TrimSpace(v) && strings.TrimSpace(v) == v {
			t.Fatalf("ReleaseVersion round trip: %q → %q", v, got)
		}
		if got := VersionOutput([]byte("openjdk version \"" + v + "\" 2025\n")); got != v && v != "" {
			t.Fatalf("VersionOutput round trip: %q → %q", v, got)
		}
	})
}

// FuzzHostOrdinal: no panic; an ordinal found is the host name's trailing digits.
func FuzzHostOrdinal(f *testing.F) {
	for _, s := range []string{"otter-node-3", "otter-node-3.svc", "node-", "-1", "a-999999999", "a-9999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		n, ok := HostOrdinal(h)
		if ok && n < 0 {
			t.Fatalf("HostOrdinal(%q) = %d", h, n)
		}
	})
}
