// Package netcheck holds the network primitives that the readiness check
// (probes) and the wait for dependencies (prestart) share: one HTTP client
// for probing, one TCP dial, and the parsing and redaction of the addresses
// users give.
package netcheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"otter-entrypoint/internal/secret"
)

// Timeout bounds a probe's connect and TLS handshake.
const Timeout = 2 * time.Second

// NewHTTPClient is the HTTP client of readiness checks and dependency
// waits: no proxy, no keep-alive, no redirects followed, TLS unverified.
func NewHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // a probe of 127.0.0.1 must not go through HTTP_PROXY
		DialContext:         (&net.Dialer{Timeout: Timeout}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // like kubelet's probes
		DisableKeepAlives:   true,
		MaxIdleConns:        1,
		TLSHandshakeTimeout: Timeout,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// UnwrapURLError drops net/http's "Get <url>:" wrapper.
func UnwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// DialTCP succeeds when addr accepts a TCP connection.
func DialTCP(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect %s: %w", addr, err)
	}
	return conn.Close()
}

// ShortNetError drops the "dial tcp 1.2.3.4:5:" prefix repeated in logs.
func ShortNetError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// ParseHostPort checks host:port (IPv6 in brackets) and returns it.
func ParseHostPort(s string) (string, error) {
	if strings.Contains(s, "@") {
		// user:password@host:port would be split at the password's colon.
		return "", fmt.Errorf("%q: user info (user:password@) has no place in host:port", secret.RedactURL(s))
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port", secret.RedactURL(s))
	}
	if host == "" {
		return "", fmt.Errorf("%q has no host", secret.RedactURL(s))
	}
	if strings.ContainsAny(host, "/?#@ ") {
		return "", fmt.Errorf("%q: bad host %q", secret.RedactURL(s), secret.RedactURL(host))
	}
	if err := ValidPort(port, false); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, port), nil
}

// ValidPort checks a port number; an empty port is accepted when optional.
func ValidPort(port string, optional bool) error {
	if port == "" && optional {
		return nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}
