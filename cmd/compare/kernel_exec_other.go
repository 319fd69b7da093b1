//go:build !linux

package main

import (
	"context"
	"fmt"
	"io"

	"netmatrix/harness/netpath/kernel"
)

// execOnKernel cannot run here: kernelFirst stops before it, as
// kernel.Supported fails off Linux.
func (c *compareCmd) execOnKernel(_ context.Context, _, stderr io.Writer) int {
	fmt.Fprintf(stderr, "compare: -exec: %v\n", kernel.Supported())
	return exitFail
}
