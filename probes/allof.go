package probes

import (
	"context"
	"errors"
	"strings"
)

// AllOf is ready when every one of checks is, asked in order: the first
// one not ready gives the reason. Begin reaches every check that needs a
// starting point (the log check). nil checks are left out; with a single
// check left, that check is returned as it is.
func AllOf(checks ...Check) Check {
	var cs []Check
	for _, c := range checks {
		if c != nil {
			cs = append(cs, c)
		}
	}
	switch len(cs) {
	case 0:
		return noneCheck{}
	case 1:
		return cs[0]
	}
	return allOf(cs)
}

type allOf []Check

func (a allOf) Name() string {
	names := make([]string, len(a))
	for i, c := range a {
		names[i] = c.Name()
	}
	return "all of: " + strings.Join(names, ", ")
}

// Begin takes every check's starting point; every error is returned.
func (a allOf) Begin() error {
	var errs []error
	for _, c := range a {
		if b, ok := c.(baseliner); ok {
			if err := b.Begin(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (a allOf) Check(ctx context.Context) error {
	return a.checkParts(ctx, func(Check, error) {})
}

// checkParts is Check, telling report each check it asked and its result.
func (a allOf) checkParts(ctx context.Context, report func(c Check, err error)) error {
	for _, c := range a {
		err := c.Check(ctx)
		report(c, err)
		if err != nil {
			return err
		}
	}
	return nil
}
