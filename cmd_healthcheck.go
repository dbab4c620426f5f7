package main

import (
	"context"
	"fmt"
	"time"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/probes"
)

// healthcheckTimeout bounds the request; Docker's HEALTHCHECK default
// timeout is 30s, Kubernetes' exec probe default 1s.
const healthcheckTimeout = 3 * time.Second

// cmdHealthcheck asks the running entrypoint's own /livez (default) or
// /readyz and exits 0 on 200, 1 otherwise: a Docker HEALTHCHECK that needs
// no curl in the image.
func cmdHealthcheck(a *app, args []string) int {
	endpoint := "livez"
	switch len(args) {
	case 0:
	case 1:
		endpoint = args[0]
	default:
		fmt.Fprintln(a.stderr, "usage: otter-entrypoint healthcheck [livez|readyz]")
		return exit.Usage
	}
	if endpoint != "livez" && endpoint != "readyz" {
		fmt.Fprintf(a.stderr, "otter-entrypoint healthcheck: unknown endpoint %q; use livez or readyz\n", endpoint)
		return exit.Usage
	}
	listen := listenSetting(a)
	ctx, cancel := context.WithTimeout(context.Background(), healthcheckTimeout)
	defer cancel()
	if err := probes.Healthcheck(ctx, listen, endpoint); err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint healthcheck: %v\n", err)
		return exit.Failure
	}
	fmt.Fprintf(a.stdout, "%s ok\n", endpoint)
	return exit.OK
}
