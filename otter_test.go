package main

// End-to-end tests of `manager` and `node` with the Otter stand-in
// (internal/otterstub/java) on the real JDKs of this machine.

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

// configDir lays out a ConfigMap-like directory (Kubernetes' ..data
// symlink layout) holding files.
func configDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "..2026_11_26_00_00_00.000000001")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(data, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(data), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// waitHTTP polls url until it answers want, or fails the test.
func waitHTTP(t *testing.T, url string, want int, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	last := "no answer"
	testkit.Eventually(t, fmt.Sprintf("%s answers %d", url, want), timeout, func() bool {
		resp, err := client.Get(url)
		if err != nil {
			last = err.Error()
			return false
		}
		resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == want
	}, func() []byte { return []byte("last answer: " + last) })
}

// startLine waits for the Otter stand-in's start line and decodes it.
func (p *proc) startLine() *otterstub.Start {
	p.t.Helper()
	line := p.expect(60*time.Second, "the stand-in's start line", func(l string) bool {
		return strings.HasPrefix(l, otterstub.StartPrefix)
	}, nil)
	st, err := otterstub.ParseStartLine([]byte(line))
	if err != nil {
		p.t.Fatal(err)
	}
	return st
}

func TestManagerEndToEnd(t *testing.T) {
	for _, jdk := range testkit.JDKs(t) {
		t.Run(jdk.Name, func(t *testing.T) {
			// An OTTER_HOME with spaces, as users' volumes sometimes have.
			home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "otter home", "manager"))
			secretFile := filepath.Join(t.TempDir(), "db-password")
			const secret = "s3cr=t:with#specials"
			if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfgDir := configDir(t, map[string]string{
				"10-zk.properties": "otter.zookeeper.cluster.default = zk-0.zk:2181,zk-1.zk:2181\n",
			})
			ports := testkit.FreePorts(t, 3)
			httpPort, commPort, probePort := ports[0], ports[1], ports[2]
			renderDir := filepath.Join(t.TempDir(), "render")
			env := []string{
				"JAVA_HOME=" + jdk.Home,
				"OTTER_HOME=" + home,
				"OTTER_CONFIG_DIR=" + cfgDir,
				"ENTRYPOINT_RENDER_DIR=" + renderDir,
				"ENTRYPOINT_WAIT_FOR=none",
				"ENTRYPOINT_READY_INTERVAL=200ms",
				"otter.domainName=manager.example",     // canal's convention
				"OTTER_COMMUNICATION_POOL_SIZE=12",     // OTTER_ convention
				"OTTER_PORT=" + strconv.Itoa(httpPort), // a known key
				"OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(commPort),
				"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + secretFile, // a secret file
				"JAVA_OPTIONS=-Dstub.marker='quoted value' -Xss512k",
			}
			p := start(t, append(env, "ENTRYPOINT_LISTEN=127.0.0.1:"+strconv.Itoa(probePort)), "manager")
			st := p.startLine()
			want := map[string]string{
				"otter.domainName":                 "manager.example",
				"otter.communication.pool.size":    "12",
				"otter.port":                       strconv.Itoa(httpPort),
				"otter.zookeeper.cluster.default":  "zk-0.zk:2181,zk-1.zk:2181",
				"otter.database.driver.password":   otterstub.MaskSecret(secret),
				"otter.communication.manager.port": strconv.Itoa(commPort),
			}
			for k, v := range want {
				if st.Conf[k] != v {
					t.Errorf("Otter read %s=%q, want %q", k, st.Conf[k], v)
				}
			}
			if st.Sysprops["stub.marker"] != "quoted value" {
				t.Errorf("JAVA_OPTIONS did not reach the JVM: stub.marker=%q", st.Sysprops["stub.marker"])
			}
			if st.Sysprops["otter.conf"] != filepath.Join(renderDir, "otter.properties") {
				t.Errorf("-Dotter.conf=%q, want the rendered file", st.Sysprops["otter.conf"])
			}
			if st.Sysprops["user.dir"] != filepath.Join(home, "bin") {
				t.Errorf("working directory %q, want $OTTER_HOME/bin", st.Sysprops["user.dir"])
			}

			// The built argv is what the JVM got.
			dry, err := dryRun(env, "manager")
			if err != nil {
				t.Fatal(err)
			}
			args := dry[2:]
			jvmArgs := args[:len(args)-3] // drop -classpath CP MainClass
			if got, wantArgs := strings.Join(st.InputArguments, "\n"), strings.Join(jvmArgs, "\n"); got != wantArgs {
				t.Errorf("the JVM's input arguments differ from --dry-run's:\n%s\nwant:\n%s", got, wantArgs)
			}

			waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), 200, 30*time.Second)
			out, err := exec.Command(entrypointBin, "healthcheck", "readyz").CombinedOutput()
			if err == nil {
				t.Errorf("healthcheck against the default port passed although the probes listen elsewhere: %s", out)
			}
			hc := exec.Command(entrypointBin, "healthcheck", "readyz")
			hc.Env = append(os.Environ(), "ENTRYPOINT_LISTEN=127.0.0.1:"+strconv.Itoa(probePort))
			if out, err := hc.CombinedOutput(); err != nil {
				t.Errorf("healthcheck readyz: %v %s", err, out)
			}
			// Otter's file log reaches stdout.
			p.expect(30*time.Second, "the manager's log line on stdout", func(l string) bool {
				return strings.Contains(l, otterstub.ManagerRunning)
			}, nil)

			p.stopWithTERM()
			if strings.Contains(p.stderr.String(), secret) {
				t.Errorf("the secret appears in the entrypoint's log")
			}
			base, _ := os.ReadFile(filepath.Join(home, "conf", "otter.properties"))
			if strings.Contains(string(base), "manager.example") {
				t.Errorf("the release's otter.properties was modified")
			}
		})
	}
}

// dryRun runs `CMD --dry-run` and returns its stdout lines.
func dryRun(env []string, role string, extra ...string) ([]string, error) {
	cmd := exec.Command(entrypointBin, append([]string{role, "--dry-run"}, extra...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s --dry-run: %v\n%s", role, err, stderr.String())
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n"), nil
}

// startupShJavaOpts are startup.sh's JAVA_OPTS (otter.md §1.1).
var startupShJavaOpts = map[string]string{"64-bit": testkit.StartupSh64, "32-bit": testkit.StartupSh32}

func TestStartupShJavaOptsStart(t *testing.T) {
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	for _, jdk := range testkit.JDKs(t) {
		for name, opts := range startupShJavaOpts {
			t.Run(jdk.Name+"/"+name, func(t *testing.T) {
				ports := testkit.FreePorts(t, 2)
				env := []string{
					"JAVA_HOME=" + jdk.Home, "OTTER_HOME=" + home,
					"ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=none",
					"OTTER_PORT=" + strconv.Itoa(ports[0]), "OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(ports[1]),
					"JAVA_OPTIONS=" + opts,
				}
				p := start(t, env, "manager")
				st := p.startLine()
				if len(st.Collectors) == 0 || strings.Contains(strings.Join(st.Collectors, ","), "ConcurrentMarkSweep") && jdk.Major >= 14 {
					t.Errorf("collectors %v", st.Collectors)
				}
				if name == "64-bit" && st.MaxHeap < 2<<30 {
					t.Errorf("the user's -Xmx3072m did not win: max heap %d", st.MaxHeap)
				}
				if !strings.Contains(p.stderr.String(), "PermSize") {
					t.Errorf("no warning names the dropped PermSize flags:\n%s", p.stderr.String())
				}
				p.stopWithTERM()
			})
		}
	}
}

func TestManagerExitNobodyAskedForIs70(t *testing.T) {
	jdk := testkit.JDKs(t)[0]
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	ports := testkit.FreePorts(t, 2)
	env := []string{
		"JAVA_HOME=" + jdk.Home, "OTTER_HOME=" + home,
		"ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=none",
		"OTTER_PORT=" + strconv.Itoa(ports[0]), "OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(ports[1]),
		// The stand-in exits 0 by itself, as Otter's manager does when it
		// fails to start.
		"JAVA_OPTIONS=-Dotter.stub.exitAfterMs=300 -Dotter.stub.exitCode=0",
	}
	p := start(t, env, "manager")
	if code := p.wait(60 * time.Second); code != 70 {
		t.Fatalf("exit %d, want 70; stderr:\n%s", code, p.stderr.String())
	}
	s := p.stderr.String()
	if !strings.Contains(s, "exited although nothing asked it to stop") || !strings.Contains(s, "last_log_lines") {
		t.Errorf("the failure line with Otter's log is missing:\n%s", s)
	}
}

func TestWaitForDependencies(t *testing.T) {
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	closed := testkit.FreePorts(t, 1)[0]
	env := []string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir()}

	t.Run("timeout names what was unreachable", func(t *testing.T) {
		p := start(t, append(env, fmt.Sprintf("ENTRYPOINT_WAIT_FOR=tcp://127.0.0.1:%d", closed), "ENTRYPOINT_WAIT_TIMEOUT=700ms"), "manager")
		if code := p.wait(30 * time.Second); code != 69 {
			t.Fatalf("exit %d, want 69; stderr:\n%s", code, p.stderr.String())
		}
		if !strings.Contains(p.stderr.String(), fmt.Sprintf("127.0.0.1:%d", closed)) {
			t.Errorf("the unreachable target is not named:\n%s", p.stderr.String())
		}
	})
	t.Run("derived from the config", func(t *testing.T) {
		p := start(t, append(env,
			fmt.Sprintf("OTTER_DATABASE_DRIVER_URL=jdbc:mysql://127.0.0.1:%d/otter?useUnicode=true", closed),
			"OTTER_ZOOKEEPER_CLUSTER_DEFAULT=127.0.0.1:"+strconv.Itoa(closed),
			"ENTRYPOINT_WAIT_TIMEOUT=500ms"), "manager")
		if code := p.wait(30 * time.Second); code != 69 {
			t.Fatalf("exit %d, want 69; stderr:\n%s", code, p.stderr.String())
		}
	})
	t.Run("livez is 200 while waiting, readyz 503", func(t *testing.T) {
		// A restart would not bring a dependency back: liveness must not
		// fail during the wait, even with the stall detection on.
		port := testkit.FreePorts(t, 1)[0]
		p := start(t, append(env, fmt.Sprintf("ENTRYPOINT_WAIT_FOR=tcp://127.0.0.1:%d", closed),
			"ENTRYPOINT_LISTEN=127.0.0.1:"+strconv.Itoa(port), "ENTRYPOINT_LIVENESS_STALL=30s"), "manager")
		testkit.Eventually(t, "the wait begins", 20*time.Second, func() bool {
			return strings.Contains(p.stderr.String(), "waiting for dependencies")
		}, p.stderr.Bytes)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		waitHTTP(t, base+"/livez", 200, 10*time.Second)
		waitHTTP(t, base+"/readyz", 503, 10*time.Second)
		p.signal(syscall.SIGTERM)
		if code := p.wait(10 * time.Second); code != 143 {
			t.Fatalf("exit %d, want 143; stderr:\n%s", code, p.stderr.String())
		}
	})
	t.Run("TERM during the wait", func(t *testing.T) {
		p := start(t, append(env, fmt.Sprintf("ENTRYPOINT_WAIT_FOR=tcp://127.0.0.1:%d", closed)), "manager")
		testkit.Eventually(t, "the wait begins", 20*time.Second, func() bool {
			return strings.Contains(p.stderr.String(), "waiting for dependencies")
		}, p.stderr.Bytes)
		sent := time.Now()
		p.signal(syscall.SIGTERM)
		if code := p.wait(10 * time.Second); code != 143 {
			t.Fatalf("exit %d, want 143; stderr:\n%s", code, p.stderr.String())
		}
		if took := time.Since(sent); took > 2*time.Second {
			t.Errorf("TERM took %v to end the wait", took)
		}
	})
}

func TestNodeNid(t *testing.T) {
	home := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
	env := []string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir()}

	t.Run("explicit", func(t *testing.T) {
		lines, err := dryRun(append(env, "OTTER_NID=7"), "node")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(lines, "-Dnid=7") {
			t.Errorf("no -Dnid=7 in %q", lines)
		}
	})
	t.Run("neither nid nor ordinal", func(t *testing.T) {
		requireUnshare(t)
		code, out := cmdToExit(t, underHostName("otter-node", "node", "--dry-run"), env)
		if code != 78 {
			t.Fatalf("exit %d, want 78: %s", code, out)
		}
		if !strings.Contains(out, "OTTER_NID") {
			t.Errorf("the message does not say how to set the nid: %s", out)
		}
	})
	t.Run("conf/nid of images built the seed's way", func(t *testing.T) {
		requireUnshare(t)
		seeded := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
		nidFile := filepath.Join(seeded, "conf", "nid")
		e := []string{"OTTER_HOME=" + seeded, "ENTRYPOINT_RENDER_DIR=" + t.TempDir()}
		if err := os.WriteFile(nidFile, []byte("6\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := underHostName("otter-node", "node", "--dry-run")
		cmd.Env = append(os.Environ(), e...)
		dry, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(dry), "\n"), "\n")
		if !slices.Contains(lines, "-Dnid=6") {
			t.Errorf("no -Dnid=6 from %s in %q", nidFile, lines)
		}
		if lines, err := dryRun(append(e, "OTTER_NID=9"), "node"); err != nil || !slices.Contains(lines, "-Dnid=9") {
			t.Errorf("OTTER_NID must win over conf/nid: %q, %v", lines, err)
		}
		if err := os.WriteFile(nidFile, []byte("node-six\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := cmdToExit(t, underHostName("otter-node", "node", "--dry-run"), e)
		if code != 78 {
			t.Fatalf("malformed conf/nid: exit %d, want 78: %s", code, out)
		}
		if !strings.Contains(out, nidFile) {
			t.Errorf("the message does not name %s: %s", nidFile, out)
		}
	})
	t.Run("StatefulSet host name", func(t *testing.T) {
		requireUnshare(t)
		for offset, want := range map[string]string{"": "-Dnid=4", "0": "-Dnid=3", "10": "-Dnid=13"} {
			e := append([]string{}, env...)
			if offset != "" {
				e = append(e, "OTTER_NID_OFFSET="+offset)
			}
			cmd := underHostName("otter-node-3", "node", "--dry-run")
			cmd.Env = append(os.Environ(), e...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("offset %q: %v", offset, err)
			}
			if !slices.Contains(strings.Split(string(out), "\n"), want) {
				t.Errorf("offset %q: no %s in\n%s", offset, want, out)
			}
		}
	})
}

// underHostName is the entrypoint run with args in a UTS namespace of its
// own named host (unshare, as root: requireUnshare), so that what the nid
// rule sees does not depend on this machine's name.
func underHostName(host string, args ...string) *exec.Cmd {
	return exec.Command("unshare", append([]string{"--uts", "sh", "-c", `hostname "$0" && exec "$@"`, host, entrypointBin}, args...)...)
}

func TestNodeEndToEnd(t *testing.T) {
	for _, jdk := range testkit.JDKs(t) {
		t.Run(jdk.Name, func(t *testing.T) {
			home := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
			probePort := testkit.FreePorts(t, 1)[0]
			env := []string{
				"JAVA_HOME=" + jdk.Home, "OTTER_HOME=" + home, "OTTER_NID=5",
				"ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=none",
				"ENTRYPOINT_READY_INTERVAL=200ms", "ENTRYPOINT_LISTEN=127.0.0.1:" + strconv.Itoa(probePort),
				"otter.manager.address=manager-0.otter:1099;manager-1.otter:1099",
			}
			p := start(t, env, "node")
			st := p.startLine()
			if st.Sysprops["nid"] != "5" || st.Conf["otter.manager.address"] != "manager-0.otter:1099;manager-1.otter:1099" {
				t.Errorf("nid %q, manager address %q", st.Sysprops["nid"], st.Conf["otter.manager.address"])
			}
			p.expect(30*time.Second, "the node's running line", func(l string) bool { return strings.Contains(l, otterstub.NodeRunning) }, nil)
			waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), 200, 30*time.Second)
			p.signal(syscall.SIGTERM)
			waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), 503, 5*time.Second)
			p.expect(30*time.Second, "the shutdown hook's last line", func(l string) bool { return strings.Contains(l, otterstub.NodeDown) }, nil)
			if code := p.wait(30 * time.Second); code != 143 {
				t.Errorf("exit %d, want 143; stderr:\n%s", code, p.stderr.String())
			}
		})
	}
}
