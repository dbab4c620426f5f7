package otter

import (
	"fmt"
	"net"
	"strings"

	"otter-entrypoint/internal/netcheck"
	"otter-entrypoint/internal/secret"
)

// HostPortTargets turns a list of host:port separated by "," or ";" (for
// example otter.zookeeper.cluster.default, or a ZooKeeper connect string
// with a trailing /chroot) into tcp:// targets.
func HostPortTargets(list string) ([]string, error) {
	var out []string
	for _, item := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ';' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		// A ZooKeeper chroot ("zk:2181/otter") ends the connect string.
		if i := strings.IndexByte(item, '/'); i >= 0 {
			item = item[:i]
		}
		t, err := tcpTarget(item)
		if err != nil {
			return nil, fmt.Errorf("%q: %v; want host:port separated by , or ;", list, err)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no host:port", list)
	}
	return out, nil
}

// MySQLTargets returns a tcp:// target for every host of a MySQL (or
// MariaDB) JDBC URL: jdbc:mysql://db:3306/otter?useUnicode=true gives
// tcp://db:3306; the port defaults to 3306; several hosts
// (jdbc:mysql://a:3306,b:3307/db, jdbc:mysql:replication://...,
// address=(host=a)(port=3306)) give several targets. Errors never contain
// the URL's query or credentials.
func MySQLTargets(jdbcURL string) ([]string, error) {
	s := strings.TrimSpace(jdbcURL)
	lower := strings.ToLower(s)
	var rest string
	for _, p := range []string{"jdbc:mysql:", "jdbc:mariadb:"} {
		if strings.HasPrefix(lower, p) {
			rest = s[len(p):]
			break
		}
	}
	i := strings.Index(rest, "//")
	if i < 0 || strings.Contains(rest[:i], "/") {
		return nil, fmt.Errorf("%q is not a jdbc:mysql:// or jdbc:mariadb:// URL", secret.RedactURL(s))
	}
	hosts := AfterUserInfo(rest[i+2:])
	if j := strings.IndexAny(hosts, "/?"); j >= 0 {
		hosts = hosts[:j]
	}
	var out []string
	for _, h := range splitHosts(hosts) {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		t, err := mysqlHost(h)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", secret.RedactURL(s), err)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no host", secret.RedactURL(s))
	}
	return out, nil
}

// splitHosts splits at commas outside parentheses and brackets.
func splitHosts(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[':
			depth++
		case ')', ']':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func mysqlHost(h string) (string, error) {
	var host, port string
	switch {
	case strings.HasPrefix(strings.ToLower(h), "address="):
		// address=(host=a)(port=3306)(key=value)...
		for _, part := range strings.Split(h[len("address="):], "(") {
			part = strings.TrimSuffix(strings.TrimSpace(part), ")")
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "host":
				host = strings.TrimSpace(v)
			case "port":
				port = strings.TrimSpace(v)
			}
		}
	case strings.HasPrefix(h, "("):
		return mysqlHost("address=" + h)
	case strings.HasPrefix(h, "["):
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", fmt.Errorf("unclosed [ in host %q", h)
		}
		host = h[1:end]
		if r := h[end+1:]; r != "" {
			if !strings.HasPrefix(r, ":") {
				return "", fmt.Errorf("bad host %q", h)
			}
			port = r[1:]
		}
	case strings.Count(h, ":") > 1:
		return "", fmt.Errorf("IPv6 host %q must be in brackets", h)
	default:
		host, port, _ = strings.Cut(h, ":")
	}
	if port == "" {
		port = "3306"
	}
	if host == "" {
		return "", fmt.Errorf("empty host in %q", h)
	}
	return tcpTarget(net.JoinHostPort(host, port))
}

// AfterUserInfo is what follows a JDBC URL's user:password@ (given the
// text after "//"): its hosts, database and query. The user info ends at
// the last @ before the query, so that a password holding an unescaped @
// or / is never taken for a host or a database.
func AfterUserInfo(s string) string {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		q = len(s)
	}
	if k := strings.LastIndexByte(s[:q], '@'); k >= 0 {
		return s[k+1:]
	}
	return s
}

// tcpTarget checks host:port and returns it as a tcp:// target.
func tcpTarget(hostPort string) (string, error) {
	hp, err := netcheck.ParseHostPort(hostPort)
	if err != nil {
		return "", err
	}
	return "tcp://" + hp, nil
}
