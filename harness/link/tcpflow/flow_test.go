package tcpflow

import (
	"context"
	"encoding/binary"
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
	f := New(server.Port())
	send, sink := tappedRelay(t, link.Config{}, f)
	send(pkt{src: client, dst: server, seq: 0, flags: syn})
	send(pkt{src: client, dst: server, seq: 1, flags: psh, payload: 1})   // the flow byte
	send(pkt{src: client, dst: server, seq: 2, flags: psh, payload: 10})  // message 0
	send(pkt{src: client, dst: server, seq: 22, flags: psh, payload: 10}) // message 2, before 1
	// Delivered before the 30 ms start: a relay goroutine that hands
	// message 2 over late would shorten its wait below them.
	require.Eventually(t, func() bool { return sink.Count() == 4 }, time.Second, time.Millisecond)
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

// Each case is a connection's data segments in delivery order (after its
// SYN, ISN 0) and what the flow must count. id stands for what differs
// between a packet and a retransmission of it (the IP identification
// Linux increments, or a newer TCP timestamp); a link's copy repeats it.
func TestFlowCounts(t *testing.T) {
	data := func(seq uint32, n int, id uint16) pkt {
		return pkt{src: client, dst: server, seq: seq, flags: psh, payload: n, id: id}
	}
	ackBack := pkt{src: server, dst: client, seq: 1, flags: ack}
	for _, tc := range []struct {
		name string
		pkts []pkt
		want Counts
	}{
		{
			name: "in order, nothing repeated",
			pkts: []pkt{data(1, 100, 1), data(101, 100, 2), data(201, 100, 3)},
			want: Counts{Segments: 3, Bytes: 300},
		},
		{
			// The second segment was lost on the link: its
			// retransmission brings new bytes.
			name: "retransmission of lost data",
			pkts: []pkt{data(1, 100, 1), data(201, 100, 3), data(101, 100, 4)},
			want: Counts{Segments: 3, Bytes: 300},
		},
		{
			// The second segment arrived; the sender resent it anyway
			// (a timeout too early, a loss presumed from reordering).
			name: "retransmission of delivered data",
			pkts: []pkt{data(1, 100, 1), data(101, 100, 2), data(201, 100, 3), data(101, 100, 4)},
			want: Counts{Segments: 4, Bytes: 400, Repeats: 1},
		},
		{
			// The tail-loss probe resends the last segment, the very
			// next packet, with nothing between: only its identification
			// (or timestamp) tells it from a copy.
			name: "retransmission right behind its original",
			pkts: []pkt{data(1, 100, 1), data(101, 100, 2), data(101, 100, 3)},
			want: Counts{Segments: 3, Bytes: 300, Repeats: 1},
		},
		{
			name: "the link's copy",
			pkts: []pkt{data(1, 100, 1), data(101, 100, 2), data(101, 100, 2), data(201, 100, 3)},
			want: Counts{Segments: 4, Bytes: 400, Repeats: 1, LinkCopies: 1},
		},
		{
			// A copy of a retransmission is the link's; the
			// retransmission itself is the sender's.
			name: "the link's copy of a spurious retransmission",
			pkts: []pkt{data(1, 100, 1), data(101, 100, 2), data(1, 100, 3), data(1, 100, 3)},
			want: Counts{Segments: 4, Bytes: 400, Repeats: 2, LinkCopies: 1},
		},
		{
			// A packet of the other direction between the original and
			// the copy changes nothing: the copy follows its original
			// in its own direction.
			name: "the link's copy, a reply between",
			pkts: []pkt{data(1, 100, 1), ackBack, data(1, 100, 1)},
			want: Counts{Segments: 2, Bytes: 200, Repeats: 1, LinkCopies: 1},
		},
		{
			// The same packet again, but not right behind: the sender's.
			name: "a repeat with a packet between",
			pkts: []pkt{data(1, 100, 1), data(101, 100, 2), data(1, 100, 1)},
			want: Counts{Segments: 3, Bytes: 300, Repeats: 1},
		},
		{
			// Repacketised: part old, part new, needed for its new bytes.
			name: "overlap with new bytes",
			pkts: []pkt{data(1, 100, 1), data(201, 100, 3), data(51, 100, 4)},
			want: Counts{Segments: 3, Bytes: 300},
		},
		{
			// Repacketised over bytes that had all arrived, in two
			// segments: repeated in full.
			name: "overlap of delivered bytes only",
			pkts: []pkt{data(1, 100, 1), data(101, 100, 2), data(51, 100, 3)},
			want: Counts{Segments: 3, Bytes: 300, Repeats: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []*Flow{New(server.Port()), NewCounter(server.Port())} {
				f.Observe(0, pkt{src: client, dst: server, seq: 0, flags: syn}.build())
				for i, p := range tc.pkts {
					f.Observe(int64(i+1), p.build())
				}
				assert.Equal(t, tc.want, f.Counts())
				assert.Equal(t, tc.want.Repeats-tc.want.LinkCopies, f.Counts().Spurious())
			}
		})
	}
}

// A counting flow keeps no arrivals.
func TestFlowCounterKeepsNoLog(t *testing.T) {
	f := NewCounter(server.Port())
	f.Observe(0, pkt{src: client, dst: server, seq: 0, flags: syn}.build())
	f.Observe(1, pkt{src: client, dst: server, seq: 1, flags: psh, payload: 100}.build())
	assert.Empty(t, f.Arrivals())
	assert.Equal(t, int64(1), f.Counts().Segments)
}

// Through a relay that duplicates every packet: each copy comes right
// behind its original and is the link's; a retransmission the sender
// made (a new identification) is spurious, and its copy the link's.
func TestFlowCountsTheLinksCopies(t *testing.T) {
	f := NewCounter(server.Port())
	send, sink := tappedRelay(t, link.Config{Duplicate: 1}, f)
	send(pkt{src: client, dst: server, seq: 0, flags: syn})
	for i := range uint32(5) {
		send(pkt{src: client, dst: server, seq: 1 + 100*i, flags: psh, payload: 100, id: uint16(i)})
	}
	send(pkt{src: client, dst: server, seq: 101, flags: psh, payload: 100, id: 9})
	require.Eventually(t, func() bool { return sink.Count() == 14 }, time.Second, time.Millisecond)
	c := f.Counts()
	assert.Equal(t, Counts{Segments: 12, Bytes: 1200, Repeats: 7, LinkCopies: 6}, c)
	assert.Equal(t, int64(1), c.Spurious())
}

// tappedRelay starts a relay of c both ways with f as its tap, closed
// when the test ends; send offers a packet up it, and sink counts what
// it delivered.
func tappedRelay(t *testing.T, c link.Config, f *Flow) (send func(pkt), sink *linktest.Counter) {
	t.Helper()
	sink = &linktest.Counter{}
	r, err := link.NewRelay(context.Background(), link.Symmetric(c, 1), sink, sink)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	r.SetTap(f.Tap)
	return func(p pkt) { r.Send(link.Up, link.NewBuf(p.build())) }, sink
}

// BenchmarkCounterTap is what a counting Flow costs the relay per data
// segment of a bulk transfer: in order, full-sized, through Tap.
func BenchmarkCounterTap(b *testing.B) {
	f := NewCounter(server.Port())
	f.Observe(0, pkt{src: client, dst: server, seq: 0, flags: syn}.build())
	p := link.NewBuf(pkt{src: client, dst: server, flags: psh, payload: 1448}.build())
	b.ReportAllocs()
	for i := range b.N {
		binary.BigEndian.PutUint32(p.B[20+4:], uint32(1+i*1448)) // the sequence number
		f.Tap(link.Up, int64(i), p)
	}
	if c := f.Counts(); c.Segments != int64(b.N) || c.Repeats != 0 {
		b.Fatalf("counts %+v after %d segments", c, b.N)
	}
}
