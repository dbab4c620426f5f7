package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

// noSecretIn fails the test when text shows any of secrets.
func noSecretIn(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", what, s, text)
		}
	}
}

// runToExit runs the entrypoint to its end and returns its exit code and
// its whole output.
func runToExit(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	return cmdToExit(t, exec.Command(entrypointBin, args...), env)
}

// cmdToExit is runToExit for a command that runs the entrypoint (under
// unshare, say).
func cmdToExit(t *testing.T, cmd *exec.Cmd, env []string) (int, string) {
	t.Helper()
	args := cmd.Args
	cmd.Env = append(append(os.Environ(), "ENTRYPOINT_LISTEN=127.0.0.1:0"), env...)
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return 0, string(out)
}

// TestSecretsNeverShown gives a password in every place that takes a URL
// (ENTRYPOINT_WAIT_FOR, ENTRYPOINT_READY_CHECK, the manager's JDBC URL),
// as user:password@ and as a secret-named query value, well-formed and
// malformed, and checks the entrypoint's stdout and stderr (every log line
// and error) and /readyz?verbose never show it.
func TestSecretsNeverShown(t *testing.T) {
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	closed := strconv.Itoa(testkit.FreePorts(t, 1)[0])
	env := []string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_TIMEOUT=700ms"}
	cases := []struct {
		name    string
		env     []string
		code    int
		secrets []string
	}{
		{"wait target unreachable", []string{"ENTRYPOINT_WAIT_FOR=http://otter:Pw1wait@127.0.0.1:" + closed + "/x?token=Tk1wait&a=b,tcp://127.0.0.1:" + closed},
			69, []string{"Pw1wait", "Tk1wait"}},
		{"malformed wait target", []string{"ENTRYPOINT_WAIT_FOR=http://otter:Pw2bad@db:port/"}, 78, []string{"Pw2bad"}},
		{"user info in a tcp target", []string{"ENTRYPOINT_WAIT_FOR=tcp://otter:Pw3tcp@db:3306"}, 78, []string{"Pw3tcp"}},
		{"malformed ready check", []string{"ENTRYPOINT_WAIT_FOR=none", "ENTRYPOINT_READY_CHECK=http://u:Pw4ready@h:port/?password=Pw5ready"}, 78, []string{"Pw4ready", "Pw5ready"}},
		{"JDBC URL unreachable", []string{"OTTER_DATABASE_DRIVER_URL=jdbc:mysql://otter:Pw6jdbc@127.0.0.1:" + closed + "/otter?password=Pw7jdbc&useUnicode=true",
			"OTTER_ZOOKEEPER_CLUSTER_DEFAULT=127.0.0.1:" + closed}, 69, []string{"Pw6jdbc", "Pw7jdbc"}},
		{"malformed JDBC URL", []string{"OTTER_DATABASE_DRIVER_URL=jdbc:mysql://otter:Pw8/jdbc@127.0.0.1:99999/otter?connectTimeout=x;password=Pw9jdbc"}, 78, []string{"Pw8", "Pw9jdbc"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out := runToExit(t, append(append([]string{}, env...), c.env...), "manager")
			if code != c.code {
				t.Errorf("exit %d, want %d:\n%s", code, c.code, out)
			}
			noSecretIn(t, "the output", out, c.secrets...)
		})
	}

	t.Run("readiness check of a running child", func(t *testing.T) {
		t.Parallel()
		probe := testkit.FreePorts(t, 1)[0]
		p := start(t, helperEnv("recorder",
			"ENTRYPOINT_LISTEN=127.0.0.1:"+strconv.Itoa(probe),
			"ENTRYPOINT_READY_INTERVAL=100ms",
			"ENTRYPOINT_READY_CHECK=http://otter:Pw10probe@127.0.0.1:"+closed+"/ok?api_key=Pw11probe"),
			"run", "--", testBin(t))
		p.expect(20*time.Second, "the child's ready line", func(l string) bool { return strings.HasPrefix(l, "ready ") }, nil)
		var body string
		testkit.Eventually(t, "/readyz?verbose reports the failed check", 20*time.Second, func() bool {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz?verbose", probe))
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
			return strings.Contains(body, "failed")
		}, func() []byte { return []byte(body) })
		noSecretIn(t, "/readyz?verbose", body, "Pw10probe", "Pw11probe")
		if !strings.Contains(body, "127.0.0.1:"+closed) {
			t.Errorf("/readyz?verbose does not name the check:\n%s", body)
		}
		p.signal(syscall.SIGTERM)
		p.wait(20 * time.Second)
		noSecretIn(t, "stderr", p.stderr.String(), "Pw10probe", "Pw11probe")
	})
}
