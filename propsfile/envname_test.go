package propsfile

import (
	"reflect"
	"testing"
)

// newKeyIndex indexes keys as Result.keyIndex does, dropping repeats.
func newKeyIndex(keys []string) *keyIndex {
	ix := &keyIndex{exact: make(map[string]int, len(keys))}
	for _, k := range keys {
		if _, dup := ix.exact[k]; !dup {
			ix.exact[k] = len(ix.keys)
			ix.keys = append(ix.keys, k)
		}
	}
	return ix
}

func testIndex() *keyIndex {
	return newKeyIndex([]string{
		"otter.domainName", "otter.port", "otter.zookeeper.sessionTimeout", "otter.zookeeper.cluster.default",
		"otter.manager.address", "otter.foo-bar", "otter.a.b", "otter.a_b", "custom.key",
	})
}

func TestMatchVariableNames(t *testing.T) {
	reservedNames := map[string]struct{}{"OTTER_HOME": {}, "OTTER_NID": {}}
	ix := testIndex()
	for _, c := range []struct {
		name, value string
		kind        matchKind
		keys        []string
	}{
		{"otter.port", "1", exactKey, []string{"otter.port"}},
		{"custom.key", "1", exactKey, []string{"custom.key"}},
		{"otter.new.key", "1", newKey, []string{"otter.new.key"}},
		{"otter.", "1", notProperty, nil},
		{"otter.with space", "1", notProperty, nil},
		{"other.new.key", "1", notProperty, nil},
		{"PATH", "/bin", notProperty, nil},
		{"OTTER_", "x", notProperty, nil},
		{"otter_port", "1", notProperty, nil},
		{"OTTER_PORT", "8081", snakeKey, []string{"otter.port"}},
		{"OTTER_DOMAINNAME", "h", snakeKey, []string{"otter.domainName"}},
		{"OTTER_ZOOKEEPER_SESSIONTIMEOUT", "1", snakeKey, []string{"otter.zookeeper.sessionTimeout"}},
		{"OTTER_zookeeper_SessionTimeout", "1", snakeKey, []string{"otter.zookeeper.sessionTimeout"}},
		{"OTTER_FOO_BAR", "1", snakeKey, []string{"otter.foo-bar"}},
		{"OTTER_A_B", "1", ambiguous, []string{"otter.a.b", "otter.a_b"}},
		{"OTTER_NOPE", "1", noMatch, nil},
		{"OTTER_HOME", "/x", reserved, nil},
		{"OTTER_NID", "3", reserved, nil},
		{"OTTER_PORT", "tcp://10.0.0.7:8080", serviceLink, nil},
		{"OTTER_PORT", "tcp://10.0.0.7", snakeKey, []string{"otter.port"}},
		{"OTTER_SERVICE_HOST", "10.0.0.7", serviceLink, nil},
		{"OTTER_SERVICE_HOST", "otter.example", noMatch, nil},
	} {
		kind, keys := ix.match(c.name, c.value, reservedNames, map[string]string{})
		if kind != c.kind || !reflect.DeepEqual(keys, c.keys) {
			t.Errorf("match(%q, %q) = %v %q, want %v %q", c.name, c.value, kind, keys, c.kind, c.keys)
		}
	}
}

func TestServiceLinks(t *testing.T) {
	env := map[string]string{"OTTER_SERVICE_HOST": "10.0.0.7", "OTTER_MANAGER_SERVICE_HOST": "fd00::7"}
	for _, c := range []struct {
		name, value string
		want        bool
	}{
		{"OTTER_SERVICE_HOST", "10.0.0.7", true},
		{"OTTER_MANAGER_SERVICE_HOST", "fd00::7", true},
		{"OTTER_SERVICE_HOST", "host", false},
		{"OTTER_SERVICE_PORT", "8080", true},
		{"OTTER_SERVICE_PORT_HTTP", "8080", true},
		{"OTTER_SERVICE_PORT", "http", false},
		{"OTTER_NODE_SERVICE_PORT", "2088", false}, // no OTTER_NODE_SERVICE_HOST beside it
		{"OTTER_PORT", "tcp://10.0.0.7:8080", true},
		{"OTTER_PORT", "udp://[fd00::7]:53", true},
		{"OTTER_PORT", "http://10.0.0.7:8080", false},
		{"OTTER_PORT", "TCP://10.0.0.7:8080", false},
		{"OTTER_PORT", "tcp://name:8080", false},
		{"OTTER_PORT", "8081", false},
		{"OTTER_PORT_8080_TCP", "tcp://10.0.0.7:8080", true},
		{"OTTER_PORT_8080_TCP", "tcp://10.0.0.7:9090", false},
		{"OTTER_PORT_8080_TCP", "udp://10.0.0.7:8080", false},
		{"OTTER_PORT_8080_TCP_PROTO", "tcp", true},
		{"OTTER_PORT_8080_TCP_PROTO", "udp", false},
		{"OTTER_PORT_8080_TCP_PORT", "8080", true},
		{"OTTER_PORT_8080_TCP_PORT", "8081", false},
		{"OTTER_PORT_8080_TCP_ADDR", "10.0.0.7", true},
		{"OTTER_PORT_8080_TCP_ADDR", "localhost", false},
		{"OTTER_PORT_8080_SCTP_ADDR", "10.0.0.7", true},
		{"OTTER_PORT_0_TCP_ADDR", "10.0.0.7", false},
		{"OTTER_PORT_8080_TCP_OTHER", "10.0.0.7", false},
		{"OTTER_MANAGER_PORT_1099_TCP_PORT", "1099", true},
		{"OTTER_COMMUNICATION_MANAGER_PORT", "1099", false},
	} {
		if got := isServiceLink(c.name, c.value, env); got != c.want {
			t.Errorf("isServiceLink(%q, %q) = %v, want %v", c.name, c.value, got, c.want)
		}
	}
}

func TestClosestKeys(t *testing.T) {
	ix := testIndex()
	for _, c := range []struct {
		name string
		want []string
	}{
		{"OTTER_ZOOKEEPER_SESIONTIMEOUT", []string{"otter.zookeeper.sessionTimeout"}},
		{"OTTER_DOMAIN_NAME", []string{"otter.domainName"}},
		{"OTTER_PROT", []string{"otter.port"}},
		{"OTTER_COMPLETELY_DIFFERENT_THING", nil},
	} {
		if got := ix.closest(c.name); !reflect.DeepEqual(got, c.want) {
			t.Errorf("closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", 3, 0}, {"abc", "abc", 3, 0}, {"abc", "abd", 3, 1}, {"abc", "ab", 3, 1},
		{"kitten", "sitting", 5, 3}, {"abcdef", "a", 2, 3}, {"abcdef", "uvwxyz", 2, 3},
	} {
		if got := editDistance(c.a, c.b, c.limit); got != c.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", c.a, c.b, c.limit, got, c.want)
		}
	}
}
