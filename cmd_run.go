package main

import "fmt"

func cmdRun(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "otter-entrypoint: run is not built yet")
	return exitFailure
}
