package otterstats

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"otter-entrypoint/internal/testkit"
)

// The alert rules on these metrics (docker/monitoring/otter-stats.rules.yml)
// pass their promtool unit tests, and every alert has a case where it
// fires and one where it stays quiet.
func TestAlertRules(t *testing.T) {
	dir := filepath.Join("..", "docker", "monitoring")
	rules, err := os.ReadFile(filepath.Join(dir, "otter-stats.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(dir, "otter-stats.rules.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, m := range regexp.MustCompile(`alertname: (\w+)\n\s+exp_alerts:( \[\])?`).FindAllSubmatch(tests, -1) {
		if len(m[2]) > 0 {
			quiet[string(m[1])] = true
		} else {
			fires[string(m[1])] = true
		}
	}
	alerts := regexp.MustCompile(`- alert: (\w+)`).FindAllSubmatch(rules, -1)
	if len(alerts) != 6 {
		t.Errorf("%d alerts, want 6", len(alerts))
	}
	for _, a := range alerts {
		name := string(a[1])
		if !fires[name] || !quiet[name] {
			t.Errorf("alert %s: a case where it fires %v, where it stays quiet %v; want both", name, fires[name], quiet[name])
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testkit.MissingTool(t, "promtool is missing (apt-get install prometheus)")
	}
	cmd := exec.Command(promtool, "test", "rules", "otter-stats.rules.test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
