package docker

// The Java image the end-to-end test builds on: no registry is reachable, so
// it is made from Debian packages with debootstrap and imported into the
// daemon by docker/build.sh --jre-only --base-from-debootstrap, the command
// docker/README.md gives for machines without a registry. The script reuses
// the image while its recipe (the tag is a hash of it) is unchanged.

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"otter-entrypoint/internal/testkit"
)

// ensureBaseImage returns the test's Java image, built by build.sh when the
// daemon does not have it.
func ensureBaseImage(t testing.TB) string {
	t.Helper()
	start := time.Now()
	cmd := exec.Command("./build.sh", "--jre-only", "--base-from-debootstrap")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "debootstrap is missing") {
			testkit.MissingTool(t, "%s", strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("build.sh --jre-only --base-from-debootstrap: %v\n%s", err, lastN(stderr.String(), 40))
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		t.Fatalf("build.sh --jre-only printed no image name; stderr:\n%s", lastN(stderr.String(), 40))
	}
	ref := lines[len(lines)-1]
	if stderr.Len() > 0 { // it built the image
		t.Logf("build.sh built %s in %v", ref, time.Since(start).Round(time.Second))
	}
	return ref
}

func lastN(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
