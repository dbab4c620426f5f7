package jvm

import (
	"context"
	"os"
	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
	"testing"
)

// BenchmarkBuild is Build for the manager with startup.sh's pasted JAVA_OPTS
// (the worst common case) on JDK 17.
func BenchmarkBuild(b *testing.B) {
	o := managerOpts()
	o.JavaOptions = testkit.StartupSh64
	o.MemoryLimit = 1 << 30
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Build(jdk17, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildNoOptions is Build with no JAVA_OPTIONS.
func BenchmarkBuildNoOptions(b *testing.B) {
	o := managerOpts()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Build(jdk17, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetect finds /usr/bin/java through PATH and reads the release file.
func BenchmarkDetect(b *testing.B) {
	if _, err := os.Stat("/usr/bin/java"); err != nil {
		b.Skip("SKIPPED LOUDLY: no /usr/bin/java")
	}
	getenv := envOf(map[string]string{"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Detect(context.Background(), getenv, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContainerMemoryLimit reads this host's cgroup files.
func BenchmarkContainerMemoryLimit(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ContainerMemoryLimit("/proc", "/"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLibJars lists a release's lib/.
func BenchmarkLibJars(b *testing.B) {
	m, _ := otterstub.BuildRelease(b, "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LibJars(m); err != nil {
			b.Fatal(err)
		}
	}
}
