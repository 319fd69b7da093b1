// Package metrics turns what a receiver saw into the numbers netmatrix
// reports: latency distributions in HDR histograms, RFC 3550 interarrival
// jitter, RFC 4737 reordering, loss, duplicates and head-of-line delay.
//
// The functions are pure: they take the sequence numbers and times a sink
// recorded, so each one can be checked against a sequence worked by hand.
//
// Head-of-line delay on an ordered byte stream comes from the byte ranges
// the receiving transport got and when (HeadOfLine), not from the
// application's delivery times:
//
//	msgs, err := metrics.HeadOfLine(arrivals, metrics.Framing{Start: 1, Size: wire.FramePrefixLen + size}, sent)
//	hol := metrics.HOLHistogram(msgs).Summary()
package metrics
