// Package probes serves the entrypoint's /livez, /readyz and /metrics (the
// supervisor's state, the java child's process figures and the JVM's
// hsperfdata figures), runs Otter's readiness check, and holds the
// healthcheck client that asks a running entrypoint.
package probes

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/logtail"
	"otter-entrypoint/internal/netcheck"
	"otter-entrypoint/internal/secret"
)

// Check is one readiness check. A nil error means ready; an error's text is
// the one-line reason.
type Check interface {
	Name() string
	Check(ctx context.Context) error
}

// baseliner is implemented by checks that need a starting point taken before
// the child starts (the log check skips lines written before it).
type baseliner interface{ Begin() error }

// DefaultCheckTimeout bounds one check.
const DefaultCheckTimeout = 2 * time.Second

// maxBody bounds an HTTP check's answer: a longer one fails the check
// rather than being read for the whole timeout.
const maxBody = 1 << 20

// settingErrorf is an invalid setting: exit code 78 (EX_CONFIG).
func settingErrorf(format string, args ...any) error {
	return exit.ConfigError(fmt.Sprintf(format, args...))
}

// ParseCheck parses ENTRYPOINT_READY_CHECK:
//
//	http://host:port/path, https://...   2xx or 3xx (redirects are not followed; TLS is not verified, as kubelet does)
//	tcp://host:port                      the port accepts a connection
//	log:<file>:<text>                    a line containing text was written to file since the entrypoint started
//	none                                 ready as soon as the child runs
//
// A relative log file is taken relative to otterHome. Errors name the
// setting and are *exit.Error values with code 78.
func ParseCheck(spec, otterHome string) (Check, error) {
	s := strings.TrimSpace(spec)
	bad := func(why string) error {
		return settingErrorf("ENTRYPOINT_READY_CHECK=%q: %s; use http://host:port/path, https://..., tcp://host:port, log:<file>:<text> or none", secret.RedactURL(s), why)
	}
	switch {
	case s == "" || strings.EqualFold(s, "none"):
		return noneCheck{}, nil
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.Hostname() == "" {
			return nil, bad("not a valid URL")
		}
		if err := netcheck.ValidPort(u.Port(), true); err != nil {
			return nil, bad(err.Error())
		}
		return newHTTPCheck(u), nil
	case strings.HasPrefix(s, "tcp://"):
		addr, err := netcheck.ParseHostPort(strings.TrimPrefix(s, "tcp://"))
		if err != nil {
			return nil, bad(err.Error())
		}
		return &tcpCheck{addr: addr}, nil
	case strings.HasPrefix(s, "log:"):
		file, text, ok := strings.Cut(strings.TrimPrefix(s, "log:"), ":")
		if !ok || strings.TrimSpace(file) == "" || text == "" {
			return nil, bad("want log:<file>:<text> with a file and a non-empty text")
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(otterHome, file)
		}
		return newLogCheck(filepath.Clean(file), text), nil
	}
	return nil, bad("unknown kind")
}

// noneCheck always passes: ready once the child runs.
type noneCheck struct{}

func (noneCheck) Name() string                  { return "none" }
func (noneCheck) Check(_ context.Context) error { return nil }

// httpCheck: GET, 2xx/3xx is ready once the whole answer (at most maxBody
// bytes) arrived within the check's context.
type httpCheck struct {
	url    string
	name   string
	client *http.Client
}

func newHTTPCheck(u *url.URL) *httpCheck {
	return &httpCheck{url: u.String(), name: secret.RedactURL(u.String()), client: netcheck.NewHTTPClient()}
}

func (c *httpCheck) Name() string { return c.name }

func (c *httpCheck) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "otter-entrypoint-readiness")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", c.name, netcheck.UnwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("GET %s: status %d", c.name, resp.StatusCode)
	}
	// A server that sent its status line but not yet its whole page is not
	// ready: the body is read to its end under ctx.
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("GET %s: status %d, but the answer did not arrive whole: %w", c.name, resp.StatusCode, netcheck.UnwrapURLError(err))
	}
	if n > maxBody {
		return fmt.Errorf("GET %s: status %d, but the answer is longer than %d bytes; point ENTRYPOINT_READY_CHECK at a small page", c.name, resp.StatusCode, maxBody)
	}
	return nil
}

// tcpCheck: the port accepts a connection.
type tcpCheck struct{ addr string }

func (c *tcpCheck) Name() string { return "tcp://" + c.addr }

func (c *tcpCheck) Check(ctx context.Context) error { return netcheck.DialTCP(ctx, c.addr) }

// logCheck: a line containing text was written to file since Begin.
type logCheck struct {
	file, text string

	mu    sync.Mutex
	fl    *logtail.Follower
	found bool
}

func newLogCheck(file, text string) *logCheck {
	return &logCheck{file: file, text: text, fl: logtail.NewFollower(file, true)}
}

func (c *logCheck) Name() string { return "log:" + c.file + ":" + c.text }

// Begin takes the starting point: lines already in the file are old.
func (c *logCheck) Begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fl.Begin()
}

func (c *logCheck) Check(_ context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.found {
		return nil
	}
	text := []byte(c.text)
	err := c.fl.Poll(func(lines []byte) {
		if !c.found && bytes.Contains(lines, text) { // text has no newline: a match never spans two lines
			c.found = true
		}
	})
	if c.found {
		c.fl.Close()
		return nil
	}
	if err != nil {
		return fmt.Errorf("%q not seen yet in %s: %w", c.text, c.file, err)
	}
	return fmt.Errorf("%q not seen yet in %s", c.text, c.file)
}
