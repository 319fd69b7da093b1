package tcp

// An InfoConn is a TCP connection that reports what its own stack knows of
// it, under TCP_INFO's names (a userspace stack's, say): Watch reads it
// instead of the kernel's.
type InfoConn interface {
	TCPInfo() map[string]uint64
}

// An InfoWatch keeps hold of a TCP connection's socket so that what the
// kernel knows of it can be read after the connection has closed (Watch).
// The zero of a watch that sees nothing is safe to use: Info returns nil
// and Release does nothing.
type InfoWatch struct {
	fd int // a duplicate of the socket's descriptor; -1 for none
	// conn reports for itself (InfoConn), not through the kernel.
	conn InfoConn
}
