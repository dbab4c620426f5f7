package jvm

import (
	"errors"
	"net"
	"os"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"strings"
	"testing"
)

func TestNid(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		host    string
		want    int
		wantErr string
	}{
		{"OTTER_NID", map[string]string{"OTTER_NID": "7"}, "whatever", 7, ""},
		{"OTTER_NID trimmed", map[string]string{"OTTER_NID": " 12\n"}, "", 12, ""},
		{"OTTER_NID wins over ordinal", map[string]string{"OTTER_NID": "2"}, "otter-node-5", 2, ""},
		{"StatefulSet ordinal + default offset", nil, "otter-node-3", 4, ""},
		{"ordinal 0", nil, "otter-node-0", 1, ""},
		{"FQDN", nil, "otter-node-3.otter-node.prod.svc.cluster.local", 4, ""},
		{"offset", map[string]string{"OTTER_NID_OFFSET": "100"}, "otter-node-3", 103, ""},
		{"offset 0", map[string]string{"OTTER_NID_OFFSET": "0"}, "otter-node-3", 3, ""},
		{"empty OTTER_NID is unset", map[string]string{"OTTER_NID": ""}, "otter-node-1", 2, ""},
		{"no ordinal", nil, "otter-node", 0, "OTTER_NID is unset, the host name \"otter-node\" does not end in -<ordinal> and there is no /h/conf/nid"},
		{"docker host name", nil, "3f2a9c1b7d6e", 0, "set OTTER_NID"},
		{"trailing dash", nil, "node-", 0, "set OTTER_NID"},
		{"letters after dash", nil, "node-3a", 0, "set OTTER_NID"},
		{"bad OTTER_NID", map[string]string{"OTTER_NID": "one"}, "otter-node-1", 0, `OTTER_NID="one" (environment): want a positive integer`},
		{"zero OTTER_NID", map[string]string{"OTTER_NID": "0"}, "", 0, "want a positive integer"},
		{"negative OTTER_NID", map[string]string{"OTTER_NID": "-3"}, "", 0, "want a positive integer"},
		{"bad offset", map[string]string{"OTTER_NID_OFFSET": "x"}, "otter-node-1", 0, `OTTER_NID_OFFSET="x"`},
		{"offset 0 ordinal 0", map[string]string{"OTTER_NID_OFFSET": "0"}, "otter-node-0", 0, "node ids start at 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Nid(envOf(tt.env), tt.host, ConfNid{Path: "/h/conf/nid"})
			if tt.wantErr != "" {
				var e *exit.Error
				if !errors.As(err, &e) || e.Code != 78 || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Nid(%v, %q) error = %v, want exit 78 containing %q", tt.env, tt.host, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Nid(%v, %q) = %d, %v; want %d", tt.env, tt.host, got, err, tt.want)
			}
		})
	}
}

// TestNidConfFile: conf/nid is used only when neither OTTER_NID nor the
// host name gives an id; a malformed one is a 78 naming the file.
func TestNidConfFile(t *testing.T) {
	file := func(content string) ConfNid { return ConfNid{Path: "/h/conf/nid", Found: true, Content: content} }
	tests := []struct {
		name    string
		env     map[string]string
		host    string
		conf    ConfNid
		want    int
		wantErr string
	}{
		{"the file", nil, "3f2a9c1b7d6e", file("5\n"), 5, ""},
		{"white space trimmed", nil, "otter", file(" \t12 \r\n"), 12, ""},
		{"OTTER_NID wins", map[string]string{"OTTER_NID": "2"}, "3f2a9c1b7d6e", file("5"), 2, ""},
		{"ordinal wins", nil, "otter-node-3", file("5"), 4, ""},
		{"a malformed file is not read when not needed", map[string]string{"OTTER_NID": "2"}, "x", file("five"), 2, ""},
		{"no file", nil, "3f2a9c1b7d6e", ConfNid{Path: "/h/conf/nid"}, 0, "there is no /h/conf/nid"},
		{"not a number", nil, "x", file("five\n"), 0, `nid file /h/conf/nid (used because OTTER_NID is unset and the host name has no ordinal) holds "five"`},
		{"zero", nil, "x", file("0"), 0, "/h/conf/nid"},
		{"empty", nil, "x", file(""), 0, `holds ""`},
		{"two numbers", nil, "x", file("1 2"), 0, "want a positive integer"},
		{"unreadable", nil, "x", ConfNid{Path: "/h/conf/nid", Found: true, Err: errors.New("not a regular file (p---------)")}, 0, "nid file /h/conf/nid (used because OTTER_NID is unset and the host name has no ordinal): not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Nid(envOf(tt.env), tt.host, tt.conf)
			if tt.wantErr != "" {
				var e *exit.Error
				if !errors.As(err, &e) || e.Code != 78 || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Nid error = %v, want exit 78 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Nid = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestReadConfNid(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "conf", "nid")
	if c := ReadConfNid(home); c.Found || c.Path != path {
		t.Errorf("no conf/: %+v, want not found at %s", c, path)
	}
	if err := os.Mkdir(filepath.Join(home, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := ReadConfNid(home); !c.Found || c.Err != nil || c.Content != "7\n" {
		t.Errorf("regular file: %+v", c)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("1", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := ReadConfNid(home); !c.Found || c.Err == nil || !strings.Contains(c.Err.Error(), "longer than 64 bytes") {
		t.Errorf("long file: %+v", c)
	}
	os.Remove(path)
	testkit.Mkfifo(t, path)
	// Must not block: nobody ever writes into this FIFO.
	var c ConfNid
	testkit.Within(t, "ReadConfNid of a FIFO", func() { c = ReadConfNid(home) })
	if !c.Found || c.Err == nil || !strings.Contains(c.Err.Error(), "not a regular file") {
		t.Errorf("FIFO: %+v", c)
	}
	os.Remove(path)
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if c := ReadConfNid(home); !c.Found || c.Err == nil || !strings.Contains(c.Err.Error(), "not a regular file") {
		t.Errorf("directory: %+v", c)
	}
}

func TestAdvertiseHost(t *testing.T) {
	got, err := AdvertiseHost(envOf(map[string]string{"OTTER_ADVERTISE_HOST": "10.1.2.3"}))
	if err != nil || got != "10.1.2.3" {
		t.Errorf("AdvertiseHost(env) = %q, %v", got, err)
	}
	if _, err := AdvertiseHost(envOf(map[string]string{"OTTER_ADVERTISE_HOST": "a b"})); err == nil {
		t.Error("AdvertiseHost accepted a value with a space")
	}
	def, err := AdvertiseHost(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if def != DefaultAdvertiseHost() {
		t.Errorf("AdvertiseHost() = %q, want DefaultAdvertiseHost() %q", def, DefaultAdvertiseHost())
	}
	if ip := net.ParseIP(def); def != "" && (ip == nil || ip.IsLoopback()) {
		t.Errorf("default advertised host %q is not a non-loopback IP", def)
	}
}

func TestPickAddress(t *testing.T) {
	cidr := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	tests := []struct {
		in   []net.Addr
		want string
	}{
		{[]net.Addr{cidr("127.0.0.1/8"), cidr("::1/128"), cidr("10.244.1.7/24")}, "10.244.1.7"},
		{[]net.Addr{cidr("fe80::1/64"), cidr("fd00::5/64"), cidr("192.168.1.2/24")}, "192.168.1.2"},
		{[]net.Addr{cidr("127.0.0.1/8"), cidr("fd00::5/64")}, "fd00::5"},
		{[]net.Addr{cidr("127.0.0.1/8")}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := pickAddress(tt.in); got != tt.want {
			t.Errorf("pickAddress(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
