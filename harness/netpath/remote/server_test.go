package remote

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/harness"
	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/netpath"
	"netmatrix/internal/testutil"
	"netmatrix/results"
	"netmatrix/results/resultstest"
	"netmatrix/tcp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testKey is the key of the tests' servers.
var testKey = Key("a key for the tests, 32 bytes lo")

// server runs a control Server on loopback for the test, behind a
// Splitter that shares its port with a TCP echo server as compare serve
// does, and returns its address and the server (to set before use:
// start is called by the test once it has).
func server(t *testing.T, tune func(*Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &Server{Key: testKey, Host: "127.0.0.1", Halves: harness.LocalServer}
	if tune != nil {
		tune(srv)
	}
	testutil.Serve(t, func(ctx context.Context) error {
		split := Split(ln, func(c net.Conn) { srv.ServeConn(ctx, c) })
		defer split.Wait()
		return (&tcp.EchoServer{}).Serve(ctx, split)
	})
	return ln.Addr().String()
}

// dial opens a session with the test key.
func dial(t *testing.T, addr string) *Session {
	t.Helper()
	s, err := Dial(t.Context(), addr, testKey)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// remoteRun runs cfg over a session's path as compare -remote does.
func remoteRun(t *testing.T, s *Session, cfg harness.Config) results.Record {
	t.Helper()
	recs, err := harness.Run(t.Context(), []harness.Scenario{{
		Record:  results.Scenario{Name: "remote 127.0.0.1", Link: "remote"},
		NewPath: func(context.Context, netpath.Use) (netpath.Path, error) { return s.Path(), nil },
	}}, cfg, nil)
	require.NoError(t, err)
	return recs[0]
}

// Every workload over every transport, both ways at once, with the server
// halves across the control channel: every row complete, and the one-way
// delays carry the clock's bound.
func TestEveryRowOverARemotePath(t *testing.T) {
	s := dial(t, server(t, nil))
	rec := remoteRun(t, s, harness.Config{Count: 30, Interval: 2 * time.Millisecond, Duration: 200 * time.Millisecond,
		BulkRate: 50e6, Direction: harness.Bidir})
	got := map[string]bool{}
	for _, r := range rec.Results {
		key := r.Workload + "/" + r.Transport + "/" + r.Direction
		got[key] = true
		assert.Empty(t, r.Error, key)
		switch r.Workload {
		case catalog.Echo, catalog.HTTP:
			assert.EqualValues(t, 30, r.Delivered, key)
		case catalog.Stream:
			assert.EqualValues(t, 30, r.Delivered, key)
			require.NotNil(t, r.ClockBoundMs, key)
			assert.Less(t, *r.ClockBoundMs, 5.0, "%s: loopback's clocks agree closely", key)
			assert.Positive(t, r.LatencyMs.P50, key)
		case catalog.Bulk:
			require.NotNil(t, r.Verified, key)
			assert.True(t, *r.Verified, key)
			assert.Positive(t, r.Delivered, key)
			if r.Transport == catalog.TCP && runtime.GOOS == "linux" {
				// Either end's sender is followed where it runs: the
				// upload's here, the download's at the server.
				assert.NotNil(t, r.LimitedMs, "%s: the sender was followed", key)
				assert.NotEmpty(t, r.LimitedBy, key)
			}
		}
		assert.Nil(t, r.Path, "%s: a real network shows no one its packets", key)
	}
	assert.Len(t, got, 5+10+8+1, "echo 5, stream 5×2, bulk 4×2, http 1")
	var b strings.Builder
	require.NoError(t, results.WriteJSON(&b, []results.Record{rec}))
	resultstest.RequireSchema(t, []byte(b.String()))
}

// A wrong key is refused within the handshake, saying so; the server goes
// on serving the right one.
func TestWrongKeyIsRefusedAtOnce(t *testing.T) {
	addr := server(t, nil)
	start := time.Now()
	_, err := Dial(t.Context(), addr, Key("another key, just as long as it"))
	assert.ErrorIs(t, err, ErrWrongKey)
	assert.Contains(t, err.Error(), "holds a different key")
	assert.Less(t, time.Since(start), time.Second)
	dial(t, addr)
}

// A client of another protocol version is told so at the hello, in a
// sentence that names both, before anything it could misread; the server
// goes on serving its own version.
func TestOtherVersionIsRefusedAtTheHello(t *testing.T) {
	addr := server(t, nil)
	conf, err := testKey.ClientTLS()
	require.NoError(t, err)
	c, typ, v := sayHello(t, addr, conf, Version-1)
	defer c.Close()
	require.Equal(t, tError, typ)
	assert.Contains(t, v.(*errorMsg).Message, fmt.Sprintf("control protocol %d, not %d", Version, Version-1))
	dial(t, addr)
}

// One session at a time: another client is told the server is busy, at
// once, and gets it once the first has gone.
func TestBusyServerSaysSoAtOnce(t *testing.T) {
	addr := server(t, nil)
	first, err := Dial(t.Context(), addr, testKey)
	require.NoError(t, err)
	start := time.Now()
	_, err = Dial(t.Context(), addr, testKey)
	assert.ErrorIs(t, err, ErrBusy)
	assert.Less(t, time.Since(start), time.Second)
	first.Close()
	require.Eventually(t, func() bool {
		s, err := Dial(t.Context(), addr, testKey)
		if err == nil {
			s.Close()
		}
		return err == nil
	}, 5*time.Second, 50*time.Millisecond)
}

// Fifty connections that say nothing, and fifty that stop in the middle
// of a TLS handshake, do not delay a real client or its test.
func TestIdleConnectionsDoNotDelayATest(t *testing.T) {
	addr := server(t, nil)
	// The time a test takes with the port to itself.
	start := time.Now()
	s := dial(t, addr)
	remoteRun(t, s, harness.Config{Workloads: []string{catalog.Echo}, Transports: []string{catalog.TCP, catalog.UDP}, Count: 50})
	s.Close()
	alone := time.Since(start)

	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	hello := clientHelloStart(t)
	for i := range 100 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		if i%2 == 1 {
			_, err = c.Write(hello) // a handshake begun and never ended
			require.NoError(t, err)
		}
		idle = append(idle, c)
	}
	start = time.Now()
	s = dial(t, addr)
	rec := remoteRun(t, s, harness.Config{Workloads: []string{catalog.Echo}, Transports: []string{catalog.TCP, catalog.UDP}, Count: 50})
	crowded := time.Since(start)
	for _, r := range rec.Results {
		assert.EqualValues(t, 50, r.Delivered, r.Transport)
	}
	t.Logf("a session and its test took %v alone, %v among 100 idle connections", alone, crowded)
	assert.Less(t, crowded, alone+time.Second)
}

// clientHelloStart is the first bytes of a real TLS ClientHello: enough
// for the port to take the connection for the control channel's.
func clientHelloStart(t *testing.T) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go tls.Client(a, &tls.Config{InsecureSkipVerify: true}).Handshake()
	buf := make([]byte, 64)
	n, err := b.Read(buf)
	require.NoError(t, err)
	return buf[:n]
}

// The port is still the RFC 862 echo for anything that is not TLS.
func TestSharedPortStillEchoes(t *testing.T) {
	addr := server(t, nil)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("hello\n"))
	require.NoError(t, err)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(buf[:n]))
}

// Authenticated but broken: a client that sends what is not a message,
// or stops in the middle of one, has its session ended within the
// server's timeouts, and the server is free for the next.
func TestMalformedMessagesEndTheSessionNotTheServer(t *testing.T) {
	addr := server(t, func(s *Server) {
		s.t = timeouts{handshake: 500 * time.Millisecond, idle: 500 * time.Millisecond, body: 200 * time.Millisecond}
	})
	conf, err := testKey.ClientTLS()
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		send []byte
	}{
		{"an unknown type", frame('?', `{}`)},
		{"a length past the limit", withLength(tStart, 1<<30)},
		{"a body cut short", append(withLength(tStart, 100), `{"id":1,`...)},
		{"a header cut short", []byte{byte(tPing), 0}},
		{"a reply's type", frame(tWelcome, `{"version":1}`)},
		{"not JSON", frame(tStart, "\x00\x01\x02")},
		{"nothing at all", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := welcomed(t, addr, conf)
			defer c.Close()
			_, err := c.Write(tc.send)
			require.NoError(t, err)
			start := time.Now()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for err == nil {
				_, err = c.Read(make([]byte, 1<<16)) // an error reply, then the end
			}
			assert.Less(t, time.Since(start), 2*time.Second, "the session ended: %v", err)
			welcomed(t, addr, conf).Close() // the server is free
		})
	}
	t.Run("TLS garbage", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		c.Write(append([]byte{0x16, 0x03, 0x01, 0xff, 0xff}, make([]byte, 100)...))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 64))
		for err == nil {
			_, err = c.Read(make([]byte, 64))
		}
		welcomed(t, addr, conf).Close()
	})
}

// sayHello opens a control connection by hand, says hello in protocol
// version, and returns the connection with the server's answer.
func sayHello(t *testing.T, addr string, conf *tls.Config, version int) (*tls.Conn, msgType, any) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, conf)
	require.NoError(t, err)
	hi, err := encode(tHello, &hello{Version: version})
	require.NoError(t, err)
	_, err = c.Write(hi)
	require.NoError(t, err)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, v, err := decode(c, replies, nil)
	require.NoError(t, err)
	return c, typ, v
}

// welcomed opens a session by hand and returns it once welcomed: when the
// server has freed itself of the session before (which it does as soon as
// it sees that session's end, a moment after its client does).
func welcomed(t *testing.T, addr string, conf *tls.Config) *tls.Conn {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		c, typ, _ := sayHello(t, addr, conf, Version)
		if typ == tWelcome {
			c.SetReadDeadline(time.Time{})
			return c
		}
		c.Close() // busy yet
	}
	t.Fatal("the server stayed busy")
	return nil
}

// What a session may ask for is bounded by the server's limits.
func TestLimitsRefuseTooMuch(t *testing.T) {
	s := dial(t, server(t, func(s *Server) { s.Limits = Limits{MaxDuration: 2 * time.Second, MaxBytes: 1 << 20, MaxCount: 100} }))
	for _, spec := range []half.Spec{
		{Workload: catalog.Bulk, Transport: catalog.TCP, Duration: time.Minute},
		{Workload: catalog.Bulk, Transport: catalog.TCP, Direction: half.Down, Bytes: 1 << 30},
		{Workload: catalog.Stream, Transport: catalog.UDP, Count: 1000},
		{Workload: catalog.Stream, Transport: catalog.UDP, Count: 100, Interval: time.Second},
		{Workload: catalog.HTTP, Transport: catalog.UDP},
		{Workload: catalog.Bulk, Transport: catalog.TCP, Cap: 1},
	} {
		_, err := s.Start(t.Context(), spec)
		assert.Error(t, err, "%+v", spec)
	}
	// A time-limited download stops at the cap, whatever its duration.
	rec := remoteRun(t, s, harness.Config{Workloads: []string{catalog.Bulk}, Transports: []string{catalog.TCP},
		Direction: half.Down, Duration: time.Second, Count: 100})
	r := rec.Results[0]
	assert.Empty(t, r.Error)
	assert.LessOrEqual(t, r.Sent, int64(1<<20), "the server sent no more than its cap")
}

// Cut short (Ctrl-C), a remote run ends within a second or so, its rows
// marked interrupted, and the server is free again.
func TestInterruptedRemoteRunEndsPromptly(t *testing.T) {
	addr := server(t, nil)
	s := dial(t, addr)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	recs, err := harness.Run(ctx, []harness.Scenario{{
		Record:  results.Scenario{Name: "remote 127.0.0.1", Link: "remote"},
		NewPath: func(context.Context, netpath.Use) (netpath.Path, error) { return s.Path(), nil },
	}}, harness.Config{Workloads: []string{catalog.Stream, catalog.Bulk}, Transports: []string{catalog.TCP, catalog.UDP},
		Direction: harness.Bidir, Count: 1000, Interval: 10 * time.Millisecond, Duration: 10 * time.Second}, nil)
	took := time.Since(start)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, took, 2500*time.Millisecond, "stopped soon after the interrupt")
	for _, r := range recs[0].Results {
		assert.True(t, r.Interrupted, "%s/%s %s", r.Workload, r.Transport, r.Direction)
	}
	s.Close()
	require.Eventually(t, func() bool {
		s2, err := Dial(t.Context(), addr, testKey)
		if err == nil {
			s2.Close()
		}
		return err == nil
	}, 5*time.Second, 50*time.Millisecond, "the server is free")
}
