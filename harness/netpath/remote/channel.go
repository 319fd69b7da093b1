package remote

import (
	"net"
	"sync"
	"time"
)

// channel is one end of the control channel: whole messages, each read
// and write under a deadline, writes from several goroutines one at a
// time.
type channel struct {
	c    net.Conn
	body time.Duration // to read the rest of a message; zero: bodyTimeout
	wmu  sync.Mutex
}

// read reads the next message of kinds, waiting up to idle for it to
// start and bodyTimeout for the rest.
func (ch *channel) read(kinds map[msgType]kind, idle time.Duration) (msgType, any, error) {
	ch.c.SetReadDeadline(time.Now().Add(idle))
	body := ch.body
	if body == 0 {
		body = bodyTimeout
	}
	return decode(ch.c, kinds, func() { ch.c.SetReadDeadline(time.Now().Add(body)) })
}

// write sends one message within writeTimeout.
func (ch *channel) write(t msgType, v any) error {
	b, err := encode(t, v)
	if err != nil {
		return err
	}
	if k, ok := replies[t]; ok && len(b)-headerLen > k.limit {
		return errTooLong
	}
	if k, ok := requests[t]; ok && len(b)-headerLen > k.limit {
		return errTooLong
	}
	ch.wmu.Lock()
	defer ch.wmu.Unlock()
	ch.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err = ch.c.Write(b)
	return err
}
