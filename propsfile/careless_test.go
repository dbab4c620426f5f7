package propsfile

import (
	"os"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// warningsAbout returns, sorted, the value of field in every warning whose
// message contains text.
func warningsAbout(logs *observer.ObservedLogs, text, field string) []string {
	var out []string
	for _, e := range logs.All() {
		if e.Level == zapcore.WarnLevel && strings.Contains(e.Message, text) {
			out = append(out, e.ContextMap()[field].(string))
		}
	}
	sort.Strings(out)
	return out
}

func TestRenderWarnsAboutSkippedConfigDirFiles(t *testing.T) {
	home := newHome(t, "otter.manager.address = base:1099\n")
	dir := t.TempDir()
	configMap(t, dir, "1", map[string]string{"a.properties": "otter.a = 1\n"})
	for _, name := range []string{"otter.PROPERTIES", "otter.properties.bak", "notes.txt", ".hidden.properties"} {
		writeFile(t, filepath.Join(dir, name), "otter.manager.address = skipped:1\n")
	}
	r, logs := mustRender(t, Options{Role: "node", OtterHome: home, ConfigDir: dir})
	wantValue(t, r, "otter.manager.address", "base:1099")
	wantValue(t, r, "otter.a", "1")
	got := warningsAbout(logs, "OTTER_CONFIG_DIR skipped", "entry")
	if want := []string{".hidden.properties", "notes.txt", "otter.PROPERTIES", "otter.properties.bak"}; !reflect.DeepEqual(got, want) {
		t.Errorf("warned about %q, want %q (and not the ConfigMap's ..data entries)", got, want)
	}
}

func TestRenderWarnsAboutKeysThatLookLikeTyposOfKnownKeys(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.properties"), "otter.zookeeper.sessiontimeout = 5\notter.brand.new = x\notter.port = 8081\n")
	r, logs := mustRender(t, Options{Role: "manager", OtterHome: home, ConfigDir: dir, Environ: []string{
		"otter.zookeeper.sesionTimeout=10",
		"otter.communication.pool.sise_FILE=" + filepath.Join(dir, "a.properties"),
		"otter.another.brand.new=y",
	}})
	// The keys are still added: a warning, not a refusal.
	wantValue(t, r, "otter.zookeeper.sesionTimeout", "10")
	wantValue(t, r, "otter.zookeeper.sessiontimeout", "5")
	got := warningsAbout(logs, "looks like a typo", "key")
	want := []string{"otter.communication.pool.sise", "otter.zookeeper.sesionTimeout", "otter.zookeeper.sessiontimeout"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("typo warnings about %q, want %q", got, want)
	}
	for _, e := range logs.All() {
		if strings.Contains(e.Message, "looks like a typo") {
			if c, _ := e.ContextMap()["didYouMean"].([]any); len(c) == 0 {
				t.Errorf("warning %q %v names no known key", e.Message, e.ContextMap())
			}
		}
	}
}

func TestRenderWarnsAboutOtterNamesThatCannotBeKeys(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	r, logs := mustRender(t, Options{Role: "manager", OtterHome: home, Environ: []string{
		"otter.=x", "otter.foo bar=x", "Otter.port=1", "OTTER.PORT=2", "otter.caf\u00e9=x", "dubbo.x=quiet",
	}})
	got := warningsAbout(logs, "cannot set a key", "variable")
	if want := []string{"OTTER.PORT", "Otter.port", "otter.", "otter.caf\u00e9", "otter.foo bar"}; !reflect.DeepEqual(got, want) {
		t.Errorf("warned about %q, want %q", got, want)
	}
	wantValue(t, r, "otter.port", "8080")
}

func TestRenderExplicitConfigDirMustExist(t *testing.T) {
	home := newHome(t, "otter.manager.address = a:1\n")
	missing := filepath.Join(t.TempDir(), "not-mounted")
	if _, _, err := renderObserved(t, Options{Role: "node", OtterHome: home, ConfigDir: missing}); err != nil {
		t.Errorf("the default config dir missing: %v, want no error", err)
	}
	_, _, err := renderObserved(t, Options{Role: "node", OtterHome: home, ConfigDir: missing, ConfigDirSet: true})
	wantProblem(t, err, "OTTER_CONFIG_DIR="+missing+" does not exist")
}

func TestRenderWarnsAboutAnEmptySecretFile(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	empty := filepath.Join(t.TempDir(), "pw")
	writeFile(t, empty, "\n")
	r, logs := mustRender(t, Options{Role: "manager", OtterHome: home, Environ: []string{
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + empty,
	}})
	wantValue(t, r, "otter.database.driver.password", "")
	if got := warningsAbout(logs, "secret file is empty", "variable"); !reflect.DeepEqual(got, []string{"OTTER_DATABASE_DRIVER_PASSWORD_FILE"}) {
		t.Errorf("warnings about %q", got)
	}
}

// A value that ends in a line break: from the environment (a YAML "|"
// block) it is trimmed like a *_FILE secret, with a warning; in a
// .properties file it can only be written \n, so it is kept as Java reads
// it, and a checked key holding one is refused, so that what is checked is
// what Otter gets. Java judges the written file.
func TestJavaReadsValuesEndingInLineBreaksAsChecked(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.properties"), "otter.cm.text = kept\\n\n")
	pw := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pw, "Walrus-9\r\n")
	r, logs := mustRender(t, Options{Role: "manager", OtterHome: home, ConfigDir: dir, Environ: []string{
		"OTTER_ZOOKEEPER_CLUSTER_DEFAULT=zk-0.zk:2181,zk-1.zk:2181\n",
		"otter.env.text=yaml block\r\n\n",
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + pw,
		"otter.env.inner=two\nlines",
	}})
	want := map[string]string{
		"otter.zookeeper.cluster.default": "zk-0.zk:2181,zk-1.zk:2181",
		"otter.env.text":                  "yaml block",
		"otter.database.driver.password":  "Walrus-9",
		"otter.env.inner":                 "two\nlines",
		"otter.cm.text":                   "kept\n",
	}
	for k, v := range want {
		wantValue(t, r, k, v)
	}
	if got := warningsAbout(logs, "ends with a line break", "variable"); !reflect.DeepEqual(got, []string{"OTTER_ZOOKEEPER_CLUSTER_DEFAULT", "otter.env.text"}) {
		t.Errorf("line-break warnings about %q", got)
	}
	data := writeAndRead(t, r)
	for _, j := range judges(t) {
		t.Run(j.name, func(t *testing.T) {
			got := j.load(t, [][]byte{data})[0]
			if got.err != "" {
				t.Fatalf("Java failed: %s", got.err)
			}
			for k, v := range want {
				if got.m[k] != v {
					t.Errorf("Java read %s = %q, want %q", k, got.m[k], v)
				}
			}
		})
	}

	// A checked key with a line break in a file: refused, not passed by a
	// trimmed check and then read by Otter with the break.
	writeFile(t, filepath.Join(dir, "b.properties"), "otter.zookeeper.cluster.default = zk:2181\\n\notter.port = 8080\\r\n")
	_, _, err := renderObserved(t, Options{Role: "manager", OtterHome: home, ConfigDir: dir})
	wantProblem(t, err, `otter.zookeeper.cluster.default="zk:2181\n" (from config-dir:b.properties): contains a line break`)
	wantProblem(t, err, `otter.port="8080\r" (from config-dir:b.properties): contains a line break`)
}

func TestWriteFileRefusesARenderDirOthersCanWrite(t *testing.T) {
	r, _ := mustRender(t, Options{Role: "node", OtterHome: newHome(t, "otter.manager.address = a:1\n")})
	for _, c := range []struct {
		name  string
		setup func(dir string) error
		want  string
	}{
		{"world-writable", func(d string) error { return os.Chmod(d, 0o777) }, "writable by its group or by others"},
		{"group-writable", func(d string) error { return os.Chmod(d, 0o770) }, "writable by its group or by others"},
		{"sticky and world-writable", func(d string) error { return os.Chmod(d, 0o777|os.ModeSticky) }, "writable by its group or by others"},
		{"another owner", func(d string) error { return os.Chown(d, os.Geteuid()+1, -1) }, "is owned by uid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "render")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := c.setup(dir); err != nil {
				testkit.MissingTool(t, "cannot set the directory up (changing its owner needs root): %v", err)
			}
			_, err := r.WriteFile(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("WriteFile = %v, want an error naming %s and %q", err, dir, c.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("%d files written into the refused directory", len(ents))
			}
		})
	}
	// Created by WriteFile itself (0700, ours): fine.
	if _, err := r.WriteFile(filepath.Join(t.TempDir(), "new")); err != nil {
		t.Errorf("WriteFile into a new directory: %v", err)
	}
}
