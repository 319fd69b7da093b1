package wire

import "encoding/binary"

// sockperf's message header (its src/message.h): a 64-bit sequence number,
// 16 bits of flags and the 32-bit length of the whole message, all in
// network byte order, 14 bytes with no padding between the fields.
const (
	SockperfHeaderLen = 14
	sockperfClient    = 1 // set by the client; a server clears it in its reply
	sockperfPong      = 2 // the client wants this message answered
)

// SockperfLen returns the whole-message length a sockperf header announces.
func SockperfLen(h []byte) int { return int(binary.BigEndian.Uint32(h[10:14])) }

// SockperfReply turns a sockperf message into its reply in place, as
// sockperf's own server does, and reports whether a reply is due: only
// messages with the pong flag are answered, and the reply has its client
// flag cleared so the client knows it came from a server.
func SockperfReply(msg []byte) bool {
	if len(msg) < SockperfHeaderLen {
		return false
	}
	flags := binary.BigEndian.Uint16(msg[8:10])
	if flags&sockperfPong == 0 {
		return false
	}
	binary.BigEndian.PutUint16(msg[8:10], flags&^sockperfClient)
	return true
}

// PutSockperfHeader writes a client's sockperf header (client and pong
// flags set) for a message of n bytes, for tests and for clients that
// want to talk to sockperf's server.
func PutSockperfHeader(b []byte, seq uint64, n int) {
	binary.BigEndian.PutUint64(b[0:8], seq)
	binary.BigEndian.PutUint16(b[8:10], sockperfClient|sockperfPong)
	binary.BigEndian.PutUint32(b[10:14], uint32(n))
}
