package testkit

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
)

// SyncBuffer is a bytes.Buffer that a process's writer goroutine and the
// test may use at the same time.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Bytes returns a copy of what was written so far.
func (s *SyncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Otter's startup.sh JAVA_OPTS (its 64-bit and 32-bit branches, and the
// debug mode's flags), as users paste them into JAVA_OPTIONS.
const (
	StartupSh64 = `-server -Xms2048m -Xmx3072m -Xmn1024m -XX:SurvivorRatio=2 -XX:PermSize=96m -XX:MaxPermSize=256m -Xss256k -XX:-UseAdaptiveSizePolicy -XX:MaxTenuringThreshold=15 -XX:+DisableExplicitGC -XX:+UseConcMarkSweepGC -XX:+CMSParallelRemarkEnabled -XX:+UseCMSCompactAtFullCollection -XX:+UseFastAccessorMethods -XX:+UseCMSInitiatingOccupancyOnly -XX:+HeapDumpOnOutOfMemoryError -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true -Dfile.encoding=UTF-8`
	StartupSh32 = `-server -Xms1024m -Xmx1024m -XX:NewSize=256m -XX:MaxNewSize=256m -XX:MaxPermSize=128m  -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true -Dfile.encoding=UTF-8`
	// The debug mode's flags, with the port bound to 127.0.0.1 (tests listen on nothing else).
	StartupShDebug = `-Xdebug -Xnoagent -Djava.compiler=NONE -Xrunjdwp:transport=dt_socket,address=127.0.0.1:0,server=y,suspend=n`
)

// MissingTool ends a test that needs something this machine lacks: under
// CI (CI set, as .ci/run does, which installs every tool the tests use) it
// fails, so a missing install step cannot pass unnoticed; elsewhere it
// skips with a loud reason.
func MissingTool(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must run this test, but: %s", msg)
	}
	t.Skipf("SKIPPED LOUDLY: %s", msg)
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1 (all held open
// until every one is chosen, so the kernel cannot hand out one twice).
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// FileContains reports whether the file at path holds text.
func FileContains(path, text string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, []byte(text))
}
