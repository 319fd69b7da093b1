package udp

import (
	"context"
	"net"
	"time"

	"netmatrix/internal/busypoll"
	"netmatrix/internal/wire"
)

// Sink receives datagrams and reports each one's arrival.
type Sink struct {
	// OnMessage is called for every datagram with the time it was read;
	// datagrams read in one batch share that time. msg is valid only
	// during the call. Nil means datagrams are read and dropped.
	OnMessage func(msg []byte, arrived int64)
	// BusyPoll is how long a read on a host socket keeps trying, yielding
	// the CPU between tries, before it sleeps until a datagram comes.
	// Zero means 50 µs; a negative value sleeps at once.
	BusyPoll time.Duration
}

// Serve receives on pc until ctx is done or pc fails. It closes pc before
// it returns.
//
// On a host socket it reads batches with recvmmsg and asks for GRO, so a
// run of datagrams from one sender costs the kernel one buffer and the
// sink one copy; OnMessage still sees each datagram on its own.
func (s *Sink) Serve(ctx context.Context, pc net.PacketConn) error {
	if uc, ok := socketOf(pc).(*net.UDPConn); ok {
		growReadBuffer(uc)
	}
	ds := newDgrams(batchSize, maxDatagram)
	pio := newPacketIO(pc, ioOptions{gro: true, busyPoll: busypoll.Budget(s.BusyPoll)})
	return serveLoop(ctx, pc, pio, ds, func(n int) error {
		if s.OnMessage == nil {
			return nil
		}
		now := wire.Now()
		for i := range n {
			ds[i].each(func(msg []byte) { s.OnMessage(msg, now) })
		}
		return nil
	})
}
