package propsfile

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// otterPrefix starts the upper-snake form of a property name.
const otterPrefix = "OTTER_"

// newKeyPrefix starts the keys an exact-name variable may add.
const newKeyPrefix = "otter."

// fileSuffix marks a variable that names a file holding the value.
const fileSuffix = "_FILE"

// matchKind says how a variable name relates to the properties.
type matchKind uint8

const (
	notProperty matchKind = iota // not a property variable (PATH, HOME, ...); ignored silently
	reserved                     // an entrypoint setting
	serviceLink                  // injected by Kubernetes for a Service
	exactKey                     // named exactly like a known key
	newKey                       // named like a new "otter." key
	snakeKey                     // OTTER_<NAME> matching one known key
	noMatch                      // OTTER_<NAME> matching no known key
	ambiguous                    // OTTER_<NAME> matching several known keys
)

// keyIndex answers which known key (from the base file and the config
// directory) a variable name designates. Result.keyIndex builds it.
type keyIndex struct {
	keys  []string       // every known key, in file order, no duplicates
	exact map[string]int // each key of keys and its place there
}

// snakeKeys returns the known keys equal to name in canonical form, sorted.
// Folding keeps the length, so only keys as long as name are compared, and
// nothing is allocated for a name that matches nothing.
func (ix *keyIndex) snakeKeys(name string) []string {
	var ks []string
	for _, k := range ix.keys {
		if len(k) == len(name) && sameCanonical(k, name) {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// sameCanonical reports canonical(a) == canonical(b) for equal lengths.
func sameCanonical(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if foldByte(a[i]) != foldByte(b[i]) {
			return false
		}
	}
	return true
}

func foldByte(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A'
	case c == '.' || c == '-':
		return '_'
	}
	return c
}

// canonical folds a key or variable name for the OTTER_<NAME> match: ASCII
// letters are lowercased and '.', '-' and '_' all become '_'.
func canonical(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = foldByte(s[i])
	}
	return string(b)
}

// isNewKeyName reports whether a variable may add a key nobody defined yet:
// it starts with "otter." and is printable ASCII without blanks.
func isNewKeyName(name string) bool {
	if len(name) <= len(newKeyPrefix) || !strings.HasPrefix(name, newKeyPrefix) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] > '~' {
			return false
		}
	}
	return true
}

// match classifies the variable name (with its value, for the Kubernetes
// service variables) and returns the keys it designates: one for exactKey,
// newKey and snakeKey, the candidates for ambiguous.
func (ix *keyIndex) match(name, value string, reservedNames map[string]struct{}, env map[string]string) (matchKind, []string) {
	if _, ok := reservedNames[name]; ok {
		return reserved, nil
	}
	if _, ok := ix.exact[name]; ok {
		return exactKey, []string{name}
	}
	if isNewKeyName(name) {
		return newKey, []string{name}
	}
	if !strings.HasPrefix(name, otterPrefix) || len(name) == len(otterPrefix) {
		return notProperty, nil
	}
	if isServiceLink(name, value, env) {
		return serviceLink, nil
	}
	switch ks := ix.snakeKeys(name); len(ks) {
	case 0:
		return noMatch, nil
	case 1:
		return snakeKey, ks
	default:
		return ambiguous, ks
	}
}

// closest returns up to three known keys nearest to the variable name, for
// the warning about an OTTER_<NAME> that matches nothing.
func (ix *keyIndex) closest(name string) []string {
	c := canonical(name)
	type cand struct {
		key  string
		dist int
	}
	var cs []cand
	limit := max(2, len(c)/5)
	for _, k := range ix.keys {
		if d := editDistance(c, canonical(k), limit); d <= limit {
			cs = append(cs, cand{k, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].dist != cs[j].dist {
			return cs[i].dist < cs[j].dist
		}
		return cs[i].key < cs[j].key
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].key)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, or limit+1 when it
// is certainly larger than limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// isServiceLink recognises the variables the kubelet injects for every
// Service of the namespace, by name and value together:
//
//	<SVC>_SERVICE_HOST=10.0.0.7
//	<SVC>_SERVICE_PORT=8080 and <SVC>_SERVICE_PORT_<PORTNAME>=8080 (with <SVC>_SERVICE_HOST set)
//	<SVC>_PORT=tcp://10.0.0.7:8080
//	<SVC>_PORT_8080_TCP=tcp://10.0.0.7:8080
//	<SVC>_PORT_8080_TCP_PROTO=tcp, ..._PORT=8080, ..._ADDR=10.0.0.7
//
// so that OTTER_PORT=tcp://10.0.0.7:8080 (a Service named "otter") is
// ignored while OTTER_PORT=8081 still sets otter.port.
func isServiceLink(name, value string, env map[string]string) bool {
	if svc, ok := strings.CutSuffix(name, "_SERVICE_HOST"); ok && svc != "" {
		return isIP(value)
	}
	if i := strings.LastIndex(name, "_SERVICE_PORT"); i > 0 {
		rest := name[i+len("_SERVICE_PORT"):]
		if rest == "" || (len(rest) > 1 && rest[0] == '_') {
			return isPort(value) && isIP(env[name[:i]+"_SERVICE_HOST"])
		}
	}
	if svc, ok := strings.CutSuffix(name, "_PORT"); ok && svc != "" {
		if _, _, ok := parseServiceURL(value); ok {
			return true
		}
	}
	// <SVC>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]
	parts := strings.Split(name, "_")
	for i := len(parts) - 3; i >= 1; i-- {
		if parts[i] != "PORT" || !isPort(parts[i+1]) || !isProto(parts[i+2]) {
			continue
		}
		port, proto := parts[i+1], strings.ToLower(parts[i+2])
		switch strings.Join(parts[i+3:], "_") {
		case "":
			p, pr, ok := parseServiceURL(value)
			return ok && p == port && pr == proto
		case "PROTO":
			return value == proto
		case "PORT":
			return value == port
		case "ADDR":
			return isIP(value)
		}
		return false
	}
	return false
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func isPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == s
}

func isProto(s string) bool { return s == "TCP" || s == "UDP" || s == "SCTP" }

// parseServiceURL splits "tcp://10.0.0.7:8080" (or "tcp://[fd00::1]:8080").
func parseServiceURL(s string) (port, proto string, ok bool) {
	proto, rest, found := strings.Cut(s, "://")
	if !found || !isProto(strings.ToUpper(proto)) || proto != strings.ToLower(proto) {
		return "", "", false
	}
	ap, err := netip.ParseAddrPort(rest)
	if err != nil || ap.Port() == 0 {
		return "", "", false
	}
	return strconv.Itoa(int(ap.Port())), proto, true
}
