package main

import "fmt"

// cmdRender is owned by the propsfile work (issue: otter.properties rendering).
func cmdRender(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "otter-entrypoint: render is not built yet")
	return exitFailure
}
