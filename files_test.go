package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/testkit"
)

// The last lines quoted when java exits come from a file that may be a FIFO
// or a device: reading them must neither block nor flood.
func TestLastLinesRefusesWhatIsNotARegularFile(t *testing.T) {
	fifo := testkit.Mkfifo(t, filepath.Join(t.TempDir(), "manager.log"))
	for _, p := range []string{fifo, "/dev/zero"} {
		var got []string
		testkit.Within(t, "lastLines("+p+")", func() { got = lastLines(p, logMark{}, 20) })
		if got != nil {
			t.Errorf("lastLines(%s) = %d lines, want none", p, len(got))
		}
	}
}

func TestRenderSettingsRefusePathsThatBreakTheClasspathOrTheRender(t *testing.T) {
	home := renderHome(t)
	cfg := t.TempDir()
	link := filepath.Join(t.TempDir(), "link-to-conf")
	if err := os.Symlink(filepath.Join(home, "conf"), link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + filepath.Join(home, "conf")}, "inside the release's configuration directory"},
		{[]string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + filepath.Join(home, "conf", "rendered")}, "inside the release's configuration directory"},
		{[]string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + link}, "inside the release's configuration directory"},
		{[]string{"OTTER_HOME=" + home, "OTTER_CONFIG_DIR=" + cfg, "ENTRYPOINT_RENDER_DIR=" + cfg + "/"}, "is OTTER_CONFIG_DIR"},
		{[]string{"OTTER_HOME=" + home + ":/x", "ENTRYPOINT_RENDER_DIR=/tmp/r"}, `OTTER_HOME="` + home + `:/x": contains ':'`},
		{[]string{"OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=/tmp/a:b"}, `ENTRYPOINT_RENDER_DIR="/tmp/a:b": contains ':'`},
		{[]string{"OTTER_HOME=" + home, "OTTER_CONFIG_DIR=" + filepath.Join(cfg, "not-mounted")}, "OTTER_CONFIG_DIR=" + filepath.Join(cfg, "not-mounted") + " does not exist"},
	} {
		code, _, errOut := runRender(c.env, "manager")
		if code != exit.Config || !strings.Contains(errOut, c.want) {
			t.Errorf("env %q: exit %d, stderr:\n%s\nwant 78 and %q", c.env, code, errOut, c.want)
		}
	}
	// The defaults: /etc/otter missing is fine.
	if code, _, errOut := runRender([]string{"OTTER_HOME=" + home, "OTTER_CONFIG_DIR="}, "manager"); code != exit.OK {
		t.Errorf("OTTER_CONFIG_DIR empty: exit %d, stderr:\n%s", code, errOut)
	}
}

// render refuses a 50 MB otter.properties, naming it and the limit.
func TestRenderCommandRefusesAHugeBaseFile(t *testing.T) {
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(home, "conf", "otter.properties")
	if err := os.WriteFile(base, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(base, 50<<20); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runRender([]string{"OTTER_HOME=" + home}, "node")
	if want := base + ": is larger than the limit of 1 MiB (52428800 bytes found)"; code != exit.Config || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant 78 and %q", code, errOut, want)
	}
}
