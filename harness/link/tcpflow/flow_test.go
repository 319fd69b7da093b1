package tcpflow

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"netmatrix/harness/link"
	"netmatrix/harness/link/linktest"
	"netmatrix/harness/metrics"
)

const (
	syn    = header.TCPFlagSyn
	synAck = header.TCPFlagSyn | header.TCPFlagAck
	ack    = header.TCPFlagAck
	psh    = header.TCPFlagAck | header.TCPFlagPsh
	fin    = header.TCPFlagFin | header.TCPFlagAck
	rst    = header.TCPFlagRst
)

func arrival(at, off, n int64) metrics.ByteArrival {
	return metrics.ByteArrival{At: at, Offset: off, Length: n}
}

// Each case is a connection's packets in the order the link delivered
// them (time = position), and the data arrivals the flow must report.
func TestFlow(t *testing.T) {
	other := netip.MustParseAddrPort("10.77.0.1:40001")
	samePort := netip.MustParseAddrPort("10.77.0.1:7007") // a client port equal to the server's
	for _, tc := range []struct {
		name  string
		pkts  []pkt
		want  []metrics.ByteArrival
		early int
	}{
		{
			// The flow byte and two 204-byte messages; the SYN-ACK, ACKs
			// and the FIN carry nothing.
			name: "handshake, data, close",
			pkts: []pkt{
				{src: client, dst: server, seq: 1000, flags: syn},
				{src: server, dst: client, seq: 5000, flags: synAck},
				{src: client, dst: server, seq: 1001, flags: ack},
				{src: client, dst: server, seq: 1001, flags: psh, payload: 1},
				{src: client, dst: server, seq: 1002, flags: psh, payload: 204},
				{src: server, dst: client, seq: 5001, flags: ack},
				{src: client, dst: server, seq: 1206, flags: psh, payload: 204},
				{src: client, dst: server, seq: 1410, flags: fin},
			},
			want: []metrics.ByteArrival{arrival(3, 0, 1), arrival(4, 1, 204), arrival(6, 205, 204)},
		},
		{
			// The initial sequence number sits just below 2^32: data
			// crosses the wrap, and a retransmission from before it comes
			// after data past it.
			name: "sequence wraparound",
			pkts: []pkt{
				{src: client, dst: server, seq: 0xffffff00, flags: syn},
				{src: client, dst: server, seq: 0xffffff01, flags: psh, payload: 200},
				{src: client, dst: server, seq: 0xffffffc9, flags: psh, payload: 200}, // offset 200, crosses
				{src: client, dst: server, seq: 0x00000091, flags: psh, payload: 100}, // offset 400
				{src: client, dst: server, seq: 0xffffff01, flags: psh, payload: 200}, // offset 0 again
			},
			want: []metrics.ByteArrival{arrival(1, 0, 200), arrival(2, 200, 200), arrival(3, 400, 100), arrival(4, 0, 200)},
		},
		{
			// A retransmitted segment and the one it repairs, out of order.
			name: "loss, reordering and retransmission",
			pkts: []pkt{
				{src: client, dst: server, seq: 0, flags: syn},
				{src: client, dst: server, seq: 1, flags: psh, payload: 100},
				{src: client, dst: server, seq: 201, flags: psh, payload: 100},
				{src: client, dst: server, seq: 101, flags: psh, payload: 200}, // repacketised repair
			},
			want: []metrics.ByteArrival{arrival(1, 0, 100), arrival(2, 200, 100), arrival(3, 100, 200)},
		},
		{
			// Data on the SYN (TCP Fast Open) starts after the SYN's own
			// sequence number.
			name: "data on the SYN",
			pkts: []pkt{
				{src: client, dst: server, seq: 41, flags: syn, payload: 10},
				{src: client, dst: server, seq: 52, flags: psh, payload: 10},
			},
			want: []metrics.ByteArrival{arrival(0, 0, 10), arrival(1, 10, 10)},
		},
		{
			// Data of a connection whose SYN the flow never saw, a second
			// connection to the same port, the reply direction (even
			// when the client's port equals the server's) and a reset
			// are passed over.
			name: "only the first connection, one way",
			pkts: []pkt{
				{src: other, dst: server, seq: 9, flags: psh, payload: 50},
				{src: samePort, dst: server, seq: 100, flags: syn},
				{src: server, dst: samePort, seq: 700, flags: synAck},
				{src: other, dst: server, seq: 300, flags: syn},
				{src: samePort, dst: server, seq: 101, flags: psh, payload: 20},
				{src: server, dst: samePort, seq: 701, flags: psh, payload: 30},
				{src: other, dst: server, seq: 301, flags: psh, payload: 40},
				{src: samePort, dst: server, seq: 121, flags: rst},
			},
			want:  []metrics.ByteArrival{arrival(4, 0, 20)},
			early: 1,
		},
		{
			// A retransmitted SYN (same ISN) changes nothing.
			name: "retransmitted SYN",
			pkts: []pkt{
				{src: client, dst: server, seq: 7, flags: syn},
				{src: client, dst: server, seq: 7, flags: syn},
				{src: client, dst: server, seq: 8, flags: psh, payload: 5},
			},
			want: []metrics.ByteArrival{arrival(2, 0, 5)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := New(server.Port())
			for i, p := range tc.pkts {
				f.Observe(int64(i), p.build())
			}
			f.Observe(99, []byte("not a packet"))
			assert.Equal(t, tc.want, f.Arrivals())
			assert.Equal(t, tc.early, f.Early())
		})
	}
}

// A reverse flow follows what the server sends back on the first
// connection to its port, from the SYN-ACK on, and nothing the client
// sends.
func TestReverseFlow(t *testing.T) {
	other := netip.MustParseAddrPort("10.77.0.1:40001")
	f := NewReverse(server.Port())
	for i, p := range []pkt{
		{src: server, dst: client, seq: 50, flags: psh, payload: 9}, // before the handshake
		{src: client, dst: server, seq: 1000, flags: syn},
		{src: server, dst: client, seq: 5000, flags: synAck},
		{src: client, dst: server, seq: 1001, flags: psh, payload: 3},
		{src: server, dst: client, seq: 5001, flags: psh, payload: 1},
		{src: server, dst: other, seq: 9001, flags: psh, payload: 70}, // another connection
		{src: server, dst: client, seq: 5002, flags: psh, payload: 204},
	} {
		f.Observe(int64(i), p.build())
	}
	assert.Equal(t, []metrics.ByteArrival{arrival(4, 0, 1), arrival(6, 1, 204)}, f.Arrivals())
}

// Past 4 GiB the 32-bit sequence numbers repeat; the offsets go on. Here
// segments every 1 GiB of stream, and one retransmission from 1 GiB back.
func TestFlowBeyondFourGiB(t *testing.T) {
	const isn = 123456
	f := New(server.Port())
	f.Observe(0, pkt{src: client, dst: server, seq: isn, flags: syn}.build())
	var want []metrics.ByteArrival
	for i := range int64(7) {
		off := i << 30
		f.Observe(i+1, pkt{src: client, dst: server, seq: uint32(isn + 1 + off), flags: psh, payload: 100}.build())
		want = append(want, arrival(i+1, off, 100))
	}
	back := int64(5 << 30)
	f.Observe(8, pkt{src: client, dst: server, seq: uint32(isn + 1 + back), flags: psh, payload: 100}.build())
	want = append(want, arrival(8, 5<<30, 100))
	assert.Equal(t, want, f.Arrivals())
}

// A Flow set as a relay's tap sees what the link delivers, on the
// wire.Now clock, and what it reports feeds metrics.HeadOfLine: here the
// link loses nothing but holds the second message back 30 ms with a
// reorder, so the third waits for it.
func TestFlowAsTapFeedsHeadOfLine(t *testing.T) {
	sink := &linktest.Counter{}
	r, err := link.NewRelay(context.Background(), link.Symmetric(link.Config{}, 1), sink, sink)
	require.NoError(t, err)
	defer r.Close()
	f := New(server.Port())
	r.SetTap(f.Tap)

	send := func(p pkt) { r.Send(link.Up, link.NewBuf(p.build())) }
	send(pkt{src: client, dst: server, seq: 0, flags: syn})
	send(pkt{src: client, dst: server, seq: 1, flags: psh, payload: 1})   // the flow byte
	send(pkt{src: client, dst: server, seq: 2, flags: psh, payload: 10})  // message 0
	send(pkt{src: client, dst: server, seq: 22, flags: psh, payload: 10}) // message 2, before 1
	time.Sleep(30 * time.Millisecond)
	send(pkt{src: client, dst: server, seq: 12, flags: psh, payload: 10}) // message 1
	require.Eventually(t, func() bool { return sink.Count() == 5 }, time.Second, time.Millisecond)

	arr := f.Arrivals()
	require.Len(t, arr, 4)
	msgs, err := metrics.HeadOfLine(arr, metrics.Framing{Start: 1, Size: 10}, 3)
	require.NoError(t, err)
	for k, want := range []time.Duration{0, 0, time.Duration(arr[3].At - arr[2].At)} {
		d, ok := msgs[k].HOL()
		require.True(t, ok, "message %d", k)
		assert.Equal(t, want, d, "message %d", k)
	}
	d, _ := msgs[2].HOL()
	assert.GreaterOrEqual(t, d, 30*time.Millisecond)
}
