//go:build !linux

package tcp

import "net"

// Watch has no kernel to ask here: the watch it returns reports nothing.
func Watch(net.Conn) *InfoWatch { return &InfoWatch{fd: -1} }

// Info reports nothing outside Linux.
func (w *InfoWatch) Info() map[string]uint64 { return nil }

// Release does nothing outside Linux.
func (w *InfoWatch) Release() {}
