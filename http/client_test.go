package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientRawBytes(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	var sent, received bytes.Buffer
	c := &Client{Sent: &sent, Received: &received, UserAgent: "test"}
	defer c.CloseIdle()
	resp, err := c.Get(testCtx(t), "http://"+addr+"/hello")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, "OK", resp.Reason)
	assert.Equal(t, "Hello, World!", string(resp.Body))
	assert.Equal(t, "GET /hello HTTP/1.1\r\nHost: "+addr+"\r\nUser-Agent: test\r\n\r\n", sent.String())
	assert.True(t, strings.HasPrefix(received.String(), "HTTP/1.1 200 OK\r\n"))
	assert.True(t, strings.HasSuffix(received.String(), "\r\n\r\nHello, World!"))
	assert.Equal(t, string(resp.Raw)+"Hello, World!", received.String())
	assert.Positive(t, resp.Timing.Connect)
	assert.Positive(t, resp.Timing.FirstByte)
	assert.GreaterOrEqual(t, resp.Timing.Total, resp.Timing.FirstByte)
}

func TestClientKeepAliveAndBodies(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	c := &Client{}
	defer c.CloseIdle()
	ctx := testCtx(t)
	resp, err := c.Get(ctx, "http://"+addr+"/stream")
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("0123456789", 10000), string(resp.Body), "chunked body decoded")
	assert.False(t, resp.Reused)

	resp, err = c.Do(ctx, &ClientRequest{Method: "POST", URL: "http://" + addr + "/echo", Body: []byte("sent body")})
	require.NoError(t, err)
	assert.Equal(t, "POST /echo\nsent body", string(resp.Body))
	assert.True(t, resp.Reused, "second request on the kept-alive connection")
	assert.Zero(t, resp.Timing.Connect)

	resp, err = c.Do(ctx, &ClientRequest{Method: "HEAD", URL: "http://" + addr + "/hello"})
	require.NoError(t, err)
	assert.Empty(t, resp.Body)
	assert.Equal(t, "13", resp.Header.Get("Content-Length"))

	resp, err = c.Get(ctx, "http://"+addr+"/missing")
	require.NoError(t, err)
	assert.Equal(t, 404, resp.Status)
}

// TestClientRetriesStaleConnection: a kept-alive connection the server has
// closed meanwhile is retried on a fresh one.
func TestClientRetriesStaleConnection(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{IdleTimeout: 50 * time.Millisecond})
	c := &Client{}
	defer c.CloseIdle()
	ctx := testCtx(t)
	_, err := c.Get(ctx, "http://"+addr+"/hello")
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // the server drops the idle connection
	resp, err := c.Get(ctx, "http://"+addr+"/hello")
	require.NoError(t, err)
	assert.Equal(t, "Hello, World!", string(resp.Body))
	assert.False(t, resp.Reused)
}

func TestClientTLS(t *testing.T) {
	cfg, err := SelfSignedTLS("127.0.0.1")
	require.NoError(t, err)
	addr, _ := startServerWith(t, &Server{Handler: testMux(), TLSConfig: cfg})
	var received bytes.Buffer
	c := &Client{TLSConfig: &tls.Config{RootCAs: CertPool(cfg)}, Received: &received}
	defer c.CloseIdle()
	resp, err := c.Get(testCtx(t), "https://"+addr+"/hello")
	require.NoError(t, err)
	assert.Equal(t, "Hello, World!", string(resp.Body))
	assert.Positive(t, resp.Timing.TLS)
	assert.Contains(t, received.String(), "HTTP/1.1 200 OK\r\n", "Received shows the decrypted text")

	// Without trusting the certificate, the handshake fails.
	_, err = (&Client{}).Get(testCtx(t), "https://"+addr+"/hello")
	assert.Error(t, err)
}

// TestClientCloseDelimited reads a response whose body ends when the
// server closes, from a hand-written server.
func TestClientCloseDelimited(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 1024)
		c.Read(buf)
		io.WriteString(c, "HTTP/1.0 200 OK\r\nX-Raw: yes\r\n\r\nuntil close")
	}()
	c := &Client{}
	resp, err := c.Get(testCtx(t), "http://"+ln.Addr().String()+"/")
	require.NoError(t, err)
	assert.Equal(t, "until close", string(resp.Body))
	assert.Equal(t, "yes", resp.Header.Get("x-raw"))
	<-done
}

func TestClientDialFunc(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	var dialed []string
	c := &Client{Dial: func(ctx context.Context, network, a string) (net.Conn, error) {
		dialed = append(dialed, a)
		var d net.Dialer
		return d.DialContext(ctx, network, addr) // any path: here, a redirect
	}}
	defer c.CloseIdle()
	resp, err := c.Get(testCtx(t), "http://example.invalid:80/hello")
	require.NoError(t, err)
	assert.Equal(t, "Hello, World!", string(resp.Body))
	assert.Equal(t, []string{"example.invalid:80"}, dialed)
}
