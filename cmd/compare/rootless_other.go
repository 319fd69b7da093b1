//go:build !linux

package main

import (
	"context"
	"io"
)

// rootless does not apply: the kernel path needs Linux.
func (*compareCmd) rootless(context.Context, io.Writer, io.Writer) (int, bool) { return 0, false }
