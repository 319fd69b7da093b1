// Package bufs lends byte buffers by size class, and read buffers that
// grow with what arrives.
//
// A server that gave every connection its largest buffer up front would
// pay for it per connection, busy or not: 64 KiB for each idle echo
// client, half a megabyte for each bulk one that sent a byte and went
// quiet. A Buf starts at MinSize and trades itself for one twice as large
// each time a read fills it, up to its limit, so a connection holds about
// as much as it has had to read at once, and a busy one reaches full size
// within a few reads. Buffers come from a pool per power-of-two size, so
// once the pools are warm a trade costs no allocation.
//
//	b := bufs.New(64 << 10)
//	defer b.Release()
//	for {
//		n, err := r.Read(b.Bytes())
//		use(b.Bytes()[:n])
//		b.Filled(n)
//		...
//	}
package bufs
