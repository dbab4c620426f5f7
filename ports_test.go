package main

import (
	"path/filepath"
	"strings"
	"testing"

	"otter-entrypoint/internal/otterstub"
)

// TestProbePortClashesWithOtter: ENTRYPOINT_LISTEN on a port Otter's JVM
// will open is a 78 naming both settings; other ports (and 0) are fine.
func TestProbePortClashesWithOtter(t *testing.T) {
	manager := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	node := otterstub.Home(t, "node", filepath.Join(t.TempDir(), "node"))
	menv := []string{"OTTER_HOME=" + manager, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=none"}
	nenv := []string{"OTTER_HOME=" + node, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=none", "OTTER_NID=1",
		"OTTER_REGISTER=on", "OTTER_REGISTER_URL=jdbc:mysql://db:3306/otter", "OTTER_REGISTER_USERNAME=otter",
		"OTTER_ADVERTISE_HOST=otter-node-0.otter-node", "OTTER_NODE_PORT=2088"}
	tests := []struct {
		name string
		role string
		env  []string
		want []string // "" = no clash
	}{
		{"manager's otter.port", "manager", append(append([]string{}, menv...), "OTTER_PORT=18080", "ENTRYPOINT_LISTEN=:18080"),
			[]string{`ENTRYPOINT_LISTEN=":18080"`, "otter.port=18080", "same port 18080"}},
		{"manager's default 1099", "manager", append(append([]string{}, menv...), "ENTRYPOINT_LISTEN=127.0.0.1:1099"),
			[]string{`ENTRYPOINT_LISTEN="127.0.0.1:1099"`, "otter.communication.manager.port=1099"}},
		{"manager's default 8080", "manager", append(append([]string{}, menv...), "ENTRYPOINT_LISTEN=:8080"),
			[]string{"otter.port=8080"}},
		{"node's JMX port", "node", append(append([]string{}, nenv...), "ENTRYPOINT_LISTEN=:2090"),
			[]string{`ENTRYPOINT_LISTEN=":2090"`, "OTTER_NODE_MBEAN_PORT"}},
		{"node's port", "node", append(append([]string{}, nenv...), "ENTRYPOINT_LISTEN=:2088"),
			[]string{"OTTER_NODE_PORT (the node's port 2088)"}},
		{"debug port", "manager", append(append([]string{}, menv...), "JAVA_DEBUG=true", "JAVA_DEBUG_PORT=5005", "ENTRYPOINT_LISTEN=:5005"),
			[]string{"JAVA_DEBUG_PORT=5005"}},
		{"manager, another port", "manager", append(append([]string{}, menv...), "ENTRYPOINT_LISTEN=:9779"), nil},
		{"manager, port 0", "manager", append(append([]string{}, menv...), "ENTRYPOINT_LISTEN=127.0.0.1:0"), nil},
		{"node without registration", "node", append(append([]string{}, nenv[:4]...), "ENTRYPOINT_LISTEN=:2090"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runToExit(t, tt.env, tt.role, "--dry-run")
			if tt.want == nil {
				if code != 0 {
					t.Fatalf("exit %d, want 0:\n%s", code, out)
				}
				return
			}
			if code != 78 {
				t.Fatalf("exit %d, want 78:\n%s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("the message lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
