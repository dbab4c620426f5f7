package otterzk

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/testkit"
)

func TestConnectEstablishesASession(t *testing.T) {
	z := testkit.StartZooKeeper(t)
	cs, err := otter.ParseConnectString(z.Addr)
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
	mute := testkit.MuteListener(t) // accepts, never speaks ZooKeeper
	for _, c := range []struct{ addr, want string }{
		{net.JoinHostPort("127.0.0.1", itoa(closed)), "connection refused"},
		{mute, "no session was established"},
		{"no-such-host.invalid:2181", "no-such-host.invalid"},
	} {
		cs, err := otter.ParseConnectString(c.addr)
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
