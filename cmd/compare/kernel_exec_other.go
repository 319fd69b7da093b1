//go:build !linux

package main

import (
	"context"
	"fmt"
	"io"

	"netmatrix/harness"
)

// execOnKernel cannot run here: kernelFirst stops before it, as
// harness.KernelSupported fails off Linux.
func (c *compareCmd) execOnKernel(_ context.Context, _, stderr io.Writer) int {
	fmt.Fprintf(stderr, "compare: -exec: %v\n", harness.KernelSupported())
	return exitFail
}
