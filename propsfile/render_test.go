package propsfile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"otter-entrypoint/internal/exit"
)

// newHome lays out an OTTER_HOME with conf/otter.properties holding base.
func newHome(t testing.TB, base string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "conf", "otter.properties"), base)
	return home
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// renderObserved renders with a debug-level observer logger.
func renderObserved(t *testing.T, opts Options) (*Result, *observer.ObservedLogs, error) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	r, err := Render(opts, zap.New(core))
	return r, logs, err
}

func mustRender(t *testing.T, opts Options) (*Result, *observer.ObservedLogs) {
	t.Helper()
	r, logs, err := renderObserved(t, opts)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return r, logs
}

// mustProblems checks that err is Render's configuration error and returns
// its problems.
func mustProblems(t *testing.T, err error) []string {
	t.Helper()
	var e *exit.Error
	if !errors.As(err, &e) {
		t.Fatalf("Render error = %v, want *exit.Error", err)
	}
	if e.Code != exit.Config || exit.Code(err) != 78 {
		t.Errorf("exit code %d (exit.Code %d), want 78", e.Code, exit.Code(err))
	}
	if !strings.HasPrefix(e.Summary, "cannot render otter.properties for the ") || len(e.Problems) == 0 {
		t.Errorf("summary %q with %d problems", e.Summary, len(e.Problems))
	}
	return e.Problems
}

func wantValue(t *testing.T, r *Result, key, want string) {
	t.Helper()
	got, ok := r.Get(key)
	if !ok || got != want {
		t.Errorf("Get(%q) = %q, %v; want %q", key, got, ok, want)
	}
}

func entry(t *testing.T, r *Result, key string) Entry {
	t.Helper()
	for _, e := range r.Entries() {
		if e.Key == key {
			return e
		}
	}
	t.Fatalf("no entry %q", key)
	return Entry{}
}

// messagesAt returns the messages logged at level.
func messagesAt(logs *observer.ObservedLogs, level zapcore.Level) []string {
	var m []string
	for _, e := range logs.All() {
		if e.Level == level {
			m = append(m, e.Message)
		}
	}
	return m
}

func TestRenderBaseOnlyKeepsValuesAndPlaceholders(t *testing.T) {
	for _, role := range []string{"manager", "node"} {
		t.Run(role, func(t *testing.T) {
			base := fixture(t, role+".otter.properties")
			home := newHome(t, base)
			r, logs := mustRender(t, Options{Role: role, OtterHome: home, Environ: []string{"PATH=/usr/bin", "HOME=/root"}})
			parsed, err := Parse([]byte(base))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Map(), parsed.Map()) {
				t.Errorf("Map() = %v, want the base file's %v", r.Map(), parsed.Map())
			}
			for _, e := range r.Entries() {
				if e.Source != (Source{Kind: SourceBase}) || len(e.Overrides) != 0 {
					t.Errorf("%s: source %v overrides %v, want base only", e.Key, e.Source, e.Overrides)
				}
			}
			if w := messagesAt(logs, zapcore.WarnLevel); role == "node" && len(w) != 0 {
				t.Errorf("warnings for the shipped node file: %q", w)
			}
		})
	}
	home := newHome(t, fixture(t, "node.otter.properties"))
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home})
	wantValue(t, r, "otter.nodeHome", "${user.dir}/../")
	wantValue(t, r, "otter.htdocs.dir", "${otter.nodeHome}/htdocs")
	if !strings.Contains(string(r.Bytes(true)), "otter.nodeHome=${user.dir}/../\n") {
		t.Errorf("placeholder not written untouched:\n%s", r.Bytes(true))
	}
}

func TestRenderBaseFileProblems(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		home := t.TempDir()
		_, _, err := renderObserved(t, Options{Role: "node", OtterHome: home})
		p := mustProblems(t, err)
		if want := filepath.Join(home, "conf", "otter.properties"); len(p) != 1 || !strings.Contains(p[0], want) {
			t.Errorf("problems %q should name %s once", p, want)
		}
		if want := "cannot render otter.properties for the node: " + p[0]; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		home := newHome(t, "otter.manager.address = a:1\nbad = \\u00G1\n")
		_, _, err := renderObserved(t, Options{Role: "node", OtterHome: home})
		mustProblems(t, err)
		if !strings.Contains(err.Error(), "otter.properties: line 2: malformed") {
			t.Errorf("error %q should name the file and line 2", err)
		}
	})
	t.Run("unknown role", func(t *testing.T) {
		_, _, err := renderObserved(t, Options{Role: "worker", OtterHome: t.TempDir()})
		if p := mustProblems(t, err); len(p) != 1 || p[0] != `unknown role "worker": use manager or node` {
			t.Errorf("problems %q", p)
		}
	})
}

func TestRenderConfigDirLexicalOrderAndSkips(t *testing.T) {
	home := newHome(t, "otter.manager.address = base:1099\notter.x = base\n")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "b.properties"), "otter.x = from-b\notter.only.b = b\n")
	writeFile(t, filepath.Join(dir, "a.properties"), "otter.x = from-a\notter.only.a = a\notter.manager.address = cm:1099\n")
	writeFile(t, filepath.Join(dir, ".hidden.properties"), "otter.x = hidden\n")
	writeFile(t, filepath.Join(dir, "notes.txt"), "otter.x = txt\n")
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home, ConfigDir: dir})
	wantValue(t, r, "otter.x", "from-b")
	wantValue(t, r, "otter.manager.address", "cm:1099")
	wantValue(t, r, "otter.only.a", "a")
	wantValue(t, r, "otter.only.b", "b")
	e := entry(t, r, "otter.x")
	wantOver := []Source{{Kind: SourceBase}, {Kind: SourceConfigDir, Name: "a.properties"}}
	if e.Source != (Source{Kind: SourceConfigDir, Name: "b.properties"}) || !reflect.DeepEqual(e.Overrides, wantOver) {
		t.Errorf("otter.x source %v overrides %v; want config-dir:b.properties over %v", e.Source, e.Overrides, wantOver)
	}
	var keys []string
	for _, e := range r.Entries() {
		keys = append(keys, e.Key)
	}
	if want := []string{"otter.manager.address", "otter.x", "otter.only.a", "otter.only.b"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("key order %q, want %q", keys, want)
	}
}

// configMap lays out dir the way the kubelet mounts a ConfigMap: the data
// in a timestamped directory, "..data" linking to it, and each key a link
// through "..data".
func configMap(t *testing.T, dir, stamp string, files map[string]string) {
	t.Helper()
	data := filepath.Join(dir, "..2026_11_26_10_00_00."+stamp)
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		writeFile(t, filepath.Join(data, name), content)
	}
	tmpLink := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(data), tmpLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmpLink, filepath.Join(dir, "..data")); err != nil { // the kubelet's atomic swap
		t.Fatal(err)
	}
	for name := range files {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderConfigMapDirectoryWithDataSymlinks(t *testing.T) {
	home := newHome(t, fixture(t, "node.otter.properties"))
	dir := t.TempDir()
	configMap(t, dir, "1", map[string]string{
		"otter.properties":    "otter.manager.address = manager-0.manager:1099;manager-1.manager:1099\n",
		"zz-extra.properties": "otter.extra = v1\n",
	})
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home, ConfigDir: dir})
	wantValue(t, r, "otter.manager.address", "manager-0.manager:1099;manager-1.manager:1099")
	wantValue(t, r, "otter.extra", "v1")
	if got := entry(t, r, "otter.extra").Source.String(); got != "config-dir:zz-extra.properties" {
		t.Errorf("source %q, want config-dir:zz-extra.properties", got)
	}
	if len(r.Entries()) != 9 {
		t.Errorf("%d keys, want 8 from the base and 1 added (..data must not be read twice)", len(r.Entries()))
	}

	// The ConfigMap is updated: the kubelet swaps ..data; a new render sees it.
	configMap(t, dir, "2", map[string]string{
		"otter.properties":    "otter.manager.address = manager-2.manager:1099\n",
		"zz-extra.properties": "otter.extra = v2\n",
	})
	r, _ = mustRender(t, Options{Role: "node", OtterHome: home, ConfigDir: dir})
	wantValue(t, r, "otter.manager.address", "manager-2.manager:1099")
	wantValue(t, r, "otter.extra", "v2")
}

func TestRenderConfigDirAbsentOrBroken(t *testing.T) {
	home := newHome(t, "otter.manager.address = a:1\n")
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "does-not-exist")} {
		if _, _, err := renderObserved(t, Options{Role: "node", OtterHome: home, ConfigDir: dir}); err != nil {
			t.Errorf("ConfigDir %q: %v, want no error", dir, err)
		}
	}
	notDir := filepath.Join(t.TempDir(), "file")
	writeFile(t, notDir, "")
	_, _, err := renderObserved(t, Options{Role: "node", OtterHome: home, ConfigDir: notDir})
	if mustProblems(t, err); !strings.Contains(err.Error(), "OTTER_CONFIG_DIR="+notDir) {
		t.Errorf("error %q should name OTTER_CONFIG_DIR", err)
	}
	broken := t.TempDir()
	if err := os.Symlink("..data/gone.properties", filepath.Join(broken, "gone.properties")); err != nil {
		t.Fatal(err)
	}
	_, _, err = renderObserved(t, Options{Role: "node", OtterHome: home, ConfigDir: broken})
	if mustProblems(t, err); !strings.Contains(err.Error(), "gone.properties") {
		t.Errorf("error %q should name the broken link", err)
	}
}

func TestRenderEnvExactNames(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	r, _ := mustRender(t, Options{Role: "manager", OtterHome: home, Environ: []string{
		"otter.zookeeper.cluster.default=zk-0.zk:2181,zk-1.zk:2181",
		"otter.brand.new=added",
		"dubbo.not.otter=ignored",
		"PATH=/bin",
		"otter.=ignored",
	}})
	wantValue(t, r, "otter.zookeeper.cluster.default", "zk-0.zk:2181,zk-1.zk:2181")
	wantValue(t, r, "otter.brand.new", "added")
	if _, ok := r.Get("dubbo.not.otter"); ok {
		t.Error("a dotted variable that is neither a known key nor otter.* became a key")
	}
	for _, k := range []string{"PATH", "otter."} {
		if _, ok := r.Get(k); ok {
			t.Errorf("%q became a key", k)
		}
	}
	if got := entry(t, r, "otter.brand.new").Source.String(); got != "env:otter.brand.new" {
		t.Errorf("source %q", got)
	}
}

func TestRenderEnvUpperSnakeNames(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "extra.properties"), "otter.cm.onlyHere = cm\n")
	r, logs := mustRender(t, Options{Role: "manager", OtterHome: home, ConfigDir: dir, Environ: []string{
		"OTTER_ZOOKEEPER_SESSIONTIMEOUT=30000",
		"OTTER_DOMAINNAME=manager.otter.svc",
		"OTTER_CM_ONLYHERE=env",
		"OTTER_ZOOKEEPER_SESIONTIMEOUT=1",
		"OTTER_NEW_KEY=not-added",
	}})
	wantValue(t, r, "otter.zookeeper.sessionTimeout", "30000")
	wantValue(t, r, "otter.domainName", "manager.otter.svc")
	wantValue(t, r, "otter.cm.onlyHere", "env")
	for _, k := range []string{"otter.new.key", "otter.zookeeper.sesiontimeout"} {
		if _, ok := r.Get(k); ok {
			t.Errorf("%s was added; OTTER_<NAME> must only set known keys", k)
		}
	}
	var warned []string
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if v, ok := e.ContextMap()["variable"]; ok {
			warned = append(warned, v.(string))
			if v == "OTTER_ZOOKEEPER_SESIONTIMEOUT" {
				if c, _ := e.ContextMap()["closestKeys"].([]any); len(c) == 0 || c[0] != "otter.zookeeper.sessionTimeout" {
					t.Errorf("closest keys %v, want otter.zookeeper.sessionTimeout first", e.ContextMap()["closestKeys"])
				}
			}
		}
	}
	if want := []string{"OTTER_NEW_KEY", "OTTER_ZOOKEEPER_SESIONTIMEOUT"}; !reflect.DeepEqual(warned, want) {
		t.Errorf("warned about %q, want %q", warned, want)
	}
}

func TestRenderEnvAmbiguousSnakeName(t *testing.T) {
	home := newHome(t, "otter.manager.address = a:1\notter.foo.bar = 1\notter.foo_bar = 2\n")
	_, _, err := renderObserved(t, Options{Role: "node", OtterHome: home, Environ: []string{"OTTER_FOO_BAR=3"}})
	mustProblems(t, err)
	if !strings.Contains(err.Error(), "otter.foo.bar, otter.foo_bar") {
		t.Errorf("error %q should list both keys", err)
	}
}

func TestRenderReservedSettingsAreNeverProperties(t *testing.T) {
	home := newHome(t, "otter.manager.address = a:1\notter.home = h\notter.nid = n\notter.config.dir = c\notter.custom = c\n")
	env := []string{"OTTER_HOME=/x", "OTTER_NID=3", "OTTER_NID_OFFSET=1", "OTTER_CONFIG_DIR=/etc/otter",
		"OTTER_ADVERTISE_HOST=10.0.0.1", "OTTER_CUSTOM=set-by-caller-setting", "OTTER_HOME_FILE=/nonexistent"}
	reserved := []string{"OTTER_HOME", "OTTER_CONFIG_DIR", "OTTER_NID", "OTTER_NID_OFFSET", "OTTER_ADVERTISE_HOST", "OTTER_CUSTOM"}
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home, Environ: env, Reserved: reserved})
	for k, v := range map[string]string{"otter.home": "h", "otter.nid": "n", "otter.config.dir": "c", "otter.custom": "c"} {
		wantValue(t, r, k, v)
	}
}

func TestRenderIgnoresKubernetesServiceVariables(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	env := []string{
		// A Service named "otter" and one named "otter-manager".
		"OTTER_SERVICE_HOST=10.0.0.7", "OTTER_SERVICE_PORT=8080", "OTTER_SERVICE_PORT_HTTP=8080",
		"OTTER_PORT=tcp://10.0.0.7:8080", "OTTER_PORT_8080_TCP=tcp://10.0.0.7:8080",
		"OTTER_PORT_8080_TCP_PROTO=tcp", "OTTER_PORT_8080_TCP_PORT=8080", "OTTER_PORT_8080_TCP_ADDR=10.0.0.7",
		"OTTER_MANAGER_SERVICE_HOST=fd00::7", "OTTER_MANAGER_SERVICE_PORT=1099",
		"OTTER_MANAGER_PORT=tcp://[fd00::7]:1099", "OTTER_MANAGER_PORT_1099_TCP_ADDR=fd00::7",
		"OTTER_MANAGER_PORT_1099_UDP=udp://[fd00::7]:1099",
	}
	r, logs := mustRender(t, Options{Role: "manager", OtterHome: home, Environ: env})
	wantValue(t, r, "otter.port", "8080")
	if w := messagesAt(logs, zapcore.WarnLevel); len(w) != 1 || !strings.Contains(w[0], "shipped default") {
		t.Errorf("warnings %q: service variables must not warn", w)
	}
	debug := 0
	for _, e := range logs.FilterLevelExact(zapcore.DebugLevel).All() {
		if strings.Contains(e.Message, "Kubernetes service variable") {
			debug++
		}
	}
	if debug != len(env) {
		t.Errorf("%d debug lines about service variables, want %d (one each)", debug, len(env))
	}

	// The same names with values a Service would never inject are properties.
	r, _ = mustRender(t, Options{Role: "manager", OtterHome: home, Environ: []string{"OTTER_PORT=8081"}})
	wantValue(t, r, "otter.port", "8081")
}

func TestRenderSecretFiles(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), "s3cr3t-pw\n\n")
	writeFile(t, filepath.Join(dir, "user"), "otter_user\r\n")
	writeFile(t, filepath.Join(dir, "token"), "tok  ")
	r, _ := mustRender(t, Options{Role: "manager", OtterHome: home, Environ: []string{
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + filepath.Join(dir, "pw"),
		"otter.database.driver.username_FILE=" + filepath.Join(dir, "user"),
		"otter.api.token_FILE=" + filepath.Join(dir, "token"),
	}})
	wantValue(t, r, "otter.database.driver.password", "s3cr3t-pw")
	wantValue(t, r, "otter.database.driver.username", "otter_user")
	wantValue(t, r, "otter.api.token", "tok  ")
	e := entry(t, r, "otter.database.driver.username")
	if !e.Secret || e.Source.String() != "file:otter.database.driver.username_FILE" {
		t.Errorf("username from a file: secret %v source %v; want secret from file:otter.database.driver.username_FILE", e.Secret, e.Source)
	}
}

func TestRenderSecretFileProblemsAllAtOnce(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, "Zebra-Secret-77")
	_, _, err := renderObserved(t, Options{Role: "manager", OtterHome: home, Environ: []string{
		"OTTER_DATABASE_DRIVER_PASSWORD=Zebra-Secret-77",
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + pw,
		"OTTER_DATABASE_DRIVER_USERNAME_FILE=" + filepath.Join(dir, "missing"),
		"OTTER_PORT=http",
	}})
	p := mustProblems(t, err)
	if len(p) != 3 {
		t.Fatalf("%d problems, want 3:\n%v", len(p), err)
	}
	msg := err.Error()
	for _, want := range []string{
		"OTTER_DATABASE_DRIVER_PASSWORD and OTTER_DATABASE_DRIVER_PASSWORD_FILE are both set", pw,
		"OTTER_DATABASE_DRIVER_USERNAME_FILE=" + filepath.Join(dir, "missing"),
		`otter.port="http" (from env:OTTER_PORT): not a port number`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Zebra-Secret-77") {
		t.Errorf("error shows the secret:\n%s", msg)
	}
}

func TestRenderPrecedence(t *testing.T) {
	home := newHome(t, "otter.manager.address = a:1\notter.k1 = base\notter.k2 = base\notter.k3 = base\notter.k4 = base\notter.k5 = base\n")
	cm := t.TempDir()
	writeFile(t, filepath.Join(cm, "10.properties"), "otter.k2 = cm10\notter.k3 = cm10\notter.k4 = cm10\notter.k5 = cm10\n")
	writeFile(t, filepath.Join(cm, "20.properties"), "otter.k3 = cm20\notter.k4 = cm20\notter.k5 = cm20\n")
	sec := filepath.Join(t.TempDir(), "k5")
	writeFile(t, sec, "file\n")
	// A variable and its _FILE twin are exclusive.
	_, _, err := renderObserved(t, Options{Role: "node", OtterHome: home, ConfigDir: cm, Environ: []string{"otter.k5=env", "otter.k5_FILE=" + sec}})
	if err == nil || !strings.Contains(err.Error(), "otter.k5 and otter.k5_FILE are both set") {
		t.Errorf("otter.k5 and otter.k5_FILE both set: error %v, want a problem", err)
	}
	// Under different names, the secret file (source 4) wins over the variable (source 3).
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home, ConfigDir: cm, Environ: []string{
		"otter.k4=env", "otter.k5=env", "OTTER_K5_FILE=" + sec,
	}})
	for _, c := range []struct{ key, value, source string }{
		{"otter.k1", "base", "base"},
		{"otter.k2", "cm10", "config-dir:10.properties"},
		{"otter.k3", "cm20", "config-dir:20.properties"},
		{"otter.k4", "env", "env:otter.k4"},
		{"otter.k5", "file", "file:OTTER_K5_FILE"},
	} {
		e := entry(t, r, c.key)
		if e.Value != c.value || e.Source.String() != c.source {
			t.Errorf("%s = %q from %v; want %q from %s", c.key, e.Value, e.Source, c.value, c.source)
		}
	}
	want := []Source{{Kind: SourceBase}, {SourceConfigDir, "10.properties"}, {SourceConfigDir, "20.properties"}, {SourceEnv, "otter.k5"}}
	if got := entry(t, r, "otter.k5").Overrides; !reflect.DeepEqual(got, want) {
		t.Errorf("otter.k5 overrides %v, want %v", got, want)
	}
}

func TestRenderEnvConflicts(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	_, _, err := renderObserved(t, Options{Role: "manager", OtterHome: home, Environ: []string{"otter.port=8081", "OTTER_PORT=8082"}})
	if mustProblems(t, err); !strings.Contains(err.Error(), "otter.port is set by both env:OTTER_PORT and env:otter.port") {
		t.Errorf("error %q", err)
	}
	r, _ := mustRender(t, Options{Role: "manager", OtterHome: home, Environ: []string{"otter.port=8081", "OTTER_PORT=8081"}})
	wantValue(t, r, "otter.port", "8081")
}

func TestRenderWarnsAboutPlaceholdersFromEnv(t *testing.T) {
	home := newHome(t, fixture(t, "node.otter.properties"))
	r, logs := mustRender(t, Options{Role: "node", OtterHome: home, Environ: []string{"OTTER_DOWNLOAD_DIR=${otter.nodeHome}/dl", "OTTER_EXTEND_DIR=/plain"}})
	wantValue(t, r, "otter.download.dir", "${otter.nodeHome}/dl")
	n := 0
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if strings.Contains(e.Message, `"${"`) {
			n++
			if e.ContextMap()["key"] != "otter.download.dir" {
				t.Errorf("warning for %v", e.ContextMap())
			}
		}
	}
	if n != 1 {
		t.Errorf("%d ${ warnings, want 1", n)
	}
}

func TestRenderKeepsLayoutAndMarksSources(t *testing.T) {
	base := "# head\n\nb = 1\n! bang comment\na = 2\nb = 3\n# tail comment\n"
	home := newHome(t, base)
	r, _ := mustRender(t, Options{Role: "node", OtterHome: home, Environ: []string{
		"otter.manager.address=m:1099", "a=from-env",
	}})
	got := string(r.Bytes(true))
	want := "# otter.properties for the node, rendered by otter-entrypoint from " + BaseFile(home) + "\n" +
		"# and the configuration directory, environment variables and secret files.\n" +
		"# Do not edit: it is written anew at every start.\n" +
		"\n" +
		"# head\n" +
		"\n" +
		"b=3\n" +
		"! bang comment\n" +
		"# otter-entrypoint: value from env:a\n" +
		"a=from-env\n" +
		"# tail comment\n" +
		"\n" +
		"# Keys added by otter-entrypoint (not in the base file):\n" +
		"# from env:otter.manager.address\n" +
		"otter.manager.address=m\\:1099\n"
	if got != want {
		t.Errorf("rendered file:\n%s\nwant:\n%s", got, want)
	}
}

func TestValidateManagerReportsEveryProblem(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	_, _, err := renderObserved(t, Options{Role: "manager", OtterHome: home, Environ: []string{
		"OTTER_DATABASE_DRIVER_URL=",
		"OTTER_PORT=0",
		"OTTER_COMMUNICATION_MANAGER_PORT=65536",
		"OTTER_ZOOKEEPER_SESSIONTIMEOUT=-5",
		"OTTER_COMMUNICATION_POOL_SIZE=ten",
		"OTTER_ZOOKEEPER_CLUSTER_DEFAULT=zk-0:2181,,zk-1:2181",
		"OTTER_DOMAINNAME=bad host",
		"OTTER_MANAGER_MONITOR_EMAIL_STMP_PORT=smtp",
	}})
	p := mustProblems(t, err)
	wants := []string{
		"otter.database.driver.url is empty",
		`otter.port="0"`,
		`otter.communication.manager.port="65536"`,
		`otter.zookeeper.sessionTimeout="-5"`,
		`otter.communication.pool.size="ten"`,
		`otter.zookeeper.cluster.default="zk-0:2181,,zk-1:2181" (from env:OTTER_ZOOKEEPER_CLUSTER_DEFAULT): has an empty entry`,
		// otter.manager.address is ${otter.domainName}:${...port}: checked after resolving.
		`otter.manager.address="${otter.domainName}:${otter.communication.manager.port}" (from base) resolves to "bad host:65536": entry "bad host:65536"`,
		`otter.manager.monitor.email.stmp.port="smtp"`,
	}
	if len(p) != len(wants) {
		t.Errorf("%d problems, want %d:\n%v", len(p), len(wants), err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}

	missing := newHome(t, "otter.jetty = jetty.xml\n")
	_, _, err = renderObserved(t, Options{Role: "manager", OtterHome: missing})
	p = mustProblems(t, err)
	if len(p) != 5 {
		t.Errorf("%d problems, want 5 missing keys:\n%v", len(p), err)
	}
	if !strings.Contains(err.Error(), "otter.communication.manager.port is missing: the manager needs it; set it in the base file, in a file in OTTER_CONFIG_DIR, or with the variable otter.communication.manager.port or OTTER_COMMUNICATION_MANAGER_PORT") {
		t.Errorf("error %v", err)
	}
}

func TestValidateNode(t *testing.T) {
	for _, c := range []struct {
		base, want string
	}{
		{"otter.nodeHome = ${user.dir}/../\n", "otter.manager.address is missing"},
		{"otter.manager.address = \n", "otter.manager.address is empty"},
		{"otter.manager.address = m0:1099;m1\n", `entry "m1" is not host:port`},
		{"otter.manager.address = m0:1099;\n", "has an empty entry"},
		{"otter.manager.address = m0:1099\notter.zookeeper.sessionTimeout = 0\n", "otter.zookeeper.sessionTimeout=\"0\""},
		{"otter.manager.address = m0:1099,[fd00::1]:1099; m2:1099\notter.zookeeper.cluster.default = zk:2181/otter\n", ""},
		{"otter.manager.address = ${otter.domainName:m}:${port:1099}\n", ""},
		{"otter.manager.address = ${user.home}:1099\n", ""}, // only Spring can resolve it
	} {
		_, _, err := renderObserved(t, Options{Role: "node", OtterHome: newHome(t, c.base)})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v, want no problem", c.base, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want %q", c.base, err, c.want)
		}
	}
}

func TestDefaultPasswordWarning(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	_, logs := mustRender(t, Options{Role: "manager", OtterHome: home})
	if w := messagesAt(logs, zapcore.WarnLevel); len(w) != 1 || !strings.Contains(w[0], "shipped default") {
		t.Errorf("warnings %q, want the shipped-default password warning", w)
	}
	_, logs = mustRender(t, Options{Role: "manager", OtterHome: home, Environ: []string{"OTTER_DATABASE_DRIVER_PASSWORD=other"}})
	if w := messagesAt(logs, zapcore.WarnLevel); len(w) != 0 {
		t.Errorf("warnings %q, want none", w)
	}
}

func TestResolvePlaceholders(t *testing.T) {
	r := &Result{index: map[string]int{}}
	r.set("a", "A", Source{})
	r.set("b", "${a}-b", Source{})
	r.set("loop", "${loop}", Source{})
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"plain", "plain", true},
		{"${a}:${b}", "A:A-b", true},
		{"${missing:def}", "def", true},
		{"${x${a}:1}", "1", true},
		{"${user.dir}/x", "", false},
		{"${unterminated", "", false},
		{"${loop}", "", false},
	} {
		got, _, ok := r.resolve(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("resolve(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestResolved(t *testing.T) {
	base := "otter.domainName = 10.0.0.5\notter.communication.manager.port = 1099\n" +
		"otter.manager.address = ${otter.domainName}:${otter.communication.manager.port}\n" +
		"otter.nodeHome = ${user.dir}/../\notter.x = ${otter.missing:fallback}\n"
	r, _ := mustRender(t, Options{Role: "node", OtterHome: newHome(t, base)})
	for key, want := range map[string]struct {
		v  string
		ok bool
	}{
		"otter.manager.address": {"10.0.0.5:1099", true},
		"otter.x":               {"fallback", true},
		"otter.nodeHome":        {"", false},
		"otter.nothere":         {"", false},
	} {
		v, ok := r.Resolved(key)
		if ok != want.ok || (ok && v != want.v) {
			t.Errorf("Resolved(%q) = %q, %v; want %q, %v", key, v, ok, want.v, want.ok)
		}
	}
}
