package otter

import (
	"net"
	"slices"
	"strings"
	"testing"
)

func TestParseConnectString(t *testing.T) {
	cases := []struct {
		in      string
		servers []string
		chroot  string
		err     string
	}{
		{"127.0.0.1:2181", []string{"127.0.0.1:2181"}, "", ""},
		{" zk-0.zk:2181, zk-1.zk:2182 ;zk-2.zk ", []string{"zk-0.zk:2181", "zk-1.zk:2182", "zk-2.zk:2181"}, "", ""},
		{"zk:2181,zk2:2181/otter/prod", []string{"zk:2181", "zk2:2181"}, "/otter/prod", ""},
		{"zk:2181/", []string{"zk:2181"}, "", ""},
		{"[::1]:2181,[fe80::1]", []string{"[::1]:2181", "[fe80::1]:2181"}, "", ""},
		{"", nil, "", "names no ZooKeeper server"},
		{" , ;", nil, "", "names no ZooKeeper server"},
		{"/otter", nil, "", "names no ZooKeeper server"},
		{"zk:0", nil, "", "port"},
		{"zk:99999", nil, "", "port"},
		{"::1", nil, "", "brackets"},
		{"zk:2181/otter/", nil, "", "must not end with /"},
		{"zk:2181/a//b", nil, "", "empty path segment"},
		{"zk:2181/a/../b", nil, "", "relative"},
		{"zk:2181/a\x01", nil, "", "not allowed"},
		{"user@zk:2181", nil, "", "user info"},
	}
	for _, c := range cases {
		got, err := ParseConnectString(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseConnectString(%q) = %+v, %v; want an error about %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got.Servers, c.servers) || got.Chroot != c.chroot {
			t.Errorf("ParseConnectString(%q) = %+v, %v; want %q %q", c.in, got, err, c.servers, c.chroot)
		}
	}
	cs, _ := ParseConnectString("a:1,b:2/x")
	if cs.String() != "a:1,b:2/x" || cs.Path("/otter/node/7") != "/x/otter/node/7" {
		t.Errorf("String %q, Path %q", cs.String(), cs.Path("/otter/node/7"))
	}
}

// FuzzParseConnectString: never panics; what it accepts is valid and
// parses again to the same value.
func FuzzParseConnectString(f *testing.F) {
	for _, s := range []string{"127.0.0.1:2181", "a,b:1;c/x/y", "[::1]:2181/otter", "zk:2181/", "::1", "a:2181/a//b", "/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConnectString(s)
		if err != nil {
			return
		}
		if len(c.Servers) == 0 {
			t.Fatalf("%q: accepted with no server", s)
		}
		for _, hp := range c.Servers {
			if _, _, err := net.SplitHostPort(hp); err != nil {
				t.Fatalf("%q: server %q is not host:port", s, hp)
			}
		}
		if err := validChroot(c.Chroot); err != nil || (c.Chroot != "" && c.Chroot[0] != '/') {
			t.Fatalf("%q: chroot %q accepted (%v)", s, c.Chroot, err)
		}
		again, err := ParseConnectString(c.String())
		if err != nil || !slices.Equal(again.Servers, c.Servers) || again.Chroot != c.Chroot {
			t.Fatalf("%q → %q → %+v, %v; want %+v", s, c.String(), again, err, c)
		}
	})
}

func TestZooKeeperTargets(t *testing.T) {
	got, err := ZooKeeperTargets(" zk-0:2181;zk-1/otter ")
	if err != nil || !slices.Equal(got, []string{"zookeeper://zk-0:2181,zk-1:2181/otter"}) {
		t.Errorf("ZooKeeperTargets = %q, %v", got, err)
	}
	if _, err := ZooKeeperTargets("zk:2181/a//b"); err == nil {
		t.Error("a bad chroot is accepted")
	}
}

func TestServerListConnectString(t *testing.T) {
	cs := ServerListConnectString([]string{"zk-0.zk:2181", "zk-1.zk:2181"})
	got, err := ParseConnectString(cs)
	if cs != "zk-0.zk:2181,zk-1.zk:2181" || err != nil || len(got.Servers) != 2 {
		t.Errorf("ServerListConnectString = %q (%+v, %v)", cs, got, err)
	}
}
