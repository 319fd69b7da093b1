package udp

import (
	"context"
	"errors"
	"net"
)

// serveLoop reads batches from pc into ds and hands each to handle until
// ctx is done or a read fails. It closes pc before returning, which is
// also how a cancelled ctx interrupts a blocked read.
func serveLoop(ctx context.Context, pc net.PacketConn, pio packetIO, ds []dgram, handle func(n int) error) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	for {
		n, err := pio.readBatch(ds)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if err := handle(n); err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
	}
}
