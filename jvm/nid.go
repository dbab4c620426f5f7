package jvm

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/safefile"
	"path/filepath"
	"strconv"
	"strings"
)

// ConfNid is the nid file of images built the seed's way,
// $OTTER_HOME/conf/nid (startup.sh ran java with -Dnid=$(cat conf/nid)):
// what ReadConfNid found there.
type ConfNid struct {
	Path    string // the file
	Found   bool   // it exists (Content or Err says what it holds)
	Content string // at most maxConfNid bytes
	Err     error  // it exists but cannot be read as a nid file
}

// maxConfNid bounds the nid file: a number and a newline fit many times.
const maxConfNid = 64

// ReadConfNid reads $OTTER_HOME/conf/nid. A missing file is not Found; one
// that is not a regular file, cannot be read or is longer than 64 bytes is
// Found with Err set (Nid reports it only when it needs the file). It never
// blocks on a FIFO.
func ReadConfNid(otterHome string) ConfNid {
	c := ConfNid{Path: filepath.Join(otterHome, "conf", "nid")}
	b, err := safefile.ReadFile(c.Path, maxConfNid)
	var tooLarge *safefile.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c
	case errors.As(err, &tooLarge):
		c.Err = fmt.Errorf("longer than %d bytes; it must hold only the node's id", maxConfNid)
	case err != nil:
		c.Err = errors.New(safefile.Describe(err))
	default:
		c.Content = string(b)
	}
	c.Found = true
	return c
}

// Nid is the node's id: OTTER_NID (a positive integer) or, when it is unset,
// the trailing ordinal of the host name (a StatefulSet pod otter-node-3 has
// ordinal 3; the first label of a dotted name is used) plus OTTER_NID_OFFSET
// (default 1, since Otter's ids start at 1 and ordinals at 0), or, when the
// host name has no ordinal either, the nid file conf (ReadConfNid). None
// of them, or a malformed one, is an *exit.Error with code 78 that names
// it and says how to set the id.
func Nid(getenv func(string) (string, bool), hostname string, conf ConfNid) (int, error) {
	if v, ok := getenv("OTTER_NID"); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return 0, exit.ConfigError(fmt.Sprintf("OTTER_NID=%q (environment): want a positive integer, the id the node has in the manager's machine list", v))
		}
		return n, nil
	}
	offset := 1
	if v, ok := getenv("OTTER_NID_OFFSET"); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return 0, exit.ConfigError(fmt.Sprintf("OTTER_NID_OFFSET=%q (environment): want an integer ≥ 0 added to the host name's ordinal (default 1)", v))
		}
		offset = n
	}
	ord, ok := HostOrdinal(hostname)
	if !ok && conf.Found {
		return confNid(conf)
	}
	if !ok {
		return 0, exit.ConfigError(fmt.Sprintf(
			"no node id: OTTER_NID is unset, the host name %q does not end in -<ordinal> and there is no %s; set OTTER_NID to the node's id in the manager's machine list, or run the node as a StatefulSet pod (otter-node-0 → nid 1 with the default OTTER_NID_OFFSET=1)", hostname, conf.Path))
	}
	nid := ord + offset
	if nid < 1 {
		return 0, exit.ConfigError(fmt.Sprintf("OTTER_NID_OFFSET=%d (environment) with host name %q gives nid %d; node ids start at 1, so use an offset ≥ 1 or set OTTER_NID", offset, hostname, nid))
	}
	return nid, nil
}

// confNid is the id in the nid file, which holds a positive integer and
// optional surrounding white space (startup.sh's $(cat) dropped newlines).
func confNid(c ConfNid) (int, error) {
	if c.Err != nil {
		return 0, exit.ConfigError(fmt.Sprintf("nid file %s (used because OTTER_NID is unset and the host name has no ordinal): %v; write the node's id into it, or set OTTER_NID", c.Path, c.Err))
	}
	v := strings.TrimSpace(c.Content)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, exit.ConfigError(fmt.Sprintf("nid file %s (used because OTTER_NID is unset and the host name has no ordinal) holds %q: want a positive integer, the id the node has in the manager's machine list; fix the file or set OTTER_NID", c.Path, v))
	}
	return n, nil
}

// HostOrdinal returns the trailing "-<digits>" of a host name's first label
// ("otter-node-3" → 3, "otter-node-3.otter-node.ns.svc" → 3).
func HostOrdinal(hostname string) (int, bool) {
	label, _, _ := strings.Cut(strings.TrimSpace(hostname), ".")
	i := strings.LastIndexByte(label, '-')
	if i < 0 || i == len(label)-1 {
		return 0, false
	}
	digits := label[i+1:]
	if len(digits) > 9 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// AdvertiseHost is the address other pods reach the node's JMX/RMI at:
// OTTER_ADVERTISE_HOST when set, else DefaultAdvertiseHost(). "" when
// neither gives one (Build then leaves java.rmi.server.hostname unset).
func AdvertiseHost(getenv func(string) (string, bool)) (string, error) {
	if v, ok := getenv("OTTER_ADVERTISE_HOST"); ok && v != "" {
		v = strings.TrimSpace(v)
		if v == "" || strings.ContainsAny(v, " \t\n/") {
			return "", exit.ConfigError(fmt.Sprintf("OTTER_ADVERTISE_HOST=%q (environment): want a host name or IP address other pods reach this node at (e.g. the pod IP from the downward API)", v))
		}
		return v, nil
	}
	return DefaultAdvertiseHost(), nil
}

// DefaultAdvertiseHost returns the host's first non-loopback IPv4 address
// (else IPv6), the address a pod's IP is, or "".
func DefaultAdvertiseHost() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	return pickAddress(addrs)
}

func pickAddress(addrs []net.Addr) string {
	var v6 string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() || ipn.IP.IsUnspecified() || ipn.IP.IsMulticast() {
			continue
		}
		if ip4 := ipn.IP.To4(); ip4 != nil {
			return ip4.String()
		}
		if v6 == "" {
			v6 = ipn.IP.String()
		}
	}
	return v6
}
