// Package wire holds what the transport packages share on the wire: the
// header every measured message carries (sequence number and send time),
// the length prefix that turns TCP's byte stream into messages, the clock
// both ends stamp with, and the fill pattern bulk transfers are checked
// against.
//
// It is internal: the format is netmatrix's own and changes with it.
//
//	buf := make([]byte, 160)
//	wire.PutHeader(buf, wire.Header{Seq: 7, Sent: wire.Now()})
//	h, err := wire.ParseHeader(buf)
package wire
