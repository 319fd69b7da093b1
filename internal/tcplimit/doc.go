// Package tcplimit says what held a TCP sender back, and for how long:
// the reading behind a bulk row's limited_by.
//
// A Look is one glance at a sender in its own stack's terms (bytes in
// flight and unsent, the peer's window, the congestion window, the send
// buffer). Look.Class puts it in one class: a loss under repair first
// (Recovery), whatever window its hole left full; otherwise in
// the order Linux's tcp_write_xmit tests them: the peer's receive
// window, then the congestion window; with room in both, data not yet sent is the stack's
// own delay, and no data to send is the send buffer while the writer is
// still blocked on it, otherwise the writer falling behind. A Clock
// charges the time from each look to the next to the class of the first,
// and Verdict names the limit of a whole run from those times and what
// the path saw.
//
// Linux keeps three such clocks itself (TCP_INFO's tcpi_busy_time,
// tcpi_rwnd_limited and tcpi_sndbuf_limited), but its send-buffer clock
// runs only while the write queue is empty and the writer blocked, which
// misses a flow whose whole buffer is in flight: 3% send-buffer-limited
// at 427 Mbit/s on 1 Gbit/s x 50 ms, where a larger SO_SNDBUF gave 901.
// So every path looks at the sender (the emulated path after every ACK,
// through gVisor's TCP probe; the kernel path and loopback every few
// milliseconds, through TCP_INFO and SO_MEMINFO) and the same rules
// classify what each saw.
//
//	var c tcplimit.Clock
//	c.Observe(now, look) // at every look
//	c.Stop(end)          // when the writer is done
//	limit := tcplimit.Verdict(c.Times(), tcplimit.Path{LinkUse: 0.97, Relay: true}) // "link"
package tcplimit
