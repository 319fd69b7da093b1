// Package busypoll is the short busy-poll with which the tcp and udp
// packages read host sockets: a read that finds nothing keeps trying,
// yielding the CPU between tries, for up to a budget, and only then lets
// the netpoller park the goroutine. In a request/reply exchange the next
// message comes within the budget, so neither the netpoller's park and
// wake-up nor (when the peer runs on another CPU) the cross-CPU wake-up
// is paid per message.
//
// Both packages resolve their BusyPoll settings and spin here, so a TCP
// and a UDP reader wait alike.
package busypoll
