package otterstub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// start runs java in home/bin.
func start(t *testing.T, java, home string, args ...string) *testkit.Proc {
	t.Helper()
	cmd := exec.Command(java, args...)
	cmd.Dir = filepath.Join(home, "bin")
	return testkit.StartProc(t, cmd)
}

func classpath(home string, role string) string {
	parts := []string{}
	if role == "manager" {
		parts = append(parts, home)
	}
	parts = append(parts, filepath.Join(home, "conf"), filepath.Join(home, "lib", JarName(role)), filepath.Join(home, "lib", extraJar))
	return strings.Join(parts, ":")
}

func setProps(t *testing.T, file string, kv map[string]string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		k, _, ok := strings.Cut(l, "=")
		if v, set := kv[strings.TrimSpace(k)]; ok && set {
			lines[i] = strings.TrimSpace(k) + " = " + v
		}
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLayout(t *testing.T) {
	m, n := BuildRelease(t, "")
	for _, f := range []string{"bin", "conf/otter.properties", "conf/logback.xml", "conf/jetty.xml", "lib/" + JarName("manager"), "lib/" + extraJar, "webapp/WEB-INF/web.xml"} {
		if _, err := os.Stat(filepath.Join(m, f)); err != nil {
			t.Errorf("manager home: %v", err)
		}
	}
	for _, f := range []string{"bin", "conf/otter.properties", "conf/logback.xml", "lib/" + JarName("node"), "logs"} {
		if _, err := os.Stat(filepath.Join(n, f)); err != nil {
			t.Errorf("node home: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(n, "webapp")); err == nil {
		t.Error("node home has a webapp/")
	}
	// The release's defaults (otter.md §2.1/§2.2).
	for home, want := range map[string][]string{
		m: {"otter.port = 8080", "otter.database.driver.url = jdbc:mysql://127.0.0.1:3306/otter", "otter.zookeeper.cluster.default = 127.0.0.1:2181", "otter.manager.address = ${otter.domainName}:${otter.communication.manager.port}"},
		n: {"otter.nodeHome = ${user.dir}/../", "otter.manager.address = 127.0.0.1:1099", "otter.download.dir = ${otter.nodeHome}/download"},
	} {
		for _, w := range want {
			if !testkit.FileContains(filepath.Join(home, "conf", "otter.properties"), w) {
				t.Errorf("%s/conf/otter.properties lacks %q", home, w)
			}
		}
	}
}

func TestWriteReleaseTarball(t *testing.T) {
	m, _ := BuildRelease(t, "")
	var a, b bytes.Buffer
	if err := WriteReleaseTarball(&a, m, ""); err != nil {
		t.Fatal(err)
	}
	if err := WriteReleaseTarball(&b, m, "otter/"); err != nil {
		t.Fatal(err)
	}
	names := func(buf []byte) []string {
		zr, err := gzip.NewReader(bytes.NewReader(buf))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		var out []string
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, h.Name)
		}
	}
	got := names(a.Bytes())
	want := []string{"bin/", "bin/README.stand-in", "conf/", "conf/jetty.xml", "conf/logback.xml", "conf/otter.properties", "lib/", "lib/" + extraJar, "lib/" + JarName("manager"), "webapp/", "webapp/WEB-INF/", "webapp/WEB-INF/web.xml"}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tarball entries\n got %v\nwant %v", got, want)
	}
	for _, n := range names(b.Bytes()) {
		if !strings.HasPrefix(n, "otter/") {
			t.Errorf("entry %q lacks the prefix", n)
		}
	}
	var c bytes.Buffer
	if err := WriteReleaseTarball(&c, m, ""); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("two tarballs of the same home differ; want reproducible output")
	}
}

func TestParseStartLine(t *testing.T) {
	out := []byte("noise\n" + StartPrefix + `{"role":"node","pid":7,"maxHeap":10,"sysprops":{"nid":"3"},"conf":{"a":"b"}}` + "\nmore\n")
	s, err := ParseStartLine(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Role != "node" || s.Pid != 7 || s.Sysprops["nid"] != "3" || s.Conf["a"] != "b" {
		t.Errorf("ParseStartLine = %+v", s)
	}
	if _, err := ParseStartLine([]byte("nothing\n")); !errors.Is(err, ErrNoStartLine) {
		t.Errorf("ParseStartLine(no line) error = %v, want ErrNoStartLine", err)
	}
}

// TestManagerStandIn runs the manager stand-in on every JDK: configuration
// from -Dotter.conf merged into system properties, /monitor/ok.htm, the log
// file relative to bin/, the shutdown hook, and System.exit(0) on a
// startup failure (port taken).
func TestManagerStandIn(t *testing.T) {
	for _, jdk := range testkit.JDKs(t) {
		t.Run(jdk.Name, func(t *testing.T) {
			t.Parallel()
			home := Home(t, "manager", filepath.Join(t.TempDir(), "otter home"))
			conf := filepath.Join(home, "conf", "otter.properties")
			ports := testkit.FreePorts(t, 2)
			port, comm := ports[0], ports[1]
			setProps(t, conf, map[string]string{"otter.port": strconv.Itoa(port), "otter.communication.manager.port": strconv.Itoa(comm), "otter.database.driver.password": "s3cret"})
			p := start(t, jdk.Java(), home, "-Dotter.conf="+conf, "-Dotter.domainName=overwritten-by-file", "-cp", classpath(home, "manager"), ManagerMainClass)
			url := fmt.Sprintf("http://127.0.0.1:%d/monitor/ok.htm", port)
			body := p.WaitOK(t, url, 20*time.Second)
			if string(body) != "server is ok!" {
				t.Errorf("body = %q", body)
			}
			s := StartLine(t, p, 30*time.Second)
			if s.Role != "manager" || s.Sysprops["otter.port"] != strconv.Itoa(port) || s.Sysprops["otter.domainName"] != "127.0.0.1" {
				t.Errorf("start line: role %q otter.port %q otter.domainName %q", s.Role, s.Sysprops["otter.port"], s.Sysprops["otter.domainName"])
			}
			if s.Conf["otter.manager.address"] != fmt.Sprintf("127.0.0.1:%d", comm) {
				t.Errorf("resolved otter.manager.address = %q", s.Conf["otter.manager.address"])
			}
			if got := s.Sysprops["otter.database.driver.password"]; got != MaskSecret("s3cret") || bytes.Contains(p.Out.Bytes(), []byte("s3cret")) {
				t.Errorf("password printed as %q; want it masked", got)
			}
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", comm)); err != nil {
				t.Errorf("communication port: %v", err)
			} else {
				c.Close()
			}
			log := filepath.Join(home, ManagerLog)
			if !testkit.FileContains(log, ManagerRunning) {
				t.Errorf("%s lacks %q", log, ManagerRunning)
			}
			if bytes.Contains(p.Out.Bytes(), []byte(ManagerRunning)) {
				t.Error("the manager logged to stdout; Otter's logback writes only to files")
			}
			// QUIT: the JVM's own thread dump on stdout, and the JVM keeps running.
			if err := p.Cmd.Process.Signal(syscall.SIGQUIT); err != nil {
				t.Fatal(err)
			}
			testkit.Eventually(t, "a thread dump", 20*time.Second, func() bool { return bytes.Contains(p.Out.Bytes(), []byte("Full thread dump")) }, p.Out.Bytes)
			if resp, err := http.Get(url); err != nil {
				t.Errorf("after QUIT: %v", err)
			} else {
				resp.Body.Close()
			}
			if code := p.Stop(t, 20*time.Second); code != 143 {
				t.Errorf("exit code after TERM = %d, want 143", code)
			}
			if !testkit.FileContains(log, "## manager server is down.") {
				t.Errorf("shutdown hook did not log; %s", log)
			}

			// Port taken: logs the failure and exits 0 like Otter.
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			setProps(t, conf, map[string]string{"otter.port": strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)})
			p2 := start(t, jdk.Java(), home, "-Dotter.conf="+conf, "-cp", classpath(home, "manager"), ManagerMainClass)
			if code := p2.Wait(t, 20*time.Second); code != 0 {
				t.Errorf("exit code on startup failure = %d, want 0 (Otter's System.exit(0))", code)
			}
			if !testkit.FileContains(log, ManagerFailed) {
				t.Errorf("%s lacks %q", log, ManagerFailed)
			}
		})
	}
}

// TestNodeStandIn runs the node stand-in: -Dnid required, classpath
// otter.properties with env/-D overrides, the running line, the aria2c
// child, and the slow shutdown hook removing the registration.
func TestNodeStandIn(t *testing.T) {
	if _, err := exec.LookPath("aria2c"); err != nil {
		testkit.MissingTool(t, "aria2c is not installed (apt-get install aria2); the node stand-in's download needs it")
	}
	for _, jdk := range testkit.JDKs(t) {
		t.Run(jdk.Name, func(t *testing.T) {
			t.Parallel()
			home := Home(t, "node", filepath.Join(t.TempDir(), "node home"))
			cp := classpath(home, "node")

			p := start(t, jdk.Java(), home, "-cp", cp, NodeMainClass)
			if code := p.Wait(t, 20*time.Second); code != 1 {
				t.Errorf("exit without nid = %d, want 1", code)
			}
			if !bytes.Contains(p.Out.Bytes(), []byte("java.lang.ExceptionInInitializerError")) || !testkit.FileContains(filepath.Join(home, NodeLog), "nid is not set!") {
				t.Errorf("no nid: want ExceptionInInitializerError and 'nid is not set!'; output:\n%s", p.Out.Bytes())
			}

			p = start(t, jdk.Java(), home, "-Dnid=3", "-Dotter.manager.address=10.0.0.1:1099", "-Dotter.stub.aria2c=hang", "-cp", cp, NodeMainClass)
			log := filepath.Join(home, NodeLog)
			testkit.Eventually(t, "the running line", 20*time.Second, func() bool { return testkit.FileContains(log, NodeRunning) }, p.Out.Bytes)
			s := StartLine(t, p, 30*time.Second)
			if s.Sysprops["nid"] != "3" || s.Conf["otter.manager.address"] != "10.0.0.1:1099" {
				t.Errorf("nid %q otter.manager.address %q", s.Sysprops["nid"], s.Conf["otter.manager.address"])
			}
			if want := filepath.Join(home, "bin") + "/..//download"; s.Conf["otter.download.dir"] != want {
				t.Errorf("otter.download.dir = %q, want %q", s.Conf["otter.download.dir"], want)
			}
			for _, d := range []string{"htdocs", "download"} {
				if st, err := os.Stat(filepath.Join(home, d)); err != nil || !st.IsDir() {
					t.Errorf("%s not created: %v", d, err)
				}
			}
			reg := filepath.Join(home, "logs", "node", "registered-3")
			if _, err := os.Stat(reg); err != nil {
				t.Errorf("registration: %v", err)
			}
			// The aria2c child runs as a direct child of the JVM.
			var ariaPid int
			testkit.Eventually(t, "aria2c started", 20*time.Second, func() bool {
				b, _ := os.ReadFile(log)
				_, after, ok := bytes.Cut(b, []byte("## aria2c started pid="))
				if !ok {
					return false
				}
				f := strings.Fields(string(after))
				ariaPid, _ = strconv.Atoi(f[0])
				return ariaPid > 0
			}, p.Out.Bytes)
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", ariaPid))
			if err != nil {
				t.Fatalf("aria2c pid %d: %v", ariaPid, err)
			}
			_, rest, _ := bytes.Cut(stat, []byte(") "))
			if f := strings.Fields(string(rest)); len(f) < 2 || f[1] != strconv.Itoa(p.Cmd.Process.Pid) {
				t.Errorf("aria2c's parent = %v, want the JVM %d", f, p.Cmd.Process.Pid)
			}
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ariaPid))
			if strings.TrimSpace(string(comm)) != "aria2c" {
				t.Errorf("child comm = %q", comm)
			}
			t.Cleanup(func() { _ = syscall.Kill(ariaPid, syscall.SIGKILL) })

			// A second download, asked for by dropping a file.
			fetch := filepath.Join(home, "logs", "node", "fetch")
			if err := os.MkdirAll(fetch, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(fetch, "second.url"), []byte("hang\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			testkit.Eventually(t, "a second aria2c", 20*time.Second, func() bool {
				b, _ := os.ReadFile(log)
				return bytes.Count(b, []byte("## aria2c started pid=")) == 2
			}, p.Out.Bytes)
			if _, err := os.Stat(filepath.Join(fetch, "second.started")); err != nil {
				t.Errorf("the request file was not marked started: %v", err)
			}
			t.Cleanup(func() {
				b, _ := os.ReadFile(log)
				for _, l := range strings.Split(string(b), "\n") {
					if _, after, ok := strings.Cut(l, "## aria2c started pid="); ok {
						if pid, err := strconv.Atoi(strings.Fields(after)[0]); err == nil {
							_ = syscall.Kill(pid, syscall.SIGKILL)
						}
					}
				}
			})

			if code := p.Stop(t, 20*time.Second); code != 143 {
				t.Errorf("exit after TERM = %d, want 143", code)
			}
			b, _ := os.ReadFile(log)
			i, j := bytes.Index(b, []byte(NodeStopping)), bytes.Index(b, []byte(NodeDown))
			if i < 0 || j < i {
				t.Errorf("shutdown hook lines missing or out of order in %s", log)
			}
			if _, err := os.Stat(reg); !os.IsNotExist(err) {
				t.Errorf("registration not removed: %v", err)
			}
		})
	}
}

// TestStandInExitsByItself: otter.stub.exitAfterMs makes the JVM exit with
// otter.stub.exitCode, running its shutdown hooks (tests of unexpected exits).
func TestStandInExitsByItself(t *testing.T) {
	jdk := testkit.JDKs(t)[0]
	home := Home(t, "node", t.TempDir())
	p := start(t, jdk.Java(), home, "-Dnid=2", "-Dotter.stub.exitAfterMs=300", "-Dotter.stub.exitCode=0", "-Dotter.stub.shutdownDelayMs=0", "-cp", classpath(home, "node"), NodeMainClass)
	if code := p.Wait(t, 30*time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	log := filepath.Join(home, NodeLog)
	if !testkit.FileContains(log, NodeRunning) || !testkit.FileContains(log, NodeDown) {
		t.Errorf("%s lacks the running or the down line", log)
	}
}
