package docker

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"testing"
)

func TestParseStatus(t *testing.T) {
	text := "Name:\totter-entrypoin\nUmask:\t0022\nState:\tZ (zombie)\nTgid:\t4242\nPid:\t4242\nPPid:\t4200\n" +
		"Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nNSpid:\t4242\t1\n"
	st, err := parseStatus(text)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "otter-entrypoin" || st.State != 'Z' || st.PPid != 4200 || !slices.Equal(st.Uids, []int{1000, 1000, 1000, 1000}) || st.inPid() != 1 {
		t.Errorf("parsed %+v", st)
	}
	for _, bad := range []string{"", "Name:\tx\nState:\tS\nPPid:\t1\nUid:\t0 0 0 0\n", "Name:\tx\nState:\tS\nPPid:\tx\nUid:\t0\nNSpid:\t1\n"} {
		if _, err := parseStatus(bad); err == nil {
			t.Errorf("parseStatus(%q) accepted", bad)
		}
	}
}

func frame(stream byte, payload string) []byte {
	b := make([]byte, 8, 8+len(payload))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	return append(b, payload...)
}

func TestDemuxLogs(t *testing.T) {
	in := append(frame(1, "out 1\n"), frame(2, "err 1\n")...)
	in = append(in, frame(1, "")...)
	in = append(in, frame(1, "out 2\n")...)
	var out bytes.Buffer
	if err := demuxLogs(bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "out 1\nerr 1\nout 2\n" {
		t.Errorf("got %q", out.String())
	}
	for name, bad := range map[string][]byte{
		"truncated header":  frame(1, "x")[:5],
		"truncated payload": frame(1, "abcdef")[:10],
		"bad stream":        frame(7, "x"),
	} {
		if err := demuxLogs(bytes.NewReader(bad), io.Discard); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestContextTarIsReproducible(t *testing.T) {
	files := []contextFile{{"docker/dist/otter-entrypoint", 0o755, []byte("bin")}, {"go.mod", 0o644, []byte("module x\n")}}
	a, err := contextTar(files)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := contextTar(files)
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same context differ (the builder's cache would miss)")
	}
	tr := tar.NewReader(bytes.NewReader(a))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	want := []string{"docker/", "docker/dist/", "docker/dist/otter-entrypoint", "go.mod"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %v, want %v", names, want)
	}
}
