package propsfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// secretSetup renders a manager whose database password comes from a file,
// a token from a plain variable, and which logs at debug level as JSON into
// logBuf. It returns the result and the secrets.
func secretSetup(t *testing.T, extraEnv ...string) (*Result, *bytes.Buffer, []string, error) {
	t.Helper()
	secrets := []string{"Zebra-Pass-4711", "Quokka-Token-0815", "Ocelot-User-3141"}
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), secrets[0]+"\n")
	writeFile(t, filepath.Join(dir, "user"), secrets[2]+"\n")
	env := append([]string{
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + filepath.Join(dir, "pw"),
		"otter.api.token=" + secrets[1],
		"OTTER_DATABASE_DRIVER_USERNAME_FILE=" + filepath.Join(dir, "user"),
	}, extraEnv...)
	var logBuf bytes.Buffer
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logBuf), zapcore.DebugLevel))
	r, err := Render(Options{Role: "manager", OtterHome: home, Environ: env}, log)
	return r, &logBuf, secrets, err
}

func assertNoSecret(t *testing.T, what string, out []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%s shows the secret %q:\n%s", what, s, out)
		}
	}
}

func TestSecretsAreMasked(t *testing.T) {
	r, logBuf, secrets, err := secretSetup(t, "OTTER_PORT=${x}", "OTTER_NO_SUCH_KEY=1")
	if err != nil {
		t.Fatal(err)
	}
	masked := r.Bytes(false)
	assertNoSecret(t, "Bytes(false)", masked, secrets)
	for _, want := range []string{"otter.database.driver.password=******\n", "otter.api.token=******\n", "otter.database.driver.username=******\n",
		"otter.manager.monitor.email.password=\n"} {
		if !bytes.Contains(masked, []byte(want)) {
			t.Errorf("masked file lacks %q:\n%s", want, masked)
		}
	}
	var explain bytes.Buffer
	if err := r.Explain(&explain, false); err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "Explain(false)", explain.Bytes(), secrets)
	if !strings.Contains(explain.String(), "file:OTTER_DATABASE_DRIVER_PASSWORD_FILE (overrides base)") {
		t.Errorf("explain lacks the password's source:\n%s", explain.String())
	}
	assertNoSecret(t, "the log", logBuf.Bytes(), secrets)
	if logBuf.Len() == 0 {
		t.Error("nothing was logged; the check above proves nothing")
	}

	shown := r.Bytes(true)
	for _, s := range secrets {
		if !bytes.Contains(shown, []byte(s)) {
			t.Errorf("Bytes(true) lacks %q", s)
		}
	}
	explain.Reset()
	if err := r.Explain(&explain, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(explain.String(), secrets[0]) {
		t.Errorf("Explain(true) lacks the password:\n%s", explain.String())
	}
	if written := writeAndRead(t, r); !bytes.Equal(written, shown) {
		t.Error("the written file must hold the real values")
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	// A failing render: the secret values sit beside the problems.
	_, logBuf, secrets, err := secretSetup(t, "OTTER_PORT=x", "otter.zookeeper.sessionTimeout=-1",
		"otter.database.driver.password=Zebra-Pass-4711", "OTTER_DATABASE_DRIVER_PASSWORD=other",
		"otter.secret.port=Zebra-Pass-4711", "OTTER_MANAGER_ADDRESS=${otter.database.driver.password}:x")
	if err == nil {
		t.Fatal("want problems")
	}
	assertNoSecret(t, "the error", []byte(err.Error()), secrets)
	assertNoSecret(t, "the log", logBuf.Bytes(), secrets)
	for _, want := range []string{"otter.port=\"x\"", "otter.secret.port=****** (from env:otter.secret.port): not a port",
		"otter.manager.address=****** (from env:OTTER_MANAGER_ADDRESS): not a list of host:port",
		"otter.database.driver.password is set by both env:OTTER_DATABASE_DRIVER_PASSWORD and env:otter.database.driver.password with different values",
		"OTTER_DATABASE_DRIVER_PASSWORD and OTTER_DATABASE_DRIVER_PASSWORD_FILE are both set"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestExplainFormat(t *testing.T) {
	home := newHome(t, "otter.manager.address = m:1099\notter.empty =\notter.spaces = \\ a \nmulti = a\\nb\n")
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home, Environ: []string{"OTTER_EMPTY=set"}})
	var b bytes.Buffer
	if err := r.Explain(&b, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want a header and 4 keys:\n%s", len(lines), b.String())
	}
	for i, want := range [][]string{
		{"KEY", "VALUE", "SOURCE"},
		{"otter.manager.address", "m:1099", "base"},
		{"otter.empty", "set", "env:OTTER_EMPTY", "(overrides", "base)"},
		{"otter.spaces", `" a "`, "base"},
		{"multi", `"a\nb"`, "base"},
	} {
		if got := strings.Fields(lines[i]); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("line %d = %q, want fields %q", i, lines[i], want)
		}
	}
}

// writeAndRead writes r with WriteFile into a new directory and returns
// the file's content.
func writeAndRead(t *testing.T, r *Result) []byte {
	t.Helper()
	path, err := r.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// listDir names the entries of dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileIsAtomicAndPrivate(t *testing.T) {
	home := newHome(t, fixture(t, "node.otter.properties"))
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home})
	dir := filepath.Join(t.TempDir(), "render", "dir")
	path, err := r.WriteFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "otter.properties") {
		t.Errorf("path %q", path)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, r.Bytes(true)) {
		t.Error("written content differs from Bytes(true)")
	}
	// A second render replaces it; nothing else is left in the directory.
	r2, _ := mustRender(t, Options{Role: "node", OtterHome: home, Environ: []string{"OTTER_MANAGER_ADDRESS=m2:1099"}})
	if _, err := r2.WriteFile(dir); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "otter.properties" {
		t.Errorf("directory holds %q, want only otter.properties", names)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte("otter.manager.address=m2\\:1099")) {
		t.Errorf("file not replaced:\n%s", b)
	}
}

func TestWriteFileFailureLeavesNoTempFile(t *testing.T) {
	home := newHome(t, fixture(t, "node.otter.properties"))
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home})
	dir := t.TempDir()
	// The target is a non-empty directory: rename must fail after the temp file was written.
	if err := os.MkdirAll(filepath.Join(dir, "otter.properties", "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteFile(dir); err == nil {
		t.Fatal("WriteFile over a directory succeeded")
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "otter.properties" {
		t.Errorf("directory holds %q after a failed write, want only the old entry", names)
	}
	if _, err := os.Stat(filepath.Join(dir, "otter.properties", "keep")); err != nil {
		t.Errorf("the previous entry was touched: %v", err)
	}
	// The render directory cannot be created.
	file := filepath.Join(t.TempDir(), "file")
	writeFile(t, file, "")
	if _, err := r.WriteFile(filepath.Join(file, "sub")); err == nil || !strings.Contains(err.Error(), "ENTRYPOINT_RENDER_DIR") {
		t.Errorf("error %v, want one naming ENTRYPOINT_RENDER_DIR", err)
	}
}

func TestFailedRenderKeepsPreviousFile(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	r, _ := mustRender(t, Options{Role: "manager", OtterHome: home})
	path, err := r.WriteFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	// The next start has a bad setting: no result, so nothing is written.
	r2, err := Render(Options{Role: "manager", OtterHome: home, Environ: []string{"OTTER_PORT=99999"}}, zap.NewNop())
	if err == nil || r2 != nil {
		t.Fatalf("Render = %v, %v; want nil and problems", r2, err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the previous file changed")
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q", names)
	}
}

// A password inside a URL value (a JDBC URL's user:password@ or
// ?password=) is not shown by render or --explain, though the key is not a
// secret key; the written file keeps it.
func TestURLCredentialsAreNotShown(t *testing.T) {
	home := newHome(t, "otter.manager.address = a:1\n")
	env := []string{"otter.database.driver.url=jdbc:mysql://otter:hunter2@db:3306/otter?useSSL=false&password=hunter3"}
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home, Environ: env})
	var explain bytes.Buffer
	if err := r.Explain(&explain, false); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"render": string(r.Bytes(false)), "--explain": explain.String()} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, "hunter3") || !strings.Contains(out, "3306/otter") {
			t.Errorf("%s shows a URL's password or lost the URL:\n%s", name, out)
		}
	}
	if !strings.Contains(string(r.Bytes(true)), "hunter2") {
		t.Error("the file java reads lost the URL's password")
	}
}
