package prestart

import (
	"context"
	"strings"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/otterzk"
)

// zkWaitSessionTimeout is what a wait's short-lived session requests.
const zkWaitSessionTimeout = 10 * time.Second

// newZooKeeperProbe waits for a zookeeper:// target (otter.ZooKeeperTargets):
// one try succeeds once a session with the ensemble is established and
// closes it at once. A failed try says why in words (refused, unresolved,
// connected but no session). The client's own log goes to log at debug
// level.
func newZooKeeperProbe(target string, log *zap.Logger) (waitProbe, error) {
	cs, err := otter.ParseConnectString(strings.TrimPrefix(target, otter.ZooKeeperScheme))
	if err != nil {
		return waitProbe{}, exit.ConfigError("otter.zookeeper.cluster.default: " + err.Error() + "; use host:port[,host:port...] or set ENTRYPOINT_WAIT_FOR")
	}
	return waitProbe{name: target, try: func(ctx context.Context) error {
		s, err := otterzk.TryConnect(ctx, cs, zkWaitSessionTimeout, log)
		if err != nil {
			return err
		}
		s.Close()
		return nil
	}}, nil
}
