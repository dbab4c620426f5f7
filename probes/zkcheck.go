package probes

import "context"

// ZNodeSource is what a ZooKeeper registration check asks: Path names the
// node (/otter/node/{nid}); Ready is nil when it exists and is owned by the
// JVM's session. otterzk.Rejoin is one.
type ZNodeSource interface {
	Path() string
	Ready(ctx context.Context) error
}

// NewZNodeCheck is ready when src says the node is registered by the JVM:
// what Otter's manager shows as "started".
func NewZNodeCheck(src ZNodeSource) Check { return zNodeCheck{src} }

type zNodeCheck struct{ src ZNodeSource }

func (c zNodeCheck) Name() string { return "zookeeper:" + c.src.Path() }

func (c zNodeCheck) Check(ctx context.Context) error { return c.src.Ready(ctx) }
