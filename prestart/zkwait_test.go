package prestart

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/testkit"
)

func TestWaitForAZooKeeperSession(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	targets, err := otter.ZooKeeperTargets(z.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := WaitForChecks(context.Background(), targets, nil, 30*time.Second, zaptest.NewLogger(t), time.Now); err != nil {
		t.Fatalf("WaitFor(%q) = %v", targets, err)
	}
}

func TestWaitForZooKeeperTimesOutWithTheReason(t *testing.T) {
	closed := testkit.FreePorts(t, 1)[0]
	targets, err := otter.ZooKeeperTargets("127.0.0.1:" + strconv.Itoa(closed))
	if err != nil {
		t.Fatal(err)
	}
	err = WaitForChecks(context.Background(), targets, nil, 800*time.Millisecond, zaptest.NewLogger(t), time.Now)
	if exit.Code(err) != exit.Unavailable {
		t.Fatalf("WaitFor = %v (code %d), want 69", err, exit.Code(err))
	}
	for _, want := range []string{"zookeeper://127.0.0.1:" + strconv.Itoa(closed), "no ZooKeeper session", "connection refused", "ENTRYPOINT_WAIT_TIMEOUT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}
