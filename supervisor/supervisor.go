package supervisor

import (
	"errors"
	"time"

	"go.uber.org/zap"
)

// Supervisor runs one main child. Create it with New and call Run once.
type Supervisor struct {
	cfg Config
	log *zap.Logger
	now func() time.Time
}

// New returns a Supervisor for cfg. log and now must not be nil.
func New(cfg Config, log *zap.Logger, now func() time.Time) *Supervisor {
	return &Supervisor{cfg: cfg, log: log, now: now}
}

// Run runs the child to its end and returns how it ended.
func (s *Supervisor) Run(sigs *Signals) (Result, error) {
	return Result{}, errors.New("not implemented yet")
}
