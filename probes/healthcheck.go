package probes

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"otter-entrypoint/internal/netcheck"
	"strings"
)

// ClientAddress turns an ENTRYPOINT_LISTEN value into the address to reach
// it from inside the container: ":9779" and "0.0.0.0:9779" (and "[::]:9779")
// become 127.0.0.1:9779.
func ClientAddress(listen string) (string, error) {
	if ListenDisabled(listen) {
		return "", settingErrorf("ENTRYPOINT_LISTEN=%q: the probes server is off, so there is nothing to ask", listen)
	}
	host, port, err := net.SplitHostPort(strings.TrimSpace(listen))
	if err != nil {
		return "", settingErrorf("ENTRYPOINT_LISTEN=%q: not [host]:port (%v)", listen, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Healthcheck asks the running entrypoint's endpoint ("livez" or "readyz";
// the caller checks the name) and returns nil on 200, else an error with the
// answer's first line. ctx bounds the request.
func Healthcheck(ctx context.Context, listen, endpoint string) error {
	addr, err := ClientAddress(listen)
	if err != nil {
		return err
	}
	url := "http://" + addr + "/" + endpoint
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, netcheck.UnwrapURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d: %s", url, resp.StatusCode, first)
	}
	return nil
}
