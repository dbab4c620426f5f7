package propsfile

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// Keys the checks refer to.
const (
	keyDBURL         = "otter.database.driver.url"
	keyDBUser        = "otter.database.driver.username"
	keyDBPassword    = "otter.database.driver.password"
	keyZooKeeper     = "otter.zookeeper.cluster.default"
	keyPort          = "otter.port"
	keyManagerPort   = "otter.communication.manager.port"
	keyManagerAddr   = "otter.manager.address"
	shippedPassword  = "hello" // Otter's default in the manager's conf/otter.properties
	maxJavaInt       = 1<<31 - 1
	placeholderDepth = 32
)

// requiredKeys are the keys each role cannot start without.
func requiredKeys(role string) []string {
	if role == "manager" {
		return []string{keyDBURL, keyDBUser, keyZooKeeper, keyPort, keyManagerPort}
	}
	return []string{keyManagerAddr}
}

// validate checks the merged result for its role and returns every problem:
// required keys present and not empty; ports integers from 1 to 65535;
// timeouts, sizes and intervals positive integers; ZooKeeper and manager
// addresses lists of host:port. Values with ${...} placeholders are checked
// after resolving those that refer to other keys; a value with a
// placeholder only Spring can resolve (such as ${user.dir}) is not checked.
func validate(r *Result, log *zap.Logger) problems {
	var probs problems
	for _, k := range requiredKeys(r.role) {
		i, ok := r.index[k]
		if !ok {
			probs.add("%s is missing: the %s needs it; set it in the base file, in a file in OTTER_CONFIG_DIR, or with the variable %s or %s",
				k, r.role, k, snakeName(k))
			continue
		}
		if e := r.entries[i]; strings.TrimSpace(e.Value) == "" {
			probs.add("%s is empty (from %s): the %s needs a value", k, e.Source, r.role)
		}
	}
	for _, e := range r.entries {
		if !strings.HasPrefix(e.Key, newKeyPrefix) || strings.TrimSpace(e.Value) == "" {
			continue
		}
		check, hint := checkerFor(e.Key)
		if check == nil {
			continue
		}
		v, secret, ok := r.resolve(e.Value)
		if !ok {
			log.Debug("value has placeholders only Spring can resolve; not checked", zap.String("key", e.Key))
			continue
		}
		if strings.ContainsAny(v, "\r\n") {
			// Checked as written: Otter would not strip it.
			probs.add("%s=%s (from %s): contains a line break (\\n or \\r in a .properties file), which Otter would read as part of the value; remove it",
				e.Key, quoteShown(e), e.Source)
			continue
		}
		err := check(strings.TrimSpace(v))
		switch {
		case err == nil:
		case e.Secret || secret:
			// The checker's message may quote part of the value.
			probs.add("%s=%s (from %s): %s", e.Key, Mask, e.Source, hint)
		case v != e.Value:
			probs.add("%s=%s (from %s) resolves to %q: %v", e.Key, quoteShown(e), e.Source, v, err)
		default:
			probs.add("%s=%s (from %s): %v", e.Key, quoteShown(e), e.Source, err)
		}
	}
	if i, ok := r.index[keyDBPassword]; ok && r.role == "manager" && r.entries[i].Value == shippedPassword {
		log.Warn("the manager's database password is still Otter's shipped default; set it with OTTER_DATABASE_DRIVER_PASSWORD_FILE",
			zap.String("key", keyDBPassword), zap.String("source", r.entries[i].Source.String()))
	}
	return probs
}

// quoteShown quotes a value for a problem message, masked when secret.
func quoteShown(e Entry) string {
	if e.Secret {
		return Mask
	}
	return strconv.Quote(e.Value)
}

// snakeName is the OTTER_<NAME> variable that sets key.
func snakeName(key string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// checkerFor returns the format check of a key and a description of what
// it accepts, or nil.
func checkerFor(key string) (func(string) error, string) {
	const hostPorts = "not a list of host:port entries separated by , or ;"
	last := strings.ToLower(key[strings.LastIndexByte(key, '.')+1:])
	switch {
	case key == keyZooKeeper:
		return func(v string) error { return checkHostPorts(v, true) }, hostPorts
	case key == keyManagerAddr:
		return func(v string) error { return checkHostPorts(v, false) }, hostPorts
	case last == "port":
		return checkPort, "not a port number; use an integer from 1 to 65535"
	case strings.HasSuffix(last, "timeout") || last == "size" || last == "payload" || last == "interval":
		return checkPositive, fmt.Sprintf("not a positive integer; use a whole number from 1 to %d", maxJavaInt)
	}
	return nil, ""
}

func checkPort(v string) error {
	if !isPort(v) {
		return fmt.Errorf("not a port number; use an integer from 1 to 65535")
	}
	return nil
}

func checkPositive(v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > maxJavaInt {
		return fmt.Errorf("not a positive integer; use a whole number from 1 to %d", maxJavaInt)
	}
	return nil
}

// checkHostPorts checks a list of host:port separated by ',' or ';'. With
// chroot, the last entry may end in a ZooKeeper chroot path ("/otter").
func checkHostPorts(v string, chroot bool) error {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' })
	if n := strings.Count(v, ",") + strings.Count(v, ";") + 1; len(parts) != n {
		return fmt.Errorf("has an empty entry; use host:port entries separated by , or ; (e.g. zk-0:2181,zk-1:2181)")
	}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if chroot && i == len(parts)-1 {
			if j := strings.IndexByte(p, '/'); j > 0 {
				p = p[:j]
			}
		}
		if p == "" {
			return fmt.Errorf("has an empty entry; use host:port entries separated by , or ; (e.g. zk-0:2181,zk-1:2181)")
		}
		host, port, err := net.SplitHostPort(p)
		if err != nil || host == "" || strings.ContainsAny(host, " \t/") {
			return fmt.Errorf("entry %q is not host:port; use host:port entries separated by , or ;", p)
		}
		if !isPort(port) {
			return fmt.Errorf("entry %q has no valid port; ports are integers from 1 to 65535", p)
		}
	}
	return nil
}

// resolve expands ${key} and ${key:default} placeholders that refer to
// other keys of the result, innermost first, the way Otter's Spring will.
// secret reports that a secret value was filled in. ok is false when a
// placeholder refers to something only Spring knows (a system property such
// as user.dir) or does not end.
func (r *Result) resolve(v string) (resolved string, secret, ok bool) {
	for range placeholderDepth {
		i := strings.LastIndex(v, "${")
		if i < 0 {
			return v, secret, true
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			return v, secret, false
		}
		name, def, hasDef := strings.Cut(v[i+2:i+j], ":")
		val := def
		if k, found := r.index[name]; found {
			val = r.entries[k].Value
			secret = secret || r.entries[k].Secret
		} else if !hasDef {
			return v, secret, false
		}
		v = v[:i] + val + v[i+j+1:]
	}
	return v, secret, false
}
