package udp

import (
	"context"
	"net"

	"netmatrix/internal/wire"
)

// Sink receives datagrams and reports each one's arrival.
type Sink struct {
	// OnMessage is called for every datagram with the time it was read;
	// datagrams read in one batch share that time. msg is valid only
	// during the call. Nil means datagrams are read and dropped.
	OnMessage func(msg []byte, arrived int64)
}

// Serve receives on pc until ctx is done or pc fails. It closes pc before
// it returns.
func (s *Sink) Serve(ctx context.Context, pc net.PacketConn) error {
	in := newMessages(batchSize, maxDatagram)
	return serveLoop(ctx, pc, in, func(n int) error {
		now := wire.Now()
		if s.OnMessage == nil {
			return nil
		}
		for i := range n {
			s.OnMessage(in[i].Buffers[0][:in[i].N], now)
		}
		return nil
	})
}
