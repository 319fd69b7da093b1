package main

import "os"

// usernsEnv marks the compare that a compare without root started as
// root of a user namespace (rootless_linux.go): it builds the kernel path
// there as root would, and never starts another.
const usernsEnv = "NMX_USERNS"

// usernsChild is whether this process is that compare. The mark leaves
// the environment as the program starts, so that what -exec runs (compare
// itself, perhaps) does not take it for its own.
var usernsChild = takeEnv(usernsEnv)

// takeEnv reports whether the environment variable name is "1", and
// removes it.
func takeEnv(name string) bool {
	v := os.Getenv(name)
	os.Unsetenv(name)
	return v == "1"
}
