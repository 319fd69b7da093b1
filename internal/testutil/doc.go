// Package testutil holds what the packages' tests share: finding an
// outside tool or skipping with a clear message, running one as a child
// that is always reaped, the two ends of a connection, and an echo.
package testutil
