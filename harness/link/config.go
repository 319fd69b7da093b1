package link

import "time"

// Config is the impairment of one direction of a link. The zero value is a
// perfect link: no loss, no delay, unlimited rate.
type Config struct {
	Loss      float64       // share of packets lost, 0..1
	BurstLen  float64       // mean loss burst length in packets; <= 1 means independent (Bernoulli) loss
	Delay     time.Duration // one-way delay
	Jitter    time.Duration // spread of the delay
	Reorder   float64       // share of packets sent ahead of the queue, 0..1
	Duplicate float64       // share of packets duplicated, 0..1
	Bandwidth int64         // bits per second; 0 means unlimited
	Queue     int           // packets the rate limiter holds before tail drop; 0 means a default
	MTU       int           // largest IP packet; 0 means 1500
}

// Counters is what one direction of a link did to packets.
type Counters struct {
	Packets    uint64 // offered to the link
	Forwarded  uint64 // delivered to the far side (duplicates included)
	Lost       uint64 // dropped by the loss model
	QueueDrops uint64 // dropped at a full rate-limit queue
	Duplicated uint64
	Reordered  uint64
	Delayed    uint64 // held for a nonzero delay
	TooBig     uint64 // dropped for exceeding the MTU
	Bytes      uint64 // forwarded bytes
}
