//go:build !unix

package main

// serveChild has no descriptor limit to set outside Unix.
func serveChild() (code int, isChild bool) { return 0, false }
