package prestart

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
)

func TestRunStopsAtTheFirstErrorAndKeepsItsCode(t *testing.T) {
	var ran []string
	step := func(name string, err error) Step {
		return Step{Name: name, Run: func(context.Context) error { ran = append(ran, name); return err }}
	}
	err := Run(context.Background(), []Step{step("a", nil), step("b", exit.UnavailableError("db down")), step("c", nil)}, zap.NewNop())
	if exit.Code(err) != exit.Unavailable || len(ran) != 2 {
		t.Fatalf("Run = %v (code %d), ran %q; want code 69 after a and b", err, exit.Code(err), ran)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran = nil
	if err := Run(ctx, []Step{step("a", nil)}, zap.NewNop()); !errors.Is(err, context.Canceled) || len(ran) != 0 {
		t.Fatalf("Run with an ended context = %v, ran %q", err, ran)
	}
}
