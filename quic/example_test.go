package quic_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"netmatrix/quic"
)

// A QUIC echo server and a client sending one message as a datagram, both
// on loopback sockets. Server and client in one process trust each other
// through DefaultIdentity with no setup.
func ExampleDialEcho() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	spc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- (&quic.EchoServer{}).Serve(ctx, spc) }()

	cpc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	c, err := quic.DialEcho(ctx, cpc, spc.LocalAddr().String(), quic.Datagrams, nil)
	if err != nil {
		panic(err)
	}
	if err := c.WriteMsg([]byte("hello, datagram")); err != nil {
		panic(err)
	}
	reply := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.ReadMsg(reply)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", reply[:n])
	c.Close()
	cancel()
	<-done
	// Output: hello, datagram
}
