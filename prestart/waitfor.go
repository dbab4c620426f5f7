package prestart

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/netcheck"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/secret"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Back-off of WaitForChecks' retries, per target.
const (
	waitFirstDelay = 250 * time.Millisecond
	waitMaxDelay   = 5 * time.Second
	waitAttempt    = 3 * time.Second // one connection attempt
	waitLogEvery   = 15 * time.Second
)

// WaitForChecks waits until every target accepts a connection and every
// check's Try succeeds: tcp://host:port when a TCP connection opens;
// http(s)://... when any HTTP answer comes back (any status: the service is
// up even if it answers 404 or 503, which is all a start-up dependency
// needs); zookeeper://... when a session is established. Each target and
// check is retried with exponential back-off (250 ms doubling up to 5 s).
// Progress (what is still unreachable) is logged at the first failure and
// then every 15 s. After timeout it returns an *exit.Error with code 69
// naming what was unreachable and why; when ctx is cancelled it returns
// ctx.Err() at once. now is the clock of the progress logs.
func WaitForChecks(ctx context.Context, targets []string, checks []Check, timeout time.Duration, log *zap.Logger, now func() time.Time) error {
	if len(targets)+len(checks) == 0 {
		return nil
	}
	probes := make([]waitProbe, 0, len(targets)+len(checks))
	for _, t := range targets {
		p, err := newWaitProbe(t, log)
		if err != nil {
			return err
		}
		probes = append(probes, p)
	}
	for _, c := range checks {
		probes = append(probes, waitProbe{name: c.Name, try: c.Try})
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	attempts := make(chan attempt)
	var wg sync.WaitGroup
	for _, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			waitOne(wctx, p, attempts)
		}()
	}
	defer wg.Wait() // after cancel: every waitOne returns at once

	start := now()
	pending := map[string]string{} // name → last error
	for _, p := range probes {
		pending[p.name] = ""
	}
	log.Info("waiting for dependencies", zap.Strings("targets", names(probes)), zap.Duration("timeout", timeout))
	var lastLog time.Time
	for len(pending) > 0 {
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return unavailable(pending, timeout)
		case a := <-attempts:
			if a.err == nil {
				delete(pending, a.name)
				log.Info("dependency reachable", zap.String("target", a.name), zap.Duration("after", now().Sub(start)))
				continue
			}
			pending[a.name] = a.err.Error()
			if t := now(); lastLog.IsZero() || t.Sub(lastLog) >= waitLogEvery {
				lastLog = t
				log.Info("still waiting for dependencies", zap.Strings("unreachable", slices.Sorted(maps.Keys(pending))),
					zap.String("last_error", a.name+": "+a.err.Error()), zap.Duration("waited", t.Sub(start)), zap.Duration("timeout", timeout))
			}
		}
	}
	return nil
}

// attempt is the outcome of one try of one target.
type attempt struct {
	name string
	err  error
}

// waitOne tries p until it succeeds or ctx ends, with back-off, and sends
// every outcome to out.
func waitOne(ctx context.Context, p waitProbe, out chan<- attempt) {
	var b backoff
	for {
		actx, cancel := context.WithTimeout(ctx, waitAttempt)
		err := p.try(actx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		select {
		case out <- attempt{p.name, err}:
		case <-ctx.Done():
			return
		}
		if err == nil || b.sleep(ctx, waitMaxDelay) != nil {
			return
		}
	}
}

// backoff is the wait between two attempts of a step before java: 250 ms,
// doubling up to 5 s.
type backoff struct{ next time.Duration }

// sleep waits the next delay, at most limit, and returns early with ctx's
// error when ctx ends.
func (b *backoff) sleep(ctx context.Context, limit time.Duration) error {
	if b.next == 0 {
		b.next = waitFirstDelay
	}
	t := time.NewTimer(min(b.next, limit))
	defer t.Stop()
	b.next = min(2*b.next, waitMaxDelay)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// unavailable is WaitForChecks' error at the timeout: every target still
// unreachable, with its last error.
func unavailable(pending map[string]string, timeout time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "still not ready after ENTRYPOINT_WAIT_TIMEOUT=%s: ", timeout)
	for i, t := range slices.Sorted(maps.Keys(pending)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t)
		if last := pending[t]; last != "" {
			fmt.Fprintf(&b, " (%s)", last)
		}
	}
	b.WriteString("; check that they run and are reachable from this container, raise ENTRYPOINT_WAIT_TIMEOUT, or set ENTRYPOINT_WAIT_FOR=none")
	return exit.UnavailableError(b.String())
}

type waitProbe struct {
	name string // redacted
	try  func(ctx context.Context) error
}

func names(ps []waitProbe) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

func newWaitProbe(target string, log *zap.Logger) (waitProbe, error) {
	switch {
	case strings.HasPrefix(target, otter.ZooKeeperScheme): // derived from otter.zookeeper.cluster.default only
		return newZooKeeperProbe(target, log)
	case strings.HasPrefix(target, "tcp://"):
		addr := strings.TrimPrefix(target, "tcp://")
		return waitProbe{name: secret.RedactURL(target), try: func(ctx context.Context) error {
			return netcheck.ShortNetError(netcheck.DialTCP(ctx, addr))
		}}, nil
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		u, err := url.Parse(target)
		if err != nil {
			// url.Parse's error quotes the whole URL: none of it is kept.
			return waitProbe{}, exit.ConfigError(fmt.Sprintf("ENTRYPOINT_WAIT_FOR: %q is not a valid URL", secret.RedactURL(target)))
		}
		c := netcheck.NewHTTPClient()
		return waitProbe{name: secret.RedactURL(target), try: func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
			if err != nil {
				return err
			}
			resp, err := c.Do(req)
			if err != nil {
				return netcheck.ShortNetError(netcheck.UnwrapURLError(err))
			}
			return resp.Body.Close()
		}}, nil
	}
	return waitProbe{}, exit.ConfigError(fmt.Sprintf("ENTRYPOINT_WAIT_FOR: %q is neither tcp://host:port nor http(s)://...", secret.RedactURL(target)))
}

// ParseWaitFor parses ENTRYPOINT_WAIT_FOR: a comma-separated list of
// tcp://host:port, host:port (taken as tcp://) and http(s)://... targets;
// "none" (or "") means nothing to wait for. Errors name the setting and
// are *exit.Error values with code 78.
func ParseWaitFor(spec string) ([]string, error) {
	s := strings.TrimSpace(spec)
	if s == "" || strings.EqualFold(s, "none") {
		return nil, nil
	}
	var out []string
	var problems []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		t, err := normalizeTarget(item)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		out = append(out, t)
	}
	if len(problems) > 0 {
		return nil, exit.ConfigError(fmt.Sprintf("ENTRYPOINT_WAIT_FOR: %s; use a comma-separated list of tcp://host:port or http(s)://host:port/path, or none", strings.Join(problems, "; ")))
	}
	if len(out) == 0 {
		return nil, exit.ConfigError(fmt.Sprintf("ENTRYPOINT_WAIT_FOR=%q names no target; use a comma-separated list of tcp://host:port or http(s)://host:port/path, or none", s))
	}
	return out, nil
}

func normalizeTarget(item string) (string, error) {
	switch {
	case strings.HasPrefix(item, "http://") || strings.HasPrefix(item, "https://"):
		u, err := url.Parse(item)
		if err != nil || u.Hostname() == "" {
			return "", fmt.Errorf("%q is not a valid URL", secret.RedactURL(item))
		}
		if err := netcheck.ValidPort(u.Port(), true); err != nil {
			return "", fmt.Errorf("%q: %v", secret.RedactURL(item), err)
		}
		return u.String(), nil
	case strings.Contains(item, "://"):
		if !strings.HasPrefix(item, "tcp://") {
			return "", fmt.Errorf("%q: unknown scheme (tcp, http and https are accepted)", secret.RedactURL(item))
		}
		item = strings.TrimPrefix(item, "tcp://")
	}
	hp, err := netcheck.ParseHostPort(item)
	if err != nil {
		return "", err
	}
	return "tcp://" + hp, nil
}
