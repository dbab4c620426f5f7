package jvm

import (
	"errors"
	"os"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"
)

var (
	jdk8old = JDK{Java: "/jdk8/bin/java", Version: "1.8.0_181", Major: 8}
	jdk8    = JDK{Java: "/jdk8/bin/java", Version: "1.8.0_392", Major: 8}
	jdk8pre = JDK{Java: "/jdk8/bin/java", Version: "1.8.0_77", Major: 8}
	jdk11   = JDK{Java: "/jdk11/bin/java", Version: "11.0.2", Major: 11}
	jdk17   = JDK{Java: "/jdk17/bin/java", Version: "17.0.15", Major: 17}
	jdk21   = JDK{Java: "/jdk21/bin/java", Version: "21.0.5", Major: 21}
	jdk25   = JDK{Java: "/jdk25/bin/java", Version: "25.0.3", Major: 25}
)

func managerOpts() Options {
	return Options{Role: "manager", OtterHome: "/h", RenderDir: "/r", RenderedFile: "/r/otter.properties",
		Jars: []string{"/h/lib/b.jar", "/h/lib/a.jar"}, Settings: Settings{MaxMemRatio: 75, DebugPort: 5005}}
}

func TestBuildManagerExact(t *testing.T) {
	c, w, err := Build(jdk17, managerOpts())
	if err != nil || len(w) != 0 {
		t.Fatalf("Build: %v %v", err, w)
	}
	want := []string{
		"-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=/h/logs",
		"-Xlog:gc*:file=/h/logs/gc/gc.log:time,uptime,level,tags:filecount=10,filesize=10M",
		"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent",
		"-Dsun.rmi.dgc.server.gcInterval=0x7FFFFFFFFFFFFFFE", "-Dsun.rmi.dgc.client.gcInterval=0x7FFFFFFFFFFFFFFE",
		"-DappName=otter-manager", "-Ddubbo.application.logger=slf4j", "-Dlogback.configurationFile=/h/conf/logback.xml",
		"-Djava.awt.headless=true", "-Djava.net.preferIPv4Stack=true", "-Dfile.encoding=UTF-8", "-Dotter.conf=/r/otter.properties",
		"-classpath", "/r:/h:/h/conf:/h/lib/b.jar:/h/lib/a.jar", otter.Manager.MainClass(),
	}
	if !reflect.DeepEqual(c.Args, want) {
		t.Errorf("Args =\n%q\nwant\n%q", c.Args, want)
	}
	if c.Path != "/jdk17/bin/java" || c.Dir != "/h/bin" {
		t.Errorf("Path %s Dir %s", c.Path, c.Dir)
	}
	if !reflect.DeepEqual(c.Dirs, []string{"/h/logs", "/h/logs/gc"}) {
		t.Errorf("Dirs = %q", c.Dirs)
	}
}

func TestBuildNodeExact(t *testing.T) {
	o := Options{Role: "node", OtterHome: "/h", RenderDir: "/r", Nid: 4, AdvertiseHost: "10.0.0.9", Settings: Settings{MaxMemRatio: 75}}
	c, _, err := Build(jdk8, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=/h/logs",
		"-Xloggc:/h/logs/gc/gc.log", "-XX:+PrintGCDetails", "-XX:+PrintGCDateStamps", "-XX:+UseGCLogFileRotation", "-XX:NumberOfGCLogFiles=10", "-XX:GCLogFileSize=10M",
		"-XX:+UseParallelGC",
		"-Dsun.rmi.dgc.server.gcInterval=0x7FFFFFFFFFFFFFFE", "-Dsun.rmi.dgc.client.gcInterval=0x7FFFFFFFFFFFFFFE",
		"-Djava.rmi.server.hostname=10.0.0.9",
		"-DappName=otter-node", "-Ddubbo.application.logger=slf4j", "-Dlogback.configurationFile=/h/conf/logback.xml",
		"-Djava.awt.headless=true", "-Djava.net.preferIPv4Stack=true", "-Dfile.encoding=UTF-8", "-Dnid=4",
		"-classpath", "/r:/h/conf:/h/lib/*", otter.Node.MainClass(),
	}
	if !reflect.DeepEqual(c.Args, want) {
		t.Errorf("Args =\n%q\nwant\n%q", c.Args, want)
	}
	if !reflect.DeepEqual(c.Dirs, []string{"/h/logs", "/h/logs/gc", "/h/logs/node", "/h/htdocs", "/h/download"}) {
		t.Errorf("Dirs = %q", c.Dirs)
	}
}

// TestBuildDefaults: the defaults per JDK and setting, and that the user's
// JAVA_OPTIONS come after them.
func TestBuildDefaults(t *testing.T) {
	tests := []struct {
		name      string
		jdk       JDK
		mod       func(*Options)
		want, not []string
		warn      string
	}{
		{"ratios", jdk17, func(o *Options) { o.MaxMemRatio, o.InitialMemRatio = 80.5, 25 }, []string{"-XX:MaxRAMPercentage=80.5", "-XX:InitialRAMPercentage=25"}, nil, ""},
		{"ratio 0 leaves it to the JVM", jdk17, func(o *Options) { o.MaxMemRatio = 0 }, nil, []string{"-XX:MaxRAMPercentage=75"}, ""},
		{"8u191+ has RAMPercentage", jdk8, nil, []string{"-XX:MaxRAMPercentage=75"}, []string{"-Xmx768m"}, ""},
		{"8u181: -Xmx from the cgroup limit", jdk8old, func(o *Options) { o.MemoryLimit, o.InitialMemRatio = 1<<30, 50 }, []string{"-Xmx768m", "-Xms512m", "-XX:+ExitOnOutOfMemoryError"}, []string{"-XX:MaxRAMPercentage=75"}, ""},
		{"8u181 without a limit warns", jdk8old, nil, nil, []string{"-XX:MaxRAMPercentage=75"}, "cannot see container limits"},
		{"8u77 has no ExitOnOutOfMemoryError", jdk8pre, func(o *Options) { o.MemoryLimit = 1 << 30 }, []string{"-Xmx768m"}, []string{"-XX:+ExitOnOutOfMemoryError"}, ""},
		{"debug on 17", jdk17, func(o *Options) { o.Debug, o.DebugPort = true, 8000 }, []string{"-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:8000"}, nil, ""},
		{"debug on 8", jdk8, func(o *Options) { o.Debug = true }, []string{"-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=5005"}, nil, ""},
		{"debug with the user's agent", jdk17, func(o *Options) {
			o.Debug, o.JavaOptions = true, "-agentlib:jdwp=transport=dt_socket,server=y,address=*:9"
		}, nil, []string{"-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005"}, "cannot be loaded twice"},
		{"-Xmx above the limit", jdk25, func(o *Options) { o.MemoryLimit, o.JavaOptions = 1<<30, "-Xmx3g" }, []string{"-Xmx3g"}, nil, "the kernel will kill the JVM"},
		{"-XX:MaxHeapSize above the limit", jdk25, func(o *Options) { o.MemoryLimit, o.JavaOptions = 1<<30, "-Xmx512m -XX:MaxHeapSize=2048m" }, nil, nil, "-XX:MaxHeapSize=2048m asks for a heap of 2.0 GiB"},
		{"spaces in OTTER_HOME", jdk17, func(o *Options) { o.OtterHome = "/otter home" }, []string{"-XX:HeapDumpPath=/otter home/logs", "-Xlog:gc*:file=/otter home/logs/gc/gc.log:time,uptime,level,tags:filecount=10,filesize=10M", "-Dlogback.configurationFile=/otter home/conf/logback.xml"}, nil, ""},
		{"colon in OTTER_HOME is quoted for -Xlog", jdk17, func(o *Options) { o.OtterHome = "/a:b" }, []string{`-Xlog:gc*:file="/a:b/logs/gc/gc.log":time,uptime,level,tags:filecount=10,filesize=10M`}, nil, ""},
		{"no jars listed: lib/*", jdk17, func(o *Options) { o.Jars = nil }, []string{"/r:/h:/h/conf:/h/lib/*"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := managerOpts()
			if tt.mod != nil {
				tt.mod(&o)
			}
			c, warns, err := Build(tt.jdk, o)
			if err != nil {
				t.Fatal(err)
			}
			wantArgs(t, c.Args, tt.want, tt.not)
			var msgs []string
			for _, w := range warns {
				msgs = append(msgs, w.Message)
			}
			all := strings.Join(msgs, "\n")
			if tt.warn == "" && len(warns) > 0 || tt.warn != "" && !strings.Contains(all, tt.warn) {
				t.Errorf("warnings %q, want one containing %q", msgs, tt.warn)
			}
		})
	}
}

// TestBuildCollector: a collector is chosen unless JAVA_OPTIONS name one
// (after translation), never two; System.gc() is concurrent where the
// collector is G1; RMI's hourly System.gc() is off everywhere.
func TestBuildCollector(t *testing.T) {
	const rmi = "-Dsun.rmi.dgc.server.gcInterval=0x7FFFFFFFFFFFFFFE"
	tests := []struct {
		name      string
		jdk       JDK
		opts      string
		want, not []string
	}{
		{"17: G1", jdk17, "", []string{"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent", rmi}, []string{"-XX:+UseParallelGC", "-XX:+DisableExplicitGC"}},
		{"25: G1", jdk25, "", []string{"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent", rmi}, nil},
		{"8: Parallel", jdk8, "", []string{"-XX:+UseParallelGC", rmi}, []string{"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent"}},
		{"8u77: Parallel", jdk8pre, "", []string{"-XX:+UseParallelGC", rmi}, nil},
		{"user's Parallel", jdk17, "-XX:+UseParallelGC", []string{"-XX:+UseParallelGC", rmi}, []string{"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent"}},
		{"user's ZGC", jdk25, "-XX:+UseZGC", []string{"-XX:+UseZGC"}, []string{"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent"}},
		{"user's G1 on 8", jdk8, "-XX:+UseG1GC", []string{"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent"}, []string{"-XX:+UseParallelGC"}},
		{"user's CMS on 8", jdk8, "-XX:+UseConcMarkSweepGC", []string{"-XX:+UseConcMarkSweepGC"}, []string{"-XX:+UseParallelGC", "-XX:+UseG1GC"}},
		{"user's CMS becomes G1 on 17", jdk17, testkit.StartupSh64, []string{"-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent", "-XX:+DisableExplicitGC"}, []string{"-XX:+UseParallelGC"}},
		{"user deselects G1", jdk17, "-XX:-UseG1GC", nil, []string{"-XX:+UseG1GC", "-XX:+UseParallelGC", "-XX:+ExplicitGCInvokesConcurrent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := managerOpts()
			o.JavaOptions = tt.opts
			c, _, err := Build(tt.jdk, o)
			if err != nil {
				t.Fatal(err)
			}
			wantArgs(t, c.Args, tt.want, tt.not)
			var selected []string
			for _, a := range c.Args {
				if x, ok := parseXX(a); ok && x.sign == '+' && collectors[x.name] != "" && !slices.Contains(selected, collectors[x.name]) {
					selected = append(selected, collectors[x.name])
				}
			}
			if len(selected) > 1 {
				t.Errorf("two collectors selected %q:\n%q", selected, c.Args)
			}
		})
	}
}

func TestBuildUserOptionsComeLast(t *testing.T) {
	o := managerOpts()
	o.JavaOptions = `-XX:MaxRAMPercentage=50 -Dfile.encoding=GBK '-Dx=a b'`
	c, _, err := Build(jdk17, o)
	if err != nil {
		t.Fatal(err)
	}
	i, j := indexOf(c.Args, "-XX:MaxRAMPercentage=75"), indexOf(c.Args, "-XX:MaxRAMPercentage=50")
	k, l := indexOf(c.Args, "-Dfile.encoding=UTF-8"), indexOf(c.Args, "-Dfile.encoding=GBK")
	if !(i < j && k < l && j < indexOf(c.Args, "-classpath")) || !slices.Contains(c.Args, "-Dx=a b") {
		t.Errorf("the user's options must follow the defaults: %q", c.Args)
	}
}

// TestBuildLegacy: the legacy table per JDK, on whole JAVA_OPTIONS values.
func TestBuildLegacy(t *testing.T) {
	tests := []struct {
		name      string
		jdk       JDK
		opts      string
		want, not []string
		warnings  int
	}{
		{"startup.sh 64-bit on 17", jdk17, testkit.StartupSh64,
			[]string{"-XX:MetaspaceSize=96m", "-XX:MaxMetaspaceSize=256m", "-XX:+UseG1GC", "-Xms2048m", "-XX:MaxTenuringThreshold=15"},
			[]string{"-XX:PermSize=96m", "-XX:+UseConcMarkSweepGC", "-XX:+CMSParallelRemarkEnabled", "-XX:+UseCMSCompactAtFullCollection", "-XX:+UseFastAccessorMethods", "-XX:+UseCMSInitiatingOccupancyOnly"}, 7},
		{"startup.sh 64-bit on 11 keeps CMS", jdk11, testkit.StartupSh64,
			[]string{"-XX:+UseConcMarkSweepGC", "-XX:+CMSParallelRemarkEnabled", "-XX:MetaspaceSize=96m"},
			[]string{"-XX:+UseCMSCompactAtFullCollection", "-XX:+UseFastAccessorMethods", "-XX:+UseG1GC"}, 4},
		{"startup.sh 64-bit on 8: only Perm", jdk8, testkit.StartupSh64,
			[]string{"-XX:+UseConcMarkSweepGC", "-XX:+UseCMSCompactAtFullCollection", "-XX:+UseFastAccessorMethods", "-XX:MetaspaceSize=96m"},
			[]string{"-XX:PermSize=96m"}, 2},
		{"startup.sh 32-bit on 25", jdk25, testkit.StartupSh32, []string{"-XX:MaxMetaspaceSize=128m", "-XX:NewSize=256m"}, []string{"-XX:MaxPermSize=128m"}, 1},
		{"debug flags on 25", jdk25, "-Xdebug -Xnoagent -Djava.compiler=NONE -Xrunjdwp:transport=dt_socket,address=8000,server=y,suspend=n",
			[]string{"-agentlib:jdwp=transport=dt_socket,address=*:8000,server=y,suspend=n"}, []string{"-Xdebug", "-Xnoagent", "-Djava.compiler=NONE"}, 4},
		{"debug flags on 17 keep java.compiler", jdk17, "-Xdebug -Djava.compiler=NONE", []string{"-Djava.compiler=NONE"}, []string{"-Xdebug"}, 1},
		{"debug flags on 8 untouched", jdk8, "-Xdebug -Xnoagent -Xrunjdwp:transport=dt_socket,address=8000", []string{"-Xdebug", "-Xnoagent", "-Xrunjdwp:transport=dt_socket,address=8000"}, nil, 0},
		{"two collectors: the last wins", jdk17, "-XX:+UseParallelGC -XX:+UseG1GC", []string{"-XX:+UseG1GC"}, []string{"-XX:+UseParallelGC"}, 1},
		{"CMS becomes G1, then the user's Parallel wins", jdk17, "-XX:+UseConcMarkSweepGC -XX:+UseParallelGC", []string{"-XX:+UseParallelGC"}, []string{"-XX:+UseG1GC"}, 2},
		{"ParNew with CMS is one collector on 8", jdk8, "-XX:+UseParNewGC -XX:+UseConcMarkSweepGC", []string{"-XX:+UseParNewGC", "-XX:+UseConcMarkSweepGC"}, nil, 0},
		{"ParallelOld is Parallel", jdk11, "-XX:+UseParallelGC -XX:+UseParallelOldGC", []string{"-XX:+UseParallelGC", "-XX:+UseParallelOldGC"}, nil, 0},
		{"ParallelOld renamed on 17", jdk17, "-XX:+UseParallelOldGC", []string{"-XX:+UseParallelGC"}, nil, 1},
		{"minus collector is no selection", jdk17, "-XX:-UseG1GC -XX:+UseSerialGC", []string{"-XX:-UseG1GC", "-XX:+UseSerialGC"}, nil, 0},
		{"-XX:-UseConcMarkSweepGC dropped", jdk17, "-XX:-UseConcMarkSweepGC", nil, []string{"-XX:-UseG1GC", "-XX:-UseConcMarkSweepGC"}, 1},
		{"BiasedLocking kept on 17", jdk17, "-XX:+UseBiasedLocking", []string{"-XX:+UseBiasedLocking"}, nil, 0},
		{"BiasedLocking dropped on 21", jdk21, "-XX:-UseBiasedLocking", nil, []string{"-XX:-UseBiasedLocking"}, 1},
		{"RAMFraction on 25", jdk25, "-XX:MaxRAMFraction=2 -XX:InitialRAMFraction=4 -XX:MaxRAMFraction=x", []string{"-XX:MaxRAMPercentage=50", "-XX:InitialRAMPercentage=25"}, []string{"-XX:MaxRAMFraction=x"}, 3},
		{"CGroup flag", jdk11, "-XX:+UnlockExperimentalVMOptions -XX:+UseCGroupMemoryLimitForHeap", []string{"-XX:+UnlockExperimentalVMOptions"}, []string{"-XX:+UseCGroupMemoryLimitForHeap"}, 1},
		{"unknown CMS flag on 17", jdk17, "-XX:CMSWaitDuration=2000", nil, []string{"-XX:CMSWaitDuration=2000"}, 1},
		{"TraceClassLoading on 17", jdk17, "-XX:+TraceClassLoading", []string{"-Xlog:class+load=info"}, nil, 1},
		{"ext dirs on 11", jdk11, "-Djava.ext.dirs=/x -Djava.endorsed.dirs=/y -Xbootclasspath/p:/z -Xincgc", nil, []string{"-Djava.ext.dirs=/x", "-Djava.endorsed.dirs=/y", "-Xbootclasspath/p:/z", "-Xincgc"}, 4},
		{"modern flags untouched", jdk25, "-XX:+UseZGC -Xlog:gc:stdout -XX:MaxRAMPercentage=60 -agentlib:jdwp=address=*:1", []string{"-XX:+UseZGC", "-Xlog:gc:stdout", "-XX:MaxRAMPercentage=60"}, nil, 0},
		{"gc log family", jdk17, "-XX:+PrintGCDetails -XX:+PrintGCDateStamps -Xloggc:/var/log/otter/gc.log -XX:+UseGCLogFileRotation -XX:NumberOfGCLogFiles=7 -XX:GCLogFileSize=64m -Xss1m",
			[]string{"-Xlog:gc*:file=/var/log/otter/gc.log:time,level,tags:filecount=7,filesize=64M", "-Xss1m"}, []string{"-XX:+PrintGCDetails"}, 6},
		{"gc log to stdout", jdk17, "-verbose:gc -XX:+PrintGCTimeStamps -XX:+PrintTenuringDistribution", []string{"-Xlog:gc,gc+age=trace:stdout:uptime,level,tags"}, []string{"-verbose:gc"}, 3},
		{"-verbose:gc alone is fine", jdk17, "-verbose:gc", []string{"-verbose:gc"}, nil, 0},
		{"-Xloggc without rotation", jdk11, "-Xloggc:gc.log", []string{"-Xlog:gc:file=gc.log:uptime,level,tags:filecount=0"}, nil, 1},
		{"stamps alone log nothing", jdk17, "-XX:+PrintGCDateStamps -XX:+PrintGCCause", nil, []string{"-XX:+PrintGCDateStamps"}, 2},
		{"gc log family on 8 untouched", jdk8, "-XX:+PrintGCDetails -Xloggc:/x/gc.log", []string{"-XX:+PrintGCDetails", "-Xloggc:/x/gc.log"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := managerOpts()
			o.JavaOptions = tt.opts
			c, warns, err := Build(tt.jdk, o)
			if err != nil {
				t.Fatal(err)
			}
			user := c.Args[indexOf(c.Args, "-Dotter.conf=/r/otter.properties")+1 : indexOf(c.Args, "-classpath")]
			for _, w := range tt.want {
				if !slices.Contains(user, w) {
					t.Errorf("user args lack %q:\n%q", w, user)
				}
			}
			for _, w := range tt.not {
				if slices.Contains(user, w) {
					t.Errorf("user args hold %q:\n%q", w, user)
				}
			}
			if len(warns) != tt.warnings {
				t.Errorf("%d warnings, want %d:\n%v", len(warns), tt.warnings, warns)
			}
			for _, w := range warns {
				if !strings.HasPrefix(w.Message, "JAVA_OPTIONS: ") || w.Flag == "" {
					t.Errorf("warning %+v: want the setting and the flag named", w)
				}
				if w.Replacement != "" && !strings.Contains(w.Message, w.Replacement) {
					t.Errorf("warning %q does not name its replacement %q", w.Message, w.Replacement)
				}
			}
		})
	}
}

func TestBuildDirsForUserFiles(t *testing.T) {
	o := managerOpts()
	o.JavaOptions = "-Xloggc:../logs/old/gc.log -XX:HeapDumpPath=/dumps -XX:ErrorFile=/crash/hs_err_%p.log"
	for _, jdk := range []JDK{jdk8, jdk17} {
		c, _, err := Build(jdk, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"../logs/old", "/dumps", "/crash"} {
			if !slices.Contains(c.Dirs, d) {
				t.Errorf("JDK %d: Dirs %q lack %s", jdk.Major, c.Dirs, d)
			}
		}
	}
	o.JavaOptions = "-XX:HeapDumpPath=/dumps/otter.hprof"
	c, _, _ := Build(jdk17, o)
	if !slices.Contains(c.Dirs, "/dumps") {
		t.Errorf("Dirs %q lack the heap dump file's directory", c.Dirs)
	}
	dir := t.TempDir()
	c = Command{Dir: dir, Dirs: []string{"rel/a", dir + "/abs/b"}}
	if err := c.MakeDirs(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir + "/rel/a", dir + "/abs/b"} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("MakeDirs did not create %s: %v", d, err)
		}
	}
}

// TestDirsKeepDotDot: the kernel resolves <dir>/crash/new/../hs_err.log
// only when crash/new exists, so the directory to create is kept as
// written, not cleaned to <dir>/crash as filepath.Dir would.
func TestDirsKeepDotDot(t *testing.T) {
	file := t.TempDir() + "/crash/new/../hs_err.log"
	c := Command{Dirs: translate([]string{"-XX:ErrorFile=" + file}, 17).dirs}
	if err := c.MakeDirs(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Errorf("Dirs %q: the JVM could not write %s: %v", c.Dirs, file, err)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		jdk  JDK
		mod  func(*Options)
		want []string
		each bool // one problem per want: all are reported at once
	}{
		{"bad role", jdk17, func(o *Options) { o.Role = "worker" }, []string{`role "worker"`}, false},
		{"no JDK", JDK{}, func(o *Options) {}, []string{"no JDK"}, false},
		{"no home", jdk17, func(o *Options) { o.OtterHome = "" }, []string{"OTTER_HOME is empty"}, false},
		{"no rendered file", jdk17, func(o *Options) { o.RenderedFile = "" }, []string{"rendered otter.properties"}, false},
		{"node without nid", jdk17, func(o *Options) { o.Role = "node" }, []string{"nid 0", "OTTER_NID"}, false},
		{"everything at once", jdk17, func(o *Options) {
			o.MaxMemRatio, o.InitialMemRatio, o.Debug, o.DebugPort, o.JavaOptions = 101, -1, true, 70000, `-Dx='unclosed`
		}, []string{"JAVA_MAX_MEM_RATIO=101", "JAVA_INITIAL_MEM_RATIO=-1", "JAVA_DEBUG_PORT=70000", "JAVA_OPTIONS (environment): unbalanced single quote"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := managerOpts()
			tt.mod(&o)
			_, _, err := Build(tt.jdk, o)
			var e *exit.Error
			if !errors.As(err, &e) || e.Code != 78 {
				t.Fatalf("Build error = %v, want exit code 78", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.each && len(e.Problems) != len(tt.want) {
				t.Errorf("problems %q: want all %d reported at once", e.Problems, len(tt.want))
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "64k": 64 << 10, "512m": 512 << 20, "3G": 3 << 30, "1t": 1 << 40} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "-1g", "1.5g", "99999999999999t", "1x"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): want an error", in)
		}
	}
}

func TestSettings(t *testing.T) {
	var s Settings
	if err := env.ParseWithOptions(&s, env.Options{Environment: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if s != (Settings{MaxMemRatio: 75, DebugPort: 5005}) || len(s.Validate()) != 0 {
		t.Errorf("defaults = %+v, problems %q", s, s.Validate())
	}
	err := env.ParseWithOptions(&s, env.Options{Environment: map[string]string{
		"JAVA_OPTIONS": "-Xmx1g '-Dx=a b'", "JAVA_MAX_MEM_RATIO": "60.5", "JAVA_INITIAL_MEM_RATIO": "10", "JAVA_DEBUG": "true", "JAVA_DEBUG_PORT": "8000",
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Settings: s}
	if o.JavaOptions != "-Xmx1g '-Dx=a b'" || o.MaxMemRatio != 60.5 || o.InitialMemRatio != 10 || !o.Debug || o.DebugPort != 8000 {
		t.Errorf("Options{Settings: s} = %+v", o)
	}
	bad := Settings{MaxMemRatio: 150, InitialMemRatio: -2, DebugPort: 0, JavaOptions: `"x`}
	if p := bad.Validate(); len(p) != 4 {
		t.Errorf("Validate = %q, want 4 problems", p)
	}
}

func TestLibJars(t *testing.T) {
	home := t.TempDir()
	if _, err := LibJars(home); err == nil {
		t.Error("LibJars without lib/: want an error")
	}
	var e *exit.Error
	if _, err := LibJars(home); !errors.As(err, &e) || e.Code != 78 {
		t.Errorf("LibJars error = %v, want exit code 78", err)
	}
	managerHome, _ := otterstub.BuildRelease(t, "")
	jars, err := LibJars(managerHome)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{managerHome + "/lib/manager.deployer-4.2.18.jar", managerHome + "/lib/commons-lang-2.6.jar"}
	if !reflect.DeepEqual(jars, want) {
		t.Errorf("LibJars = %q, want startup.sh's reverse order %q", jars, want)
	}
}

func TestRedacted(t *testing.T) {
	o := managerOpts()
	o.JavaOptions = `-Dotter.database.driver.password=hunter2 -DDB_PASSWD=x -Dapi.token=t -Dplain=visible '-Dx=a b' -Dx.url=jdbc:mysql://otter:pw2@db/otter?password=pw3 -Dmail=a@b.c`
	c, _, err := Build(jdk17, o)
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"hunter2", "DB_PASSWD=x", "api.token=t", "pw2", "pw3"} {
		if strings.Contains(s, secret) || strings.Contains(strings.Join(c.Redacted(), " "), secret) {
			t.Errorf("secret %q shown: %s", secret, s)
		}
	}
	for _, want := range []string{"-Dotter.database.driver.password=******", "-Dplain=visible", "'-Dx=a b'", "/jdk17/bin/java ", "-Dx.url=jdbc:mysql://otter:******@db/otter?password=******", "-Dmail=a@b.c"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q: %s", want, s)
		}
	}
	if !slices.Contains(c.Args, "-Dotter.database.driver.password=hunter2") {
		t.Error("Redacted changed Args")
	}
}

// wantArgs fails the test when args lack one of want or hold one of not.
func wantArgs(t *testing.T, args, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(args, w) {
			t.Errorf("Args lack %q:\n%q", w, args)
		}
	}
	for _, w := range not {
		if slices.Contains(args, w) {
			t.Errorf("Args hold %q:\n%q", w, args)
		}
	}
}
