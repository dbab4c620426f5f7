package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/otterzk"
	"otter-entrypoint/prestart"
	"otter-entrypoint/probes"
)

// zkSettings are the node's ZooKeeper settings: where its cluster is when
// the node does not register itself, and how long a stale registration is
// waited for.
type zkSettings struct {
	Servers   string        `env:"OTTER_ZK_SERVERS"`
	StaleWait time.Duration `env:"OTTER_ZK_STALE_WAIT" envDefault:"120s"`
}

func (s *zkSettings) validate() []string {
	var p []string
	if strings.TrimSpace(s.Servers) != "" {
		if _, err := otter.ParseConnectString(s.Servers); err != nil {
			p = append(p, fmt.Sprintf("OTTER_ZK_SERVERS: %v; use the node's ZooKeeper cluster as host:port[,host:port...][/chroot], the servers of its cluster in the manager", err))
		}
	}
	if s.StaleWait < 0 {
		p = append(p, fmt.Sprintf("OTTER_ZK_STALE_WAIT=%q: must not be negative; use a duration such as 120s (longer than ZooKeeper's session timeout)", s.StaleWait))
	}
	return p
}

// newRejoin is the node's stale-registration check, or nil when no
// ZooKeeper servers are known: the node neither registers itself (its
// cluster's servers then come from AUTOKEEPER_CLUSTER) nor has
// OTTER_ZK_SERVERS.
func newRejoin(role otter.Role, s otterSettings, log *zap.Logger) *otterzk.Rejoin {
	if role != otter.Node || (strings.TrimSpace(s.zk.Servers) == "" && !s.db.register.On()) {
		return nil
	}
	return otterzk.New(otterzk.Config{Nid: s.nid, StaleWait: s.zk.StaleWait, ConnectTimeout: s.launch.WaitTimeout,
		RecordDir: s.render.RenderDir, Log: log})
}

// rejoinStep clears a stale /otter/node/{nid} with the servers servers()
// returns: the last step before java.
func rejoinStep(r *otterzk.Rejoin, servers func() string) prestart.Step {
	return prestart.Step{Name: "clear a stale ZooKeeper registration", Run: func(ctx context.Context) error {
		return r.Prepare(ctx, servers())
	}}
}

// withZNodeCheck adds "/otter/node/{nid} is the JVM's" to the node's
// default readiness check.
func withZNodeCheck(check probes.Check, r *otterzk.Rejoin) probes.Check {
	if r == nil {
		return check
	}
	return probes.AllOf(check, probes.NewZNodeCheck(r))
}
