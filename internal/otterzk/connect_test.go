package otterzk

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"otter-entrypoint/internal/testkit"
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
		{"user@zk:2181", nil, "", "bad host"},
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
	if cs.String() != "a:1,b:2/x" || cs.Path(NodePath(7)) != "/x/otter/node/7" {
		t.Errorf("String %q, Path %q", cs.String(), cs.Path(NodePath(7)))
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

func TestConnectEstablishesASession(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	cs, err := ParseConnectString(z.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Connect(ctx, cs, 4*time.Second, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.SessionID() == 0 {
		t.Error("no session id")
	}
}

func TestConnectSaysWhyInWords(t *testing.T) {
	closed := testkit.FreePorts(t, 1)[0]
	// A port that accepts connections and never speaks ZooKeeper.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := mute.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	for _, c := range []struct{ addr, want string }{
		{net.JoinHostPort("127.0.0.1", itoa(closed)), "connection refused"},
		{mute.Addr().String(), "no session was established"},
		{"no-such-host.invalid:2181", "no-such-host.invalid"},
	} {
		cs, err := ParseConnectString(c.addr)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		conn, err := Connect(ctx, cs, 4*time.Second, zaptest.NewLogger(t))
		cancel()
		if err == nil {
			conn.Close()
			t.Errorf("%s: a session?", c.addr)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "no ZooKeeper session with") {
			t.Errorf("%s: %v; want it to say %q", c.addr, err, c.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
