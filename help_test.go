package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"otter-entrypoint/internal/testkit"
)

func runHelp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(&app{stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// TestHelpListsEveryCommandAndFlag: every command and flag of README.md's
// Commands table is in help's output, on its command's synopsis line, and
// help names documentation that exists in the images.
func TestHelpListsEveryCommandAndFlag(t *testing.T) {
	code, help, _ := runHelp(t, "help")
	if code != 0 {
		t.Fatalf("help exited %d", code)
	}
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(b), "\nCommands:\n")
	table, _, _ = strings.Cut(table, "\n\n")
	cell := regexp.MustCompile("^\\| `otter-entrypoint ([^`]+)`")
	word := regexp.MustCompile(`--[a-z-]+|\b[a-z]+\b`)
	rows := 0
	for line := range strings.SplitSeq(table, "\n") {
		m := cell.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rows++
		syn := strings.ReplaceAll(m[1], `\|`, "|")
		name := strings.Fields(syn)[0]
		var synLine string
		for l := range strings.SplitSeq(help, "\n") {
			if strings.HasPrefix(l, "  "+name+" ") || l == "  "+name {
				synLine = l
			}
		}
		if synLine == "" {
			t.Errorf("help has no synopsis for %q (README: %s)", name, syn)
			continue
		}
		for _, w := range word.FindAllString(syn, -1) {
			if !strings.Contains(synLine, w) {
				t.Errorf("help's synopsis %q lacks %q (README: %s)", synLine, w, syn)
			}
		}
	}
	if rows < 6 {
		t.Fatalf("found %d rows in README.md's Commands table", rows)
	}
	for _, c := range commands() {
		if !strings.Contains(help, "\n  "+c.synopsis+"\n") {
			t.Errorf("help lacks %q", c.synopsis)
		}
		// Every flag of the synopsis is explained below it.
		for _, f := range regexp.MustCompile(`--[a-z-]+`).FindAllString(c.synopsis, -1) {
			if !strings.Contains(strings.Join(c.text, "\n"), f) {
				t.Errorf("%s: %s is not explained", c.name, f)
			}
		}
	}
	for _, want := range []string{"--dry-run", "--explain", "--show-secrets", "run -- CMD", "livez|readyz", "help readme", docPath} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	// The images hold the documentation where help says.
	for _, df := range []string{"manager.Dockerfile", "node.Dockerfile"} {
		b, err := os.ReadFile(filepath.Join("docker", df))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), docPath) {
			t.Errorf("docker/%s does not install %s", df, docPath)
		}
	}
}

func TestHelpReadmeIsTheREADME(t *testing.T) {
	code, out, _ := runHelp(t, "help", "readme")
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != string(b) {
		t.Errorf("help readme: exit %d, %d bytes; README.md has %d", code, len(out), len(b))
	}
	if code, _, errOut := runHelp(t, "help", "nonsense"); code != 2 || !strings.Contains(errOut, "help readme") {
		t.Errorf("help nonsense: exit %d, %q", code, errOut)
	}
}

// TestMakeBuildStampsTheVersion: `make build` stamps git describe's answer,
// which `version` prints.
func TestMakeBuildStampsTheVersion(t *testing.T) {
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			testkit.MissingTool(t, "%s is not installed: %v", tool, err)
		}
	}
	want, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	out := filepath.Join(t.TempDir(), "otter-entrypoint")
	if b, err := exec.Command("make", "-s", "build", "OUT="+out).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	got, err := exec.Command(out, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(want)); !strings.HasPrefix(string(got), "otter-entrypoint "+v+" (") {
		t.Errorf("version printed %q, want otter-entrypoint %s (...)", got, v)
	}
}
