package otter

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"

	"otter-entrypoint/internal/netcheck"
)

// ZooKeeperScheme marks a dependency target that is waited for by
// establishing a ZooKeeper session, not by a TCP connect:
// "zookeeper://" followed by the connect string as Otter reads it.
const ZooKeeperScheme = "zookeeper://"

// ZooKeeperTargets turns otter.zookeeper.cluster.default (host:port
// separated by "," or ";", an optional /chroot) into one zookeeper://
// target: ready once a session with the ensemble is established.
func ZooKeeperTargets(list string) ([]string, error) {
	cs, err := ParseConnectString(list)
	if err != nil {
		return nil, err
	}
	return []string{ZooKeeperScheme + cs.String()}, nil
}

// DefaultPort is ZooKeeper's client port, used for a server given without one.
const DefaultPort = "2181"

// ConnectString is a parsed ZooKeeper connect string.
type ConnectString struct {
	Servers []string // host:port, IPv6 hosts in brackets
	Chroot  string   // "" or a path such as /otter-prod, prefixed to every path
}

// String is the connect string in ZooKeeper's own form.
func (c ConnectString) String() string { return strings.Join(c.Servers, ",") + c.Chroot }

// Path is p under the chroot.
func (c ConnectString) Path(p string) string { return c.Chroot + p }

// ParseConnectString parses a connect string as Otter's ZooKeeper client
// takes it (otter.zookeeper.cluster.default, a cluster's SERVER_LIST joined
// with ","): host:port separated by "," (";" is accepted too), an optional
// chroot starting at the first "/" ("zk-0:2181,zk-1:2181/otter"); a server
// without a port gets 2181, as ZooKeeper's own parser does.
func ParseConnectString(s string) (ConnectString, error) {
	var c ConnectString
	s = strings.TrimSpace(s)
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, c.Chroot = s[:i], s[i:]
		if c.Chroot == "/" {
			c.Chroot = ""
		}
		if err := validChroot(c.Chroot); err != nil {
			return ConnectString{}, fmt.Errorf("%q: chroot %q: %v", s, c.Chroot, err)
		}
	}
	for _, item := range strings.FieldsFunc(hosts, func(r rune) bool { return r == ',' || r == ';' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(item); err != nil {
			// No port: ZooKeeper's default. An IPv6 address must be in
			// brackets either way.
			if strings.Count(item, ":") > 1 && !strings.HasPrefix(item, "[") {
				return ConnectString{}, fmt.Errorf("%q: IPv6 server %q must be in brackets, e.g. [%s]:2181", s, item, item)
			}
			if strings.HasPrefix(item, "[") && strings.HasSuffix(item, "]") {
				item = item[1 : len(item)-1]
			}
			item = net.JoinHostPort(item, DefaultPort)
		}
		hp, err := netcheck.ParseHostPort(item)
		if err != nil {
			return ConnectString{}, fmt.Errorf("%q: %v", s, err)
		}
		host, _, _ := net.SplitHostPort(hp)
		if i := strings.IndexFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '[' || r == ']' }); i >= 0 {
			return ConnectString{}, fmt.Errorf("%q: server %q: character %q not allowed in a host name", s, item, host[i])
		}
		c.Servers = append(c.Servers, hp)
	}
	if len(c.Servers) == 0 {
		return ConnectString{}, fmt.Errorf("%q names no ZooKeeper server", s)
	}
	return c, nil
}

// validChroot checks a chroot the way ZooKeeper checks a path.
func validChroot(p string) error {
	if p == "" {
		return nil
	}
	if strings.HasSuffix(p, "/") {
		return errors.New("must not end with /")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch {
		case seg == "":
			return errors.New("empty path segment")
		case seg == "." || seg == "..":
			return errors.New("relative path segment")
		}
		for _, r := range seg {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff) || r == utf8.RuneError {
				return fmt.Errorf("character %U not allowed", r)
			}
		}
	}
	return nil
}

// ServerListConnectString is the connect string an Otter node builds from
// its cluster's AUTOKEEPER_CLUSTER.SERVER_LIST (a JSON array of host:port):
// ArbitrateConfigUtils.getServerAddrs joins the entries with ",".
func ServerListConnectString(serverList []string) string { return strings.Join(serverList, ",") }
