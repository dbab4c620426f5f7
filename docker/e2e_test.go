package docker

// The end-to-end test of the whole project in a real Docker daemon: the
// shipped Dockerfiles are built (base image from Debian packages, the
// entrypoint built on this host, the Otter stand-in's release tarballs) and
// the containers are run as a user would, with no network.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

// images are the images the test built.
type images struct {
	jre, base, manager, node string
}

// e2e is the end-to-end fixture: the daemon and the built images.
type e2e struct {
	api      *dockerAPI
	tarballs map[string][]byte // the release tarballs, by role
	images   images
	buildCtx []byte            // the build context the images were built from
	args     map[string]string // the manager's build arguments
}

// repoRoot is the module root (this package is docker/).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return root
}

// buildEntrypoint builds the static binary the images ship, on this host.
func buildEntrypoint(t testing.TB, root, out string) {
	t.Helper()
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); os.Getenv("GOROOT") == "" || err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w -X main.version=e2e", "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
}

// contextFile is one file of a build context.
type contextFile struct {
	name string
	mode int64
	data []byte
}

// contextTar writes a build context with fixed times, so that the classic
// builder's cache hits when nothing changed.
func contextTar(files []contextFile) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	dirs := map[string]bool{}
	for _, f := range files {
		for d := filepath.Dir(f.name); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// releaseTarballs builds the stand-in's release under dir and returns its
// manager and node release tarballs, by role.
func releaseTarballs(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	managerHome, nodeHome := otterstub.BuildRelease(t, dir)
	tarballs := map[string][]byte{}
	for role, home := range map[string]string{"manager": managerHome, "node": nodeHome} {
		var buf bytes.Buffer
		if err := otterstub.WriteReleaseTarball(&buf, home, ""); err != nil {
			t.Fatal(err)
		}
		tarballs[role] = buf.Bytes()
	}
	return tarballs
}

// setupE2E connects to the daemon (skipping loudly without one) and builds
// the three images from the shipped Dockerfiles.
func setupE2E(t testing.TB) *e2e {
	t.Helper()
	if os.Geteuid() != 0 {
		testkit.MissingTool(t, "the Docker end-to-end test needs root (debootstrap, /proc of other users' processes, setns)")
	}
	ctx := context.Background()
	api, err := dockerFromEnv(ctx)
	if err != nil {
		testkit.MissingTool(t, "no reachable Docker daemon (%v); start dockerd to run the end-to-end test (.ci/run does)", err)
	}
	root := repoRoot(t)
	jre := ensureBaseImage(t)

	// The inputs a user would download or build: the entrypoint and the
	// release tarballs (of the stand-in).
	work := t.TempDir()
	bin := filepath.Join(work, "otter-entrypoint")
	buildEntrypoint(t, root, bin)
	tarballs := releaseTarballs(t, filepath.Join(work, "release"))

	files := []contextFile{
		{"go.mod", 0o644, readFile(t, filepath.Join(root, "go.mod"))},
		{"go.sum", 0o644, readFile(t, filepath.Join(root, "go.sum"))},
		{"docker/base.Dockerfile", 0o644, readFile(t, filepath.Join(root, "docker/base.Dockerfile"))},
		{"docker/manager.Dockerfile", 0o644, readFile(t, filepath.Join(root, "docker/manager.Dockerfile"))},
		{"docker/node.Dockerfile", 0o644, readFile(t, filepath.Join(root, "docker/node.Dockerfile"))},
		{"docker/dist/otter-entrypoint", 0o755, readFile(t, bin)},
		{"docker/dist/" + otterstub.TarballName("manager"), 0o644, tarballs["manager"]},
		{"docker/dist/" + otterstub.TarballName("node"), 0o644, tarballs["node"]},
	}
	buildCtx, err := contextTar(files)
	if err != nil {
		t.Fatal(err)
	}
	imgs := images{jre: jre, base: "otter-e2e-base:latest", manager: "otter-e2e-manager:latest", node: "otter-e2e-node:latest"}
	build := func(dockerfile, tag string, args map[string]string) {
		start := time.Now()
		if _, err := api.build(ctx, bytes.NewReader(buildCtx), dockerfile, tag, args); err != nil {
			t.Fatal(err)
		}
		t.Logf("built %s from %s in %v", tag, dockerfile, time.Since(start).Round(10*time.Millisecond))
	}
	build("docker/base.Dockerfile", imgs.base, map[string]string{"JRE_IMAGE": jre})
	argsFor := func(role string) map[string]string {
		return map[string]string{
			"BASE_IMAGE":        imgs.base,
			"GO_IMAGE":          imgs.base, // only copies the prebuilt binary
			"ENTRYPOINT_BINARY": "otter-entrypoint",
			"OTTER_TARBALL":     otterstub.TarballName(role),
			"OTTER_SHA256":      sha256Hex(tarballs[role]),
		}
	}
	for role, tag := range map[string]string{"manager": imgs.manager, "node": imgs.node} {
		build("docker/"+role+".Dockerfile", tag, argsFor(role))
	}
	return &e2e{api: api, images: imgs, buildCtx: buildCtx, args: argsFor("manager"), tarballs: tarballs}
}

// container is a running container of the test.
type container struct {
	t         testing.TB
	api       *dockerAPI
	id        string
	name      string
	started   time.Time
	probeAddr string // the entrypoint's ENTRYPOINT_LISTEN, seen from the container
	hostNet   bool   // --network host: probeAddr is reachable from this process
}

// run creates and starts a container the way the README says to run the
// images: read-only root, tmpfs /tmp, no network; env adds settings.
func (e *e2e) run(t testing.TB, image, hostname string, env ...string) *container {
	t.Helper()
	return e.runWithBinds(t, image, hostname, nil, env...)
}

// runWithBinds is run with bind mounts (host:container:ro).
func (e *e2e) runWithBinds(t testing.TB, image, hostname string, binds []string, env ...string) *container {
	t.Helper()
	return e.runSpec(t, runSpec{image: image, hostname: hostname, binds: binds,
		env: append([]string{"ENTRYPOINT_WAIT_FOR=none"}, env...)})
}

// runSpec is one container to run.
type runSpec struct {
	image, hostname string
	binds           []string // host:container[:ro]
	env             []string
	// hostNetwork runs with --network host (the entrypoint's probe port
	// then comes from ENTRYPOINT_LISTEN in env); else --network none.
	hostNetwork bool
	// tmpBind is a host directory bound at /tmp instead of a tmpfs: it
	// survives a restart of the container, as a pod's emptyDir does.
	tmpBind string
	// memory is the container's memory limit, without swap (0: 1 GiB).
	memory int64
}

// runSpec creates and starts the container s describes: read-only root,
// /tmp writable, 1 GiB of memory unless s says otherwise.
func (e *e2e) runSpec(t testing.TB, s runSpec) *container {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("otter-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	stop := 30
	cfg := containerConfig{
		Image:    s.image,
		Hostname: s.hostname,
		Env:      s.env,
		// The image's HEALTHCHECK command, polled faster than its 10s.
		Healthcheck: &healthConfig{Interval: time.Second, Timeout: 5 * time.Second},
		StopTimeout: &stop,
		HostConfig: hostConfig{
			NetworkMode:    "none",
			ReadonlyRootfs: true,
			Tmpfs:          map[string]string{"/tmp": ""},
			Memory:         1 << 30,
			Binds:          s.binds,
		},
	}
	if s.memory > 0 {
		cfg.HostConfig.Memory, cfg.HostConfig.MemorySwap = s.memory, s.memory
	}
	probeAddr := "127.0.0.1:9779"
	if s.hostNetwork {
		cfg.HostConfig.NetworkMode = "host"
		for _, kv := range s.env {
			if a, ok := strings.CutPrefix(kv, "ENTRYPOINT_LISTEN="); ok {
				probeAddr = a
			}
		}
	}
	if s.tmpBind != "" {
		cfg.HostConfig.Tmpfs = nil
		cfg.HostConfig.Binds = append(slices.Clone(s.binds), s.tmpBind+":/tmp")
	}
	id, err := e.api.createContainer(ctx, name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &container{t: t, api: e.api, id: id, name: name, probeAddr: probeAddr, hostNet: s.hostNetwork}
	t.Cleanup(func() {
		if t.Failed() {
			if logs, err := c.api.logs(context.Background(), id); err == nil {
				t.Logf("logs of %s:\n%s", name, lastN(string(logs), 60))
			}
		}
		if err := e.api.removeContainer(context.Background(), id); err != nil && !isNotFound(err) {
			t.Errorf("remove %s: %v", name, err)
		}
	})
	c.started = time.Now()
	if err := e.api.startContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *container) inspect() containerInfo {
	c.t.Helper()
	info, err := c.api.inspectContainer(context.Background(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	return info
}

func (c *container) logs() string {
	c.t.Helper()
	b, err := c.api.logs(context.Background(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// probe asks the entrypoint's probe server inside the container.
func (c *container) probe(path string) (int, string, error) {
	pid := c.inspect().State.Pid
	if pid == 0 {
		return 0, "", fmt.Errorf("container %s is not running", c.name)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	if !c.hostNet {
		// Not from this network namespace: dial from inside the
		// container's. (That costs an OS thread, which is never reused:
		// with host networking this is avoided, so that the thread which
		// started a test server with Pdeathsig never dies under it.)
		client = netnsHTTPClient(pid, c.probeAddr)
	}
	resp, err := client.Get("http://" + c.probeAddr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), nil
}

// waitReady polls /readyz until 200 and returns the time since start.
func (c *container) waitReady(timeout time.Duration) time.Duration {
	c.t.Helper()
	testkit.Eventually(c.t, c.name+": /readyz answers 200", timeout, func() bool {
		if !c.inspect().State.Running {
			c.t.Fatalf("%s exited before it was ready", c.name)
		}
		code, _, err := c.probe("/readyz")
		return err == nil && code == http.StatusOK
	}, nil)
	return time.Since(c.started)
}

// java finds the container's java process.
func (c *container) java() containerProc {
	c.t.Helper()
	procs, err := containerProcs(c.inspect().State.Pid)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, p := range procs {
		if p.Name == "java" {
			return p
		}
	}
	c.t.Fatalf("%s: no java process among %+v", c.name, procs)
	return containerProc{}
}

func (c *container) waitLog(timeout time.Duration, text string) string {
	c.t.Helper()
	var logs string
	testkit.Eventually(c.t, fmt.Sprintf("%s: docker logs shows %q", c.name, text), timeout, func() bool {
		logs = c.logs()
		return strings.Contains(logs, text)
	}, nil)
	return logs
}

// stop is `docker stop` with a 30 s limit; it returns how long it took.
func (c *container) stop() time.Duration {
	c.t.Helper()
	start := time.Now()
	if err := c.api.stopContainer(context.Background(), c.id, 30); err != nil {
		c.t.Fatal(err)
	}
	return time.Since(start)
}

// entrypointLog is one JSON line of the entrypoint's own log.
type entrypointLog struct {
	Msg  string `json:"msg"`
	Pid  int    `json:"pid"`
	Code *int   `json:"code"`
}

func entrypointLogs(logs string) []entrypointLog {
	var out []entrypointLog
	for _, line := range strings.Split(logs, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var l entrypointLog
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestDockerEndToEnd(t *testing.T) {
	e := setupE2E(t)
	ctx := context.Background()
	for name, ref := range map[string]string{"base": e.images.base, "manager": e.images.manager, "node": e.images.node} {
		info, err := e.api.inspectImage(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("image %s (%s): %.1f MB", name, ref, float64(info.Size)/1e6)
		if name != "base" {
			if info.Config.User != "1000:1000" || len(info.Config.Entrypoint) != 2 || info.Config.Entrypoint[0] != "otter-entrypoint" || info.Config.Entrypoint[1] != name {
				t.Errorf("%s image: user %q entrypoint %v, want 1000:1000 and [otter-entrypoint %s]", name, info.Config.User, info.Config.Entrypoint, name)
			}
			if hc := info.Config.Healthcheck; hc == nil || strings.Join(hc.Test, " ") != "CMD otter-entrypoint healthcheck readyz" {
				t.Errorf("%s image: HEALTHCHECK %+v", name, hc)
			}
		}
	}

	t.Run("the build verifies the tarball's checksum", func(t *testing.T) {
		for _, sum := range []string{"", strings.Repeat("0", 64)} {
			args := maps.Clone(e.args)
			args["OTTER_SHA256"] = sum
			out, err := e.api.build(ctx, bytes.NewReader(e.buildCtx), "docker/manager.Dockerfile", "otter-e2e-rejected:latest", args)
			if err == nil {
				t.Fatalf("OTTER_SHA256=%q: the build succeeded", sum)
			}
			want := "OTTER_SHA256 is not set"
			if sum != "" {
				want = "FAILED"
			}
			if !strings.Contains(out, want) {
				t.Errorf("OTTER_SHA256=%q: the build output lacks %q:\n%s", sum, want, lastN(out, 10))
			}
		}
	})

	t.Run("the build downloads OTTER_URL with aria2c and verifies it", func(t *testing.T) {
		// The release tarball served on this host's loopback; the build's
		// RUN steps share the host's network for this one build.
		requests := make(chan string, 4)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case requests <- r.URL.Path:
			default:
			}
			w.Write(e.tarballs["manager"])
		}))
		defer srv.Close()
		for _, c := range []struct {
			sum  string
			want string // in the build output; "" = the build succeeds
		}{
			{sha256Hex(e.tarballs["manager"]), ""},
			{sha256Hex([]byte("another tarball")), "FAILED"},
		} {
			args := maps.Clone(e.args)
			delete(args, "OTTER_TARBALL")
			args["OTTER_URL"] = srv.URL + "/alibaba/otter/releases/download/otter-4.2.18/" + otterstub.TarballName("manager")
			args["OTTER_SHA256"] = c.sum
			out, err := e.api.buildWithNetwork(ctx, bytes.NewReader(e.buildCtx), "docker/manager.Dockerfile", "otter-e2e-downloaded:latest", args, "host")
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("download build: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(out, c.want)):
				t.Errorf("a downloaded tarball with the wrong checksum: err %v, output lacks %q:\n%s", err, c.want, lastN(out, 10))
			}
			select {
			case p := <-requests:
				if !strings.HasSuffix(p, otterstub.TarballName("manager")) {
					t.Errorf("downloaded %s", p)
				}
				for len(requests) > 0 { // aria2c may use more than one request
					<-requests
				}
			default:
				t.Errorf("the build did not download OTTER_URL")
			}
		}
		if err := e.api.removeImage(ctx, "otter-e2e-downloaded:latest"); err != nil {
			t.Error(err)
		}
	})

	t.Run("manager", func(t *testing.T) {
		c := e.run(t, e.images.manager, "otter-manager-0")
		took := c.waitReady(90 * time.Second)
		t.Logf("docker run to /readyz 200: %v", took.Round(time.Millisecond))

		// PID 1 is the entrypoint, uid 1000, java its child as uid 1000.
		procs, err := containerProcs(c.inspect().State.Pid)
		if err != nil {
			t.Fatal(err)
		}
		var init, java *containerProc
		for i := range procs {
			switch {
			case procs[i].inPid() == 1:
				init = &procs[i]
			case procs[i].Name == "java":
				java = &procs[i]
			}
		}
		if init == nil || !strings.HasPrefix("otter-entrypoint", init.Name) || len(init.Name) < 14 { // comm is cut at 15 bytes
			t.Fatalf("PID 1 is %+v, want otter-entrypoint", init)
		}
		if java == nil || java.PPid != init.HostPid {
			t.Fatalf("java %+v is not PID 1's child", java)
		}
		for _, p := range []*containerProc{init, java} {
			for _, uid := range p.Uids {
				if uid != 1000 {
					t.Errorf("%s runs with uids %v, want 1000", p.Name, p.Uids)
				}
			}
		}

		// Docker's health status, from the image's HEALTHCHECK.
		testkit.Eventually(t, "docker health status healthy", 30*time.Second, func() bool {
			h := c.inspect().State.Health
			return h != nil && h.Status == "healthy"
		}, nil)
		if code, _, err := c.probe("/livez"); err != nil || code != http.StatusOK {
			t.Errorf("/livez: %d %v", code, err)
		}
		if code, body, err := c.probe("/metrics"); err != nil || code != http.StatusOK || !strings.Contains(body, "# TYPE") {
			t.Errorf("/metrics: %d %v", code, err)
		}

		// Otter's file log (logs/manager.log, which only logback writes)
		// reaches docker logs.
		c.waitLog(10*time.Second, otterstub.ManagerRunning)

		// QUIT: the JVM prints a thread dump and keeps running.
		if err := c.api.killContainer(ctx, c.id, "QUIT"); err != nil {
			t.Fatal(err)
		}
		c.waitLog(10*time.Second, "Full thread dump")
		if again := c.java(); again.HostPid != java.HostPid {
			t.Errorf("java changed from %d to %d after QUIT", java.HostPid, again.HostPid)
		}
		if code, _, err := c.probe("/readyz"); err != nil || code != http.StatusOK {
			t.Errorf("/readyz after QUIT: %d %v", code, err)
		}

		// docker stop: TERM, the shutdown hook runs, within the grace period.
		took = c.stop()
		t.Logf("docker stop: %v", took.Round(time.Millisecond))
		if took >= defaultStopTimeout {
			t.Errorf("docker stop took %v, not within ENTRYPOINT_STOP_TIMEOUT %v", took, defaultStopTimeout)
		}
		logs := c.logs()
		for _, want := range []string{"## stop the manager server", "## manager server is down."} {
			if !strings.Contains(logs, want) {
				t.Errorf("docker logs lacks the shutdown hook's %q", want)
			}
		}
		if st := c.inspect().State; st.Running || st.OOMKilled {
			t.Errorf("after docker stop: %+v", st)
		}
	})

	t.Run("manager with a ConfigMap directory and a Secret file, as in Kubernetes", func(t *testing.T) {
		// The layout the kubelet gives a ConfigMap or Secret volume:
		// FILE -> ..data/FILE, ..data -> ..<timestamp>/.
		kubeVolume := func(files map[string]string, mode os.FileMode) string {
			dir := t.TempDir()
			ts := filepath.Join(dir, "..2026_11_26_00_00_00.000000001")
			if err := os.Mkdir(ts, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, text := range files {
				p := filepath.Join(ts, name)
				if err := os.WriteFile(p, []byte(text), mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(p, 0, 1000); err != nil { // fsGroup 1000
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			return dir
		}
		const secret = "s3cret-e2e-password"
		config := kubeVolume(map[string]string{"otter.properties": "otter.domainName = otter.example.com\notter.database.driver.username = otter\n"}, 0o644)
		secrets := kubeVolume(map[string]string{"database-password": secret + "\n"}, 0o440)
		c := e.runWithBinds(t, e.images.manager, "otter-manager-0",
			[]string{config + ":/etc/otter:ro", secrets + ":/run/secrets/otter:ro"},
			"OTTER_DATABASE_DRIVER_PASSWORD_FILE=/run/secrets/otter/database-password")
		c.waitReady(90 * time.Second)
		logs := c.logs()
		start, err := otterstub.ParseStartLine([]byte(logs))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"otter.domainName":                 "otter.example.com",
			"otter.database.driver.username":   "otter",
			"otter.database.driver.password":   otterstub.MaskSecret(secret),
			"otter.communication.manager.port": "1099", // the release's value
		}
		for k, v := range want {
			if start.Conf[k] != v {
				t.Errorf("Otter sees %s=%q, want %q", k, start.Conf[k], v)
			}
		}
		if strings.Contains(logs, secret) {
			t.Error("the password appears in docker logs")
		}
		c.stop()
	})

	t.Run("cluster: manager DB init, two registering nodes, docker kill and rejoin", func(t *testing.T) {
		testCluster(t, e)
	})

	t.Run("node nid from the host name, stop", func(t *testing.T) {
		c := e.run(t, e.images.node, "otter-node-3")
		c.waitReady(90 * time.Second)
		start, err := otterstub.ParseStartLine([]byte(c.logs()))
		if err != nil {
			t.Fatal(err)
		}
		if start.Sysprops["nid"] != "4" {
			t.Errorf("nid %q, want 4 (ordinal 3 + OTTER_NID_OFFSET 1)", start.Sysprops["nid"])
		}
		c.waitLog(10*time.Second, otterstub.NodeRunning)
		took := c.stop()
		t.Logf("docker stop (node): %v", took.Round(time.Millisecond))
		if took >= defaultStopTimeout {
			t.Errorf("docker stop took %v", took)
		}
		logs := c.logs()
		if !strings.Contains(logs, otterstub.NodeStopping) || !strings.Contains(logs, otterstub.NodeDown) {
			t.Errorf("the node's shutdown hook did not complete")
		}
	})

	t.Run("manager: java killed by the kernel's OOM killer, and the log says so", func(t *testing.T) {
		// A heap larger than the container's memory, touched at JVM start
		// (-XX:+AlwaysPreTouch): the kernel kills java, the biggest process,
		// with KILL. (Filling it later from Java code made the kernel thrash
		// on the JVM's code pages for minutes when the page cache was cold.)
		c := e.runSpec(t, runSpec{image: e.images.manager, hostname: "otter-manager-0", memory: 256 << 20,
			env: []string{"ENTRYPOINT_WAIT_FOR=none", "ENTRYPOINT_LOG_FORMAT=json", "OTTER_STATS=off",
				"JAVA_OPTIONS=-Xms1g -Xmx1g -XX:+AlwaysPreTouch"}})
		testkit.Eventually(t, "the container to exit", 90*time.Second, func() bool { return !c.inspect().State.Running }, nil)
		st := c.inspect().State
		logs := c.logs()
		var exitCode *int
		oomLogged := false
		for _, l := range entrypointLogs(logs) {
			switch {
			case strings.HasPrefix(l.Msg, "the kernel's OOM killer killed java"):
				oomLogged = true
			case l.Msg == "exiting":
				exitCode = l.Code
			}
		}
		t.Logf("exit code %d, Docker's OOMKilled %v", st.ExitCode, st.OOMKilled)
		if st.ExitCode != 137 || exitCode == nil || *exitCode != 137 {
			t.Errorf("exit code %d (logged %v), want 137", st.ExitCode, exitCode)
		}
		if !oomLogged {
			t.Errorf("the entrypoint did not log that the OOM killer killed java:\n%s", lastN(logs, 30))
		}
		if strings.Contains(logs, "someone ran kill -9") {
			t.Errorf("an OOM kill was logged as a kill -9:\n%s", lastN(logs, 30))
		}
	})

	t.Run("node: java killed while aria2c runs leaves no zombie", func(t *testing.T) {
		c := e.run(t, e.images.node, "otter-node-0",
			"OTTER_STUB_ARIA2C=hang", "ENTRYPOINT_LOG_LEVEL=debug", "ENTRYPOINT_LOG_FORMAT=json")
		c.waitReady(90 * time.Second)
		logs := c.waitLog(20*time.Second, "## aria2c started pid=")
		m := regexp.MustCompile(`## aria2c started pid=(\d+)`).FindStringSubmatch(logs)
		ariaPid, _ := strconv.Atoi(m[1])
		java := c.java()
		procs, err := containerProcs(c.inspect().State.Pid)
		if err != nil {
			t.Fatal(err)
		}
		var aria *containerProc
		for i := range procs {
			if procs[i].inPid() == ariaPid {
				aria = &procs[i]
			}
		}
		if aria == nil || aria.Name != "aria2c" || aria.PPid != java.HostPid {
			t.Fatalf("aria2c pid %d: %+v, want java's child", ariaPid, aria)
		}

		if err := unix.Kill(java.HostPid, unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
		// Until the container ends, every zombie must be reaped: track how
		// long each one stays.
		zombieSince := map[int]time.Time{}
		var longest time.Duration
		testkit.Eventually(t, "the container exits after java died", 30*time.Second, func() bool {
			st := c.inspect().State
			if !st.Running {
				return true
			}
			procs, err := containerProcs(st.Pid)
			if err != nil {
				return false // the namespace is going away
			}
			now := time.Now()
			seen := map[int]bool{}
			for _, p := range procs {
				if p.State == 'Z' {
					seen[p.HostPid] = true
					if _, ok := zombieSince[p.HostPid]; !ok {
						zombieSince[p.HostPid] = now
					}
					if d := now.Sub(zombieSince[p.HostPid]); d > longest {
						longest = d
					}
				}
			}
			for pid := range zombieSince {
				if !seen[pid] {
					delete(zombieSince, pid)
				}
			}
			return false
		}, nil)
		if longest > 2*time.Second {
			t.Errorf("a zombie stayed %v in the container", longest)
		}
		reaped, killLogged := false, false
		var exitCode *int
		for _, l := range entrypointLogs(c.logs()) {
			if l.Msg == "orphan reaped" && l.Pid == ariaPid {
				reaped = true
			}
			// The container's OOM kill count did not change: a kill -9.
			if strings.HasPrefix(l.Msg, "java was killed by a signal the entrypoint did not send, and not by the kernel's OOM killer") {
				killLogged = true
			}
			if l.Msg == "exiting" {
				exitCode = l.Code
			}
		}
		if !reaped {
			t.Errorf("the entrypoint did not log reaping aria2c (pid %d)", ariaPid)
		}
		if !killLogged {
			t.Errorf("the entrypoint did not log java's KILL as one that was not the OOM killer's")
		}
		t.Logf("aria2c pid %d reaped by the entrypoint: %v; longest-lived zombie %v", ariaPid, reaped, longest)
		// java was killed with KILL sent to it directly, not through the
		// entrypoint: 128+9, as the README's exit code table says.
		if st := c.inspect().State; st.ExitCode != 137 || exitCode == nil || *exitCode != 137 {
			t.Errorf("exit code %d (logged %v), want 137: java killed by a signal the entrypoint did not send", st.ExitCode, exitCode)
		}
	})
}

// BenchmarkDockerRunToReady measures docker run (create + start) to the
// first /readyz 200 of the manager stand-in: with the default settings, and
// with ENTRYPOINT_READY_INTERVAL=1s (the readiness check's period bounds it).
func BenchmarkDockerRunToReady(b *testing.B) {
	e := setupE2E(b)
	for _, v := range []struct{ name, env string }{{"default", ""}, {"ready-interval-1s", "ENTRYPOINT_READY_INTERVAL=1s"}} {
		b.Run(v.name, func(b *testing.B) {
			var env []string
			if v.env != "" {
				env = append(env, v.env)
			}
			var total time.Duration
			for i := 0; i < b.N; i++ {
				c := e.run(b, e.images.manager, "otter-manager-0", env...)
				total += c.waitReady(90 * time.Second)
				b.StopTimer()
				c.stop()
				b.StartTimer()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s-to-ready")
		})
	}
}

// BenchmarkDockerStop measures docker stop of a ready manager and node.
func BenchmarkDockerStop(b *testing.B) {
	e := setupE2E(b)
	for _, role := range []string{"manager", "node"} {
		b.Run(role, func(b *testing.B) {
			image, host := e.images.manager, "otter-manager-0"
			if role == "node" {
				image, host = e.images.node, "otter-node-0"
			}
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				c := e.run(b, image, host)
				c.waitReady(90 * time.Second)
				b.StartTimer()
				total += c.stop()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s-stop")
		})
	}
}

// BenchmarkImageSize reports the images' sizes (one build, no timing).
func BenchmarkImageSize(b *testing.B) {
	e := setupE2E(b)
	for i := 0; i < b.N; i++ {
		for name, ref := range map[string]string{"base": e.images.base, "manager": e.images.manager, "node": e.images.node, "jre": e.images.jre} {
			info, err := e.api.inspectImage(context.Background(), ref)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(info.Size)/1e6, "MB-"+name)
		}
	}
}
