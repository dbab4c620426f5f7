package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Back-off of WaitFor's retries, per target.
const (
	waitFirstDelay = 250 * time.Millisecond
	waitMaxDelay   = 5 * time.Second
	waitAttempt    = 3 * time.Second // one connection attempt
	waitLogEvery   = 15 * time.Second
)

// UnavailableError says which targets never became reachable.
type UnavailableError struct {
	Targets []string // redacted
	Timeout time.Duration
	Last    map[string]string // target → last error
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "still unreachable after ENTRYPOINT_WAIT_TIMEOUT=%s: ", e.Timeout)
	for i, t := range e.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t)
		if last := e.Last[t]; last != "" {
			fmt.Fprintf(&b, " (%s)", last)
		}
	}
	b.WriteString("; check that they run and are reachable from this container, raise ENTRYPOINT_WAIT_TIMEOUT, or set ENTRYPOINT_WAIT_FOR=none")
	return b.String()
}

// ExitCode is 69 (EX_UNAVAILABLE).
func (e *UnavailableError) ExitCode() int { return 69 }

// WaitFor waits until every target accepts a connection: tcp://host:port
// when a TCP connection opens; http(s)://... when any HTTP answer comes back
// (any status: the service is up even if it answers 404 or 503, which is
// all a start-up dependency needs). Each target is retried with exponential
// back-off (250 ms doubling up to 5 s). Progress (what is still
// unreachable) is logged at the first failure and then every 15 s. After
// timeout it returns an *UnavailableError (ExitCode 69) naming what was
// unreachable; when ctx is cancelled it returns ctx.Err() at once. now is
// the clock used for the deadline and progress logs.
func WaitFor(ctx context.Context, targets []string, timeout time.Duration, log *zap.Logger, now func() time.Time) error {
	if len(targets) == 0 {
		return nil
	}
	probes := make([]waitProbe, 0, len(targets))
	for _, t := range targets {
		p, err := newWaitProbe(t)
		if err != nil {
			return err
		}
		probes = append(probes, p)
	}
	start := now()
	deadline := start.Add(timeout)
	ctx, cancel := context.WithCancel(ctx)

	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(probes))
	var wg sync.WaitGroup
	for _, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			delay := waitFirstDelay
			for {
				actx, acancel := context.WithTimeout(ctx, waitAttempt)
				err := p.try(actx)
				acancel()
				if ctx.Err() != nil {
					return
				}
				select {
				case results <- result{p.name, err}:
				case <-ctx.Done():
					return
				}
				if err == nil {
					return
				}
				t := time.NewTimer(delay)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				delay = min(2*delay, waitMaxDelay)
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	pending := map[string]string{} // name → last error
	for _, p := range probes {
		pending[p.name] = ""
	}
	log.Info("waiting for dependencies", zap.Strings("targets", names(probes)), zap.Duration("timeout", timeout))
	var lastLog time.Time
	check := time.NewTicker(250 * time.Millisecond) // to notice the deadline on a stopped clock too
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-results:
			if r.err == nil {
				delete(pending, r.name)
				log.Info("dependency reachable", zap.String("target", r.name), zap.Duration("after", now().Sub(start)))
				if len(pending) == 0 {
					return nil
				}
				continue
			}
			pending[r.name] = r.err.Error()
			if t := now(); lastLog.IsZero() || t.Sub(lastLog) >= waitLogEvery {
				lastLog = t
				log.Info("still waiting for dependencies", zap.Strings("unreachable", keys(pending)),
					zap.String("last_error", r.name+": "+r.err.Error()), zap.Duration("waited", t.Sub(start)), zap.Duration("timeout", timeout))
			}
		case <-check.C:
		}
		if !now().Before(deadline) {
			return &UnavailableError{Targets: keys(pending), Timeout: timeout, Last: pending}
		}
	}
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

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newWaitProbe(target string) (waitProbe, error) {
	switch {
	case strings.HasPrefix(target, "tcp://"):
		check := &tcpCheck{addr: strings.TrimPrefix(target, "tcp://")}
		return waitProbe{name: target, try: func(ctx context.Context) error {
			return shortNetError(check.Check(ctx))
		}}, nil
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		u, err := url.Parse(target)
		if err != nil {
			return waitProbe{}, fmt.Errorf("wait target %q: %w", redactURL(target), err)
		}
		c := newProbeClient()
		return waitProbe{name: u.Redacted(), try: func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
			if err != nil {
				return err
			}
			resp, err := c.Do(req)
			if err != nil {
				return shortNetError(unwrapURLError(err))
			}
			return resp.Body.Close()
		}}, nil
	}
	return waitProbe{}, settingErrorf("ENTRYPOINT_WAIT_FOR: %q is neither tcp://host:port nor http(s)://...", redactURL(target))
}

// shortNetError drops the "dial tcp 1.2.3.4:5:" prefix repeated in logs.
func shortNetError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// ParseWaitFor parses ENTRYPOINT_WAIT_FOR: a comma-separated list of
// tcp://host:port, host:port (taken as tcp://) and http(s)://... targets;
// "none" (or "") means nothing to wait for. Errors name the setting and
// have ExitCode() 78.
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
		return nil, settingErrorf("ENTRYPOINT_WAIT_FOR: %s; use a comma-separated list of tcp://host:port or http(s)://host:port/path, or none", strings.Join(problems, "; "))
	}
	if len(out) == 0 {
		return nil, settingErrorf("ENTRYPOINT_WAIT_FOR=%q names no target; use a comma-separated list of tcp://host:port or http(s)://host:port/path, or none", s)
	}
	return out, nil
}

func normalizeTarget(item string) (string, error) {
	switch {
	case strings.HasPrefix(item, "http://") || strings.HasPrefix(item, "https://"):
		u, err := url.Parse(item)
		if err != nil || u.Hostname() == "" {
			return "", fmt.Errorf("%q is not a valid URL", redactURL(item))
		}
		if err := validPort(u.Port(), true); err != nil {
			return "", fmt.Errorf("%q: %v", u.Redacted(), err)
		}
		return u.String(), nil
	case strings.Contains(item, "://"):
		if !strings.HasPrefix(item, "tcp://") {
			return "", fmt.Errorf("%q: unknown scheme (tcp, http and https are accepted)", redactURL(item))
		}
		item = strings.TrimPrefix(item, "tcp://")
	}
	hp, err := parseHostPort(item)
	if err != nil {
		return "", err
	}
	return "tcp://" + hp, nil
}

// HostPortTargets turns a list of host:port separated by "," or ";" (for
// example otter.zookeeper.cluster.default, or a ZooKeeper connect string
// with a trailing /chroot) into tcp:// targets.
func HostPortTargets(list string) ([]string, error) {
	var out []string
	for _, item := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ';' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		// A ZooKeeper chroot ("zk:2181/otter") ends the connect string.
		if i := strings.IndexByte(item, '/'); i >= 0 {
			item = item[:i]
		}
		hp, err := parseHostPort(item)
		if err != nil {
			return nil, fmt.Errorf("%q: %v; want host:port separated by , or ;", list, err)
		}
		out = append(out, "tcp://"+hp)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no host:port", list)
	}
	return out, nil
}

// MySQLTargets returns a tcp:// target for every host of a MySQL (or
// MariaDB) JDBC URL: jdbc:mysql://db:3306/otter?useUnicode=true gives
// tcp://db:3306; the port defaults to 3306; several hosts
// (jdbc:mysql://a:3306,b:3307/db, jdbc:mysql:replication://...,
// address=(host=a)(port=3306)) give several targets. Errors never contain
// the URL's query or credentials.
func MySQLTargets(jdbcURL string) ([]string, error) {
	s := strings.TrimSpace(jdbcURL)
	lower := strings.ToLower(s)
	var rest string
	for _, p := range []string{"jdbc:mysql:", "jdbc:mariadb:"} {
		if strings.HasPrefix(lower, p) {
			rest = s[len(p):]
			break
		}
	}
	i := strings.Index(rest, "//")
	if i < 0 || strings.Contains(rest[:i], "/") {
		return nil, fmt.Errorf("%q is not a jdbc:mysql:// or jdbc:mariadb:// URL", safeJDBC(s))
	}
	hosts := rest[i+2:]
	if j := strings.IndexAny(hosts, "/?"); j >= 0 {
		hosts = hosts[:j]
	}
	if k := strings.LastIndexByte(hosts, '@'); k >= 0 { // user:password@
		hosts = hosts[k+1:]
	}
	var out []string
	for _, h := range splitHosts(hosts) {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		t, err := mysqlHost(h)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", safeJDBC(s), err)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no host", safeJDBC(s))
	}
	return out, nil
}

// splitHosts splits at commas outside parentheses and brackets.
func splitHosts(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[':
			depth++
		case ')', ']':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func mysqlHost(h string) (string, error) {
	var host, port string
	switch {
	case strings.HasPrefix(strings.ToLower(h), "address="):
		// address=(host=a)(port=3306)(key=value)...
		for _, part := range strings.Split(h[len("address="):], "(") {
			part = strings.TrimSuffix(strings.TrimSpace(part), ")")
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "host":
				host = strings.TrimSpace(v)
			case "port":
				port = strings.TrimSpace(v)
			}
		}
	case strings.HasPrefix(h, "("):
		return mysqlHost("address=" + h)
	case strings.HasPrefix(h, "["):
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", fmt.Errorf("unclosed [ in host %q", h)
		}
		host = h[1:end]
		if r := h[end+1:]; r != "" {
			if !strings.HasPrefix(r, ":") {
				return "", fmt.Errorf("bad host %q", h)
			}
			port = r[1:]
		}
	case strings.Count(h, ":") > 1:
		return "", fmt.Errorf("IPv6 host %q must be in brackets", h)
	default:
		host, port, _ = strings.Cut(h, ":")
	}
	if port == "" {
		port = "3306"
	}
	if host == "" {
		return "", fmt.Errorf("empty host in %q", h)
	}
	return normalizeTarget(net.JoinHostPort(host, port))
}

// safeJDBC drops what could hold credentials: the query and user info.
func safeJDBC(s string) string {
	if i := strings.IndexAny(s, "?;"); i >= 0 {
		s = s[:i] + "?…"
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		if j := strings.Index(s, "//"); j >= 0 && j < i {
			s = s[:j+2] + "…@" + s[i+1:]
		}
	}
	return s
}
