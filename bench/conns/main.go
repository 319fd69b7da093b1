// Command conns holds many keep-alive HTTP connections open against one
// server, so a script can measure what each costs the server.
//
// It opens -n connections to -addr, sends one GET on each and reads the
// response, prints "held N", then waits for a line on stdin. It then sends
// a second GET on every connection, to prove the server kept them all,
// prints "alive N" and exits.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address (loopback)")
	n := flag.Int("n", 10000, "connections to hold")
	path := flag.String("path", "/hello", "path to request")
	flag.Parse()

	req := "GET " + *path + " HTTP/1.1\r\nHost: " + *addr + "\r\n\r\n"
	conns := make([]net.Conn, *n)
	readers := make([]*bufio.Reader, *n)
	var held atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256) // don't overflow the listen backlog
	for i := range *n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", *addr, 10*time.Second)
			if err != nil {
				return
			}
			br := bufio.NewReaderSize(c, 512)
			if roundTrip(c, br, req) {
				conns[i], readers[i] = c, br
				held.Add(1)
			} else {
				c.Close()
			}
		})
	}
	wg.Wait()
	fmt.Printf("held %d\n", held.Load())

	bufio.NewReader(os.Stdin).ReadString('\n')

	var alive atomic.Int64
	for i, c := range conns {
		if c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if roundTrip(c, readers[i], req) {
				alive.Add(1)
			}
			c.Close()
		})
	}
	wg.Wait()
	fmt.Printf("alive %d\n", alive.Load())
}

func roundTrip(c net.Conn, br *bufio.Reader, req string) bool {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, req); err != nil {
		return false
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == 200
}
