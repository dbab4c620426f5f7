// Package prestart is what the entrypoint does after the configuration is
// rendered and before java starts: waiting until Otter's dependencies
// answer, and (next) preparing the manager's database and registering the
// node. Each piece is a Step; Run runs them in order and stops at the first
// error, or at once when ctx ends (TERM or INT from the supervisor).
package prestart

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// Step is one thing to do before java starts.
type Step struct {
	Name string // for logs: "wait for dependencies", "register the node", ...
	Run  func(ctx context.Context) error
}

// Run runs steps in order. It returns ctx's error as soon as ctx ends, and
// the first step's error otherwise (wrapped with the step's name; the exit
// code of an *exit.Error is kept).
func Run(ctx context.Context, steps []Step, log *zap.Logger) error {
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		log.Debug("before java", zap.String("step", s.Name))
		if err := s.Run(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return nil
}
