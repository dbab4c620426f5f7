// Package otter holds what the entrypoint knows about Alibaba Otter's two
// roles, each fact once: main classes, where a release is unpacked, its
// main log, the directories it writes, how it is judged ready, which keys
// of otter.properties name its dependencies, and how those keys' values
// (a JDBC URL, a ZooKeeper connect string) turn into addresses. Every other
// package asks here instead of spelling a path or a class name itself.
package otter

import (
	"path/filepath"
)

// Role is one of Otter's two programs.
type Role string

// Otter's roles: the manager (the web console) and a node (a sync worker).
const (
	Manager Role = "manager"
	Node    Role = "node"
)

// ParseRole returns the role named s.
func ParseRole(s string) (Role, bool) {
	switch Role(s) {
	case Manager, Node:
		return Role(s), true
	}
	return "", false
}

func (r Role) String() string { return string(r) }

// MainClass is the class startup.sh runs.
func (r Role) MainClass() string {
	if r == Node {
		return "com.alibaba.otter.node.deployer.OtterLauncher"
	}
	return "com.alibaba.otter.manager.deployer.OtterManagerLauncher"
}

// DefaultHome is where the images unpack the release (OTTER_HOME's default).
func (r Role) DefaultHome() string { return "/home/admin/" + string(r) }

// MainLogRel is the role's main log relative to OTTER_HOME: where Otter's
// logback writes and where startup.sh also sent java's stdout and stderr.
func (r Role) MainLogRel() string {
	if r == Node {
		return "logs/node/node.log"
	}
	return "logs/manager.log"
}

// MainLog is the role's main log under home.
func (r Role) MainLog(home string) string { return filepath.Join(home, r.MainLogRel()) }

// Dirs are the directories the role writes under home, plus logs/gc for the
// GC log the entrypoint adds.
func (r Role) Dirs(home string) []string {
	d := []string{filepath.Join(home, "logs"), filepath.Join(home, "logs", "gc")}
	if r == Node {
		d = append(d, filepath.Join(home, "logs", "node"), filepath.Join(home, "htdocs"), filepath.Join(home, "download"))
	}
	return d
}

// Log lines Otter writes to the main log once it runs.
const (
	ManagerRunningText = "the manager server is running now"
	NodeRunningText    = "the otter server is running now"
)

// DefaultManagerPort is otter.port's default: the manager's web port.
const DefaultManagerPort = "8080"

// DefaultManagerCommPort is otter.communication.manager.port's default:
// the manager's Dubbo port, which the nodes call.
const DefaultManagerCommPort = "1099"

// DefaultReadyCheck is ENTRYPOINT_READY_CHECK's default: the manager's
// monitor page (Jetty answers 503 there while the web app is broken, so a
// TCP check would lie), and the node's "running" line in its main log.
// managerPort is the manager's otter.port ("": the default).
func (r Role) DefaultReadyCheck(home, managerPort string) string {
	if r == Node {
		return "log:" + r.MainLog(home) + ":" + NodeRunningText
	}
	if managerPort == "" {
		managerPort = DefaultManagerPort
	}
	return "http://127.0.0.1:" + managerPort + "/monitor/ok.htm"
}

// Keys of otter.properties the entrypoint reads.
const (
	KeyDBURL       = "otter.database.driver.url"
	KeyZooKeeper   = "otter.zookeeper.cluster.default"
	KeyManagerAddr = "otter.manager.address"
	KeyPort        = "otter.port"
	// KeyManagerCommPort is the manager's Dubbo port (DefaultManagerCommPort).
	KeyManagerCommPort = "otter.communication.manager.port"
)

// Dependency is a key of otter.properties that names something the role
// needs before it can start, and how its value becomes addresses.
type Dependency struct {
	Key     string
	Targets func(value string) ([]string, error) // tcp://host:port targets, or zookeeper:// (a session)
}

// Dependencies are what the role waits for by default: the manager's
// MySQL and ZooKeeper, the node's manager.
func (r Role) Dependencies() []Dependency {
	if r == Node {
		return []Dependency{{KeyManagerAddr, HostPortTargets}}
	}
	return []Dependency{{KeyDBURL, MySQLTargets}, {KeyZooKeeper, ZooKeeperTargets}}
}
