package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/propsfile"
)

// renderHome lays out an OTTER_HOME with the manager's shipped
// otter.properties and returns it.
func renderHome(t *testing.T) string {
	t.Helper()
	base, err := os.ReadFile(filepath.Join("propsfile", "testdata", "manager.otter.properties"))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "conf", "otter.properties"), base, 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

// runRender runs cmdRender with buffers for stdout and stderr.
func runRender(env []string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, environ: env, now: time.Now}
	code = cmdRender(a, args)
	return code, out.String(), errb.String()
}

// secretEnv is an environment with a password from a *_FILE secret, a token
// in a plain variable and debug logging; it returns the secrets too.
func secretEnv(t *testing.T) ([]string, []string) {
	t.Helper()
	secrets := []string{"Walrus-Pass-2718", "Narwhal-Token-1618"}
	pw := filepath.Join(t.TempDir(), "db-password")
	if err := os.WriteFile(pw, []byte(secrets[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cm := t.TempDir()
	if err := os.WriteFile(filepath.Join(cm, "otter.properties"), []byte("otter.zookeeper.cluster.default = zk-0.zk:2181\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{
		"OTTER_HOME=" + renderHome(t),
		"OTTER_CONFIG_DIR=" + cm,
		"ENTRYPOINT_LOG_LEVEL=debug",
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + pw,
		"otter.api.token=" + secrets[1],
		"OTTER_PORT=8081",
		"OTTER_PORT_8080_TCP_ADDR=10.0.0.7",
		"OTTER_NID=1",
	}, secrets
}

func noSecrets(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", what, s, text)
		}
	}
}

func TestRenderCommandPrintsMaskedFile(t *testing.T) {
	env, secrets := secretEnv(t)
	code, out, errOut := runRender(env, "manager")
	if code != exit.OK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	noSecrets(t, "stdout", out, secrets)
	noSecrets(t, "stderr", errOut, secrets)
	if !strings.Contains(errOut, `"level":"debug"`) {
		t.Errorf("no debug log on stderr; the secret check above proves little:\n%s", errOut)
	}
	f, err := propsfile.Parse([]byte(out))
	if err != nil {
		t.Fatalf("stdout is not a properties file: %v", err)
	}
	m := f.Map()
	for k, want := range map[string]string{
		"otter.database.driver.password":  propsfile.Mask,
		"otter.api.token":                 propsfile.Mask,
		"otter.port":                      "8081",
		"otter.zookeeper.cluster.default": "zk-0.zk:2181",
		"otter.manager.address":           "${otter.domainName}:${otter.communication.manager.port}",
	} {
		if m[k] != want {
			t.Errorf("%s = %q, want %q", k, m[k], want)
		}
	}
	if _, ok := m["otter.nid"]; ok {
		t.Error("OTTER_NID became a property")
	}

	code, out, _ = runRender(env, "--show-secrets", "manager")
	if code != exit.OK || !strings.Contains(out, "otter.database.driver.password="+secrets[0]+"\n") ||
		!strings.Contains(out, "otter.api.token="+secrets[1]+"\n") {
		t.Errorf("--show-secrets: exit %d, output lacks the secrets:\n%s", code, out)
	}
}

func TestRenderCommandExplain(t *testing.T) {
	env, secrets := secretEnv(t)
	code, out, errOut := runRender(env, "manager", "--explain")
	if code != exit.OK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	noSecrets(t, "stdout", out, secrets)
	noSecrets(t, "stderr", errOut, secrets)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 23 { // header + 21 base keys + otter.api.token
		t.Errorf("%d lines, want 23:\n%s", len(lines), out)
	}
	for _, want := range [][]string{
		{"otter.database.driver.password", "******", "file:OTTER_DATABASE_DRIVER_PASSWORD_FILE", "(overrides", "base)"},
		{"otter.zookeeper.cluster.default", "zk-0.zk:2181", "config-dir:otter.properties", "(overrides", "base)"},
		{"otter.port", "8081", "env:OTTER_PORT", "(overrides", "base)"},
		{"otter.api.token", "******", "env:otter.api.token"},
		{"otter.jetty", "jetty.xml", "base"},
	} {
		found := false
		for _, l := range lines {
			found = found || strings.Join(strings.Fields(l), " ") == strings.Join(want, " ")
		}
		if !found {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	_, out, _ = runRender(env, "manager", "--explain", "--show-secrets")
	if !strings.Contains(out, secrets[0]) {
		t.Errorf("--explain --show-secrets lacks the password:\n%s", out)
	}
}

func TestRenderCommandProblems(t *testing.T) {
	env, secrets := secretEnv(t)
	env = append(env, "OTTER_DATABASE_DRIVER_PASSWORD="+secrets[0], "OTTER_COMMUNICATION_MANAGER_PORT=0", "OTTER_ZOOKEEPER_CLUSTER_DEFAULT=zk")
	for _, args := range [][]string{{"manager"}, {"manager", "--explain", "--show-secrets"}} {
		code, out, errOut := runRender(env, args...)
		if code != exit.Config {
			t.Errorf("%q: exit %d, want 78", args, code)
		}
		if out != "" {
			t.Errorf("%q: stdout %q, want nothing", args, out)
		}
		noSecrets(t, "stderr", errOut, secrets)
		for _, want := range []string{"4 problems", "OTTER_DATABASE_DRIVER_PASSWORD and OTTER_DATABASE_DRIVER_PASSWORD_FILE are both set",
			`otter.communication.manager.port="0"`, `otter.zookeeper.cluster.default="zk"`,
			`otter.manager.address="${otter.domainName}:${otter.communication.manager.port}" (from base) resolves to "127.0.0.1:0"`} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%q: stderr lacks %q:\n%s", args, want, errOut)
			}
		}
	}

	home := t.TempDir()
	code, _, errOut := runRender([]string{"OTTER_HOME=" + home}, "node")
	if code != exit.Config || !strings.Contains(errOut, filepath.Join(home, "conf", "otter.properties")) {
		t.Errorf("missing base file: exit %d, stderr:\n%s", code, errOut)
	}
}

func TestRenderCommandUsageAndSettings(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
		code int
		want string
	}{
		{nil, nil, exit.Usage, "say which role"},
		{[]string{"manager", "node"}, nil, exit.Usage, "give one role"},
		{[]string{"worker"}, nil, exit.Usage, `unknown argument "worker"`},
		{[]string{"node", "--verbose"}, nil, exit.Usage, `unknown argument "--verbose"`},
		{[]string{"node"}, []string{"OTTER_HOME=relative", "ENTRYPOINT_RENDER_DIR=tmp", "ENTRYPOINT_LOG_LEVEL=loud"}, exit.Config,
			`OTTER_HOME="relative": must be an absolute path`},
	} {
		code, out, errOut := runRender(c.env, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("render %q: exit %d (want %d), stdout %q, stderr:\n%s\nwant it to contain %q", c.args, code, c.code, out, errOut, c.want)
		}
	}
	code, _, errOut := runRender([]string{"OTTER_HOME=relative", "ENTRYPOINT_RENDER_DIR=tmp", "ENTRYPOINT_LOG_LEVEL=loud"}, "node")
	for _, want := range []string{"OTTER_HOME", "ENTRYPOINT_RENDER_DIR", "ENTRYPOINT_LOG_LEVEL"} {
		if code != exit.Config || !strings.Contains(errOut, want) {
			t.Errorf("settings problems not all reported (missing %s):\n%s", want, errOut)
		}
	}
	code, out, _ := runRender(nil, "--help")
	if code != exit.OK || !strings.Contains(out, "Usage: otter-entrypoint render manager|node") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
}
