package main

import "fmt"

// cmdManager and cmdNode launch Otter (issue: manager and node).
func cmdManager(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "otter-entrypoint: manager is not built yet")
	return exitFailure
}

func cmdNode(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "otter-entrypoint: node is not built yet")
	return exitFailure
}
