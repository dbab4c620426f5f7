package probes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

type fakeCheck struct {
	name string
	err  error
	n    int
}

func (f *fakeCheck) Name() string                  { return f.name }
func (f *fakeCheck) Check(_ context.Context) error { f.n++; return f.err }

func TestAllOfAsksInOrderAndStopsAtTheFirstNotReady(t *testing.T) {
	a, b, c := &fakeCheck{name: "a"}, &fakeCheck{name: "b", err: errors.New("b not yet")}, &fakeCheck{name: "c"}
	all := AllOf(a, nil, b, c)
	if err := all.Check(context.Background()); err == nil || err.Error() != "b not yet" {
		t.Errorf("Check = %v, want b's reason", err)
	}
	if a.n != 1 || b.n != 1 || c.n != 0 {
		t.Errorf("asked a %d, b %d, c %d times; want 1, 1, 0", a.n, b.n, c.n)
	}
	if all.Name() != "all of: a, b, c" {
		t.Errorf("Name = %q", all.Name())
	}
	b.err = nil
	if err := all.Check(context.Background()); err != nil {
		t.Errorf("Check with every check ready = %v", err)
	}
	if AllOf(a) != Check(a) {
		t.Error("AllOf of one check is not that check")
	}
	if err := AllOf().Check(context.Background()); err != nil {
		t.Errorf("AllOf() = %v, want ready", err)
	}
}

func TestAllOfBeginsTheLogCheck(t *testing.T) {
	file := filepath.Join(t.TempDir(), "node.log")
	if err := os.WriteFile(file, []byte("## the otter server is running now ......\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := ParseCheck("log:"+file+":running now", "")
	if err != nil {
		t.Fatal(err)
	}
	all := AllOf(log, &fakeCheck{name: "zk"})
	b, ok := all.(baseliner)
	if !ok {
		t.Fatal("AllOf does not pass Begin on")
	}
	if err := b.Begin(); err != nil {
		t.Fatal(err)
	}
	// The line written before Begin is old: not ready.
	if err := all.Check(context.Background()); err == nil {
		t.Error("ready on a line written before Begin")
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("## the otter server is running now ......\n")
	f.Close()
	if err := all.Check(context.Background()); err != nil {
		t.Errorf("Check after the line = %v", err)
	}
}

type fakeZNode struct{ err error }

func (fakeZNode) Path() string                    { return "/otter/node/5" }
func (f fakeZNode) Ready(_ context.Context) error { return f.err }

func TestZNodeCheck(t *testing.T) {
	c := NewZNodeCheck(fakeZNode{errors.New("/otter/node/5 does not exist")})
	if c.Name() != "zookeeper:/otter/node/5" {
		t.Errorf("Name = %q", c.Name())
	}
	if err := c.Check(context.Background()); err == nil {
		t.Error("ready while the source says no")
	}
	if err := NewZNodeCheck(fakeZNode{}).Check(context.Background()); err != nil {
		t.Errorf("Check = %v", err)
	}
}
