package netcheck

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseHostPort(t *testing.T) {
	for _, c := range []struct {
		in, want string
		err      bool
	}{
		{"db:3306", "db:3306", false},
		{"[::1]:2181", "[::1]:2181", false},
		{"db", "", true},
		{":3306", "", true},
		{"db:0", "", true},
		{"db:65536", "", true},
		{"d b:1", "", true},
		{"u@db:1", "", true},
	} {
		got, err := ParseHostPort(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseHostPort(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
	}
	if err := ValidPort("", true); err != nil {
		t.Errorf("an optional empty port: %v", err)
	}
	if err := ValidPort("", false); err == nil {
		t.Error("a required empty port passed")
	}
}

// (URL redaction itself is secret.RedactURL's, tested there.)
func TestParseHostPortQuotesNoPassword(t *testing.T) {
	// host:port with user info: SplitHostPort would cut at the password's
	// colon and quote the rest as the port.
	for _, in := range []string{"u:s3cret@db:3306", "u:s3cret@db", "s3cret@db:1", "db:s3cret@x"} {
		if _, err := ParseHostPort(in); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseHostPort(%q) = %v: want an error without the password", in, err)
		}
	}
}

func TestDialTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := DialTCP(ctx, addr); err != nil {
		t.Errorf("DialTCP(listening %s) = %v", addr, err)
	}
	ln.Close()
	err = DialTCP(ctx, addr)
	if err == nil {
		t.Fatalf("DialTCP(closed %s) succeeded", addr)
	}
	if short := ShortNetError(err); strings.Contains(short.Error(), "dial tcp") {
		t.Errorf("ShortNetError kept the prefix: %v", short)
	}
}
