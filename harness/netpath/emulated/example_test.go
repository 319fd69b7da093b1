package emulated_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/emulated"
)

// Two hosts on a link that loses 2% of packets each way: TCP still
// delivers every byte, and the path says what it cost.
func ExampleNew() {
	ctx := context.Background()
	spec, err := link.Profile("lossy")
	if err != nil {
		panic(err)
	}
	p, err := emulated.New(ctx, spec, netpath.Options{})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	ln, err := p.Server().Listen(ctx, "tcp", net.JoinHostPort(p.ServerHost(), "7"))
	if err != nil {
		panic(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo, RFC 862
	}()

	c, err := p.Client().Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello over a lossy link")
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(c, buf, len("hello over a lossy link"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s (from %s)\n", buf[:n], c.RemoteAddr())
	st, ok := p.Stats()
	fmt.Println(ok, st.Up.Packets > 0, st.Down.Packets > 0)
	// Output:
	// hello over a lossy link (from 10.0.0.2:7)
	// true true true
}
