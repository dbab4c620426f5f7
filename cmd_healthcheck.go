package main

import "fmt"

// cmdHealthcheck is owned by the probes work.
func cmdHealthcheck(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "otter-entrypoint: healthcheck is not built yet")
	return exitFailure
}
