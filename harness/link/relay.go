package link

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// A Relay moves packets between two endpoints through an impaired link,
// in the manner of quic-go's integration-test proxy: each direction
// decides a packet's fate as it arrives and holds it in a time-sorted
// queue until its release time. One goroutine per direction delivers,
// even packets due at once: delivering on the sender's goroutine would
// do the receiving stack's work inside the sending stack's locks, which
// halved TCP throughput between two netstacks (about 210 against 500
// MB/s), while the hand-off is paid once per batch of due packets.
//
// Only a rate limit bounds what a direction holds (its Queue); a delay
// line alone holds whatever the senders put in it over the delay, as a
// long fibre would.
type Relay struct {
	start  time.Time
	lanes  [2]lane
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// lane is one direction of the relay.
type lane struct {
	out Endpoint
	// The writer sleeps on wake while the queue is empty (a packet
	// arriving wakes it at once, cheaply) and on alarm while the head is
	// not yet due (the alarm rings at its time).
	wake  chan struct{}
	alarm alarm

	mu      sync.Mutex
	model   *Model
	q       timeQueue
	seq     uint64
	closed  bool
	decided Counters // what the model did; Forwarded and Bytes stay zero
	asleep  sleep    // how the writer sleeps, if it does

	forwarded, bytes atomic.Uint64
	late             Lateness // how late the writer handed packets over

	tap atomic.Pointer[laneTap] // see SetTap; nil when none
}

// NewRelay starts a relay of spec between client and server: packets the
// client sends go Up to the server, the server's go Down to the client.
// It runs until ctx ends or Close is called.
func NewRelay(ctx context.Context, spec Spec, client, server Endpoint) (*Relay, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("link: relay: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Relay{start: time.Now(), cancel: cancel}
	for d, out := range [2]Endpoint{Up: server, Down: client} {
		l := &r.lanes[d]
		l.out = out
		l.model = spec.Model(Dir(d))
		l.wake = make(chan struct{}, 1)
		l.alarm = newAlarm()
		r.wg.Go(func() { l.run(ctx, r.now) })
	}
	return r, nil
}

// now is the link's clock: time since the relay started.
func (r *Relay) now() time.Duration { return time.Since(r.start) }

// Send offers p to direction d and takes ownership of it. It never
// blocks on the link: the direction's goroutine delivers p when due.
func (r *Relay) Send(d Dir, p Packet) {
	l := &r.lanes[d]
	size := p.Len()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		p.Release()
		return
	}
	// Read the clock under the lock, so arrivals never go back in time.
	t := r.now()
	f := l.model.Decide(t, size)
	l.decided.Count(&f)
	if f.Drop != DropNone {
		l.mu.Unlock()
		p.Release()
		return
	}
	switch {
	case l.asleep == onEmpty:
		l.asleep = awake
		select {
		case l.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	case l.asleep == onHead && f.Release < l.q.peek().at:
		// A new head, earlier than the one the alarm is set for. Set
		// under the lock, so that it replaces the writer's setting,
		// never the reverse.
		l.alarm.set(f.Release - t)
	}
	for range f.Copies {
		l.seq++
		l.q.push(held{at: f.Release, seq: l.seq, p: p.Clone()})
	}
	l.seq++
	l.q.push(held{at: f.Release, seq: l.seq, p: p})
	l.mu.Unlock()
}

// Pump reads packets from src and sends them in direction d until ctx
// ends or src fails; it is how a read-style endpoint (a TUN device) feeds
// the relay.
func (r *Relay) Pump(ctx context.Context, d Dir, src Source) error {
	for {
		p, err := src.ReadPacket(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("link: pump %v: %w", d, err)
		}
		r.Send(d, p)
	}
}

// Counters reports what direction d did so far.
func (r *Relay) Counters(d Dir) Counters {
	l := &r.lanes[d]
	l.mu.Lock()
	c := l.decided
	l.mu.Unlock()
	c.Forwarded = l.forwarded.Load()
	c.Bytes = l.bytes.Load()
	return c
}

// Lateness is how late the relay handed packets over, both directions
// together: the emulator's own delay on top of the link's, which a
// figure measured through it cannot tell from the transport's.
func (r *Relay) Lateness() LatenessSummary {
	var l Lateness
	for d := range r.lanes {
		l.Merge(&r.lanes[d].late)
	}
	return l.Summary()
}

// Close stops the relay and waits for its goroutines. Packets still held
// are released, not delivered: the link goes down with them in flight.
func (r *Relay) Close() error {
	r.cancel()
	r.wg.Wait()
	return nil
}

// deliver hands p to the far endpoint and counts it if taken.
func (l *lane) deliver(p Packet) {
	n := p.Len()
	l.observe(p)
	if l.out.WritePacket(p) == nil {
		l.forwarded.Add(1)
		l.bytes.Add(uint64(n))
	}
}

// trainSlack is how early the relay may hand over a packet that follows
// one due now: Linux's default timer slack for a task, by which its own
// timers may fire late. Only trains feel it, packets that leave a rate
// limit back to back above about 240 Mbit/s (a full-size packet every
// 50 µs); a packet on its own is handed over when due.
const trainSlack = 50 * time.Microsecond

// sleep is how a lane's writer sleeps.
type sleep int

const (
	awake   sleep = iota
	onEmpty       // on wake, for a packet
	onHead        // on the alarm, for the head's time
)

// run is the lane's writer: it delivers held packets when they are due.
func (l *lane) run(ctx context.Context, now func() time.Duration) {
	defer l.shut()
	var batch []held
	for {
		l.mu.Lock()
		t := now()
		if l.q.empty() {
			// Nothing held: sleep until Send wakes us.
			l.asleep = onEmpty
			l.mu.Unlock()
			select {
			case <-l.wake:
			case <-ctx.Done():
				return
			}
			continue
		}
		if l.q.peek().at > t {
			// Nothing due: sleep until the head is, or an earlier one
			// comes (Send sets the alarm for it).
			l.asleep = onHead
			l.alarm.set(l.q.peek().at - t)
			l.mu.Unlock()
			if !l.alarm.wait(ctx) {
				return
			}
			continue
		}
		l.asleep = awake
		// Take everything due in one go, so a burst costs one wake-up,
		// and the packets of a train close behind it: those due within
		// trainSlack. A rate limit spaces a full-size packet 12 µs apart
		// at 1 Gbit/s, and a wake-up per packet (a timerfd set, a poll,
		// a read) took a third of the CPU a 1 Gbit/s flow had.
		for !l.q.empty() && l.q.peek().at <= t+trainSlack {
			batch = append(batch, l.q.pop())
		}
		l.mu.Unlock()
		for i := range batch {
			// Early (a train's tail) counts as on time.
			l.late.record(max(now()-batch[i].at, 0))
			l.deliver(batch[i].p)
			batch[i] = held{}
		}
		batch = batch[:0]
	}
}

// shut closes the lane and releases what it still holds.
func (l *lane) shut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.alarm.close()
	for !l.q.empty() {
		l.q.pop().p.Release()
	}
}
