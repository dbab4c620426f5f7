package otterstub

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otter-entrypoint/internal/testkit"
)

// TestNodeStandInRegistersInZooKeeper: with a ZooKeeper connect string the
// node stand-in registers the ephemeral /otter/node/{nid} through the real
// ZooKeeper client; a second JVM with the same nid fails as 4.2.18 does
// (Node_init, no running line, the JVM stays up); TERM unregisters.
func TestNodeStandInRegistersInZooKeeper(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	jdk := testkit.AnyJDK(t)
	home := Home(t, "node", filepath.Join(t.TempDir(), "node"))
	cp := filepath.Join(home, "conf") + ":" + filepath.Join(home, "lib", "*")
	args := []string{"-Dnid=7", "-Dotter.stub.zkServers=" + z.Addr, "-Dotter.stub.zkSessionTimeoutMs=4000",
		"-Dotter.stub.shutdownDelayMs=0", "-cp", cp, NodeMainClass}
	zk := z.Client(t, 4*time.Second)

	first := start(t, jdk.Java(), home, args...)
	log := filepath.Join(home, NodeLog)
	testkit.Eventually(t, "the running line", 30*time.Second, func() bool { return testkit.FileContains(log, NodeRunning) }, first.Out.Bytes)
	ok, st, err := zk.Exists("/otter/node/7")
	if err != nil || !ok || st.EphemeralOwner == 0 {
		t.Fatalf("/otter/node/7: exists %v, %+v, %v; want an ephemeral node", ok, st, err)
	}
	if !testkit.FileContains(log, "## registered /otter/node/7 in zookeeper") {
		t.Error("the registration is not logged")
	}

	second := start(t, jdk.Java(), home, args...)
	testkit.Eventually(t, "the Node_init failure", 30*time.Second, func() bool {
		return bytes.Contains(second.Out.Bytes(), []byte(`Exception in thread "main" com.alibaba.otter.shared.arbitrate.exception.ArbitrateException: Node_init:7`))
	}, second.Out.Bytes)
	second.FailIfExited(t) // a zombie, as 4.2.18's JVM stays up with its ports open
	if n := strings.Count(readFile(t, log), NodeRunning); n != 1 {
		t.Errorf("%d running lines, want only the first JVM's", n)
	}

	if code := first.Stop(t, 30*time.Second); code != 143 && code != 0 {
		t.Errorf("first JVM exit %d", code)
	}
	ok, _, err = zk.Exists("/otter/node/7")
	if err != nil || ok {
		t.Errorf("after TERM /otter/node/7 exists %v (%v); the shutdown hook should delete it", ok, err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
