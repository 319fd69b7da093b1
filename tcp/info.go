package tcp

// An InfoWatch keeps hold of a TCP connection's socket so that what the
// kernel knows of it can be read after the connection has closed (Watch).
// The zero of a watch that sees nothing is safe to use: Info returns nil
// and Release does nothing.
type InfoWatch struct {
	fd int // a duplicate of the socket's descriptor; -1 for none
}
