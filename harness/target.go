package harness

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/netpath/loopback"
	"netmatrix/internal/wire"
	"netmatrix/quic"
	"netmatrix/results"
	"netmatrix/tcp"
	"netmatrix/udp"
)

// Target is an echo server that is already running, ours or anyone's.
type Target struct {
	// URL is tcp://HOST:PORT, udp://HOST:PORT or quic://HOST:PORT.
	URL string
	// Fingerprint is the SHA-256 of a QUIC server's certificate in hex,
	// as `compare serve` prints it: the client trusts that certificate
	// alone. Empty trusts only this process's own certificate.
	Fingerprint string
}

// ParseTarget checks an echo server address of the form tcp://HOST:PORT,
// udp://HOST:PORT or quic://HOST:PORT and returns the transport and the
// address.
func ParseTarget(target string) (transport, addr string, err error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
		return "", "", fmt.Errorf("target %q: want tcp://HOST:PORT, udp://HOST:PORT or quic://HOST:PORT", target)
	}
	switch u.Scheme {
	case catalog.TCP, catalog.UDP, catalog.QUIC:
		// The scheme names the transport: QUIC's is one stream.
		return u.Scheme, u.Host, nil
	}
	return "", "", fmt.Errorf("target %q: the echo workload speaks tcp://, udp:// or quic://, not %s://", target, u.Scheme)
}

// targetName is a target run's scenario, as its table shows it.
const targetName = "target"

// RunTarget runs the echo workload against an echo server that is already
// running (RFC 862 for tcp and udp; a netmatrix QUIC echo server, one
// stream, for quic) over the host's own network. A run that ctx cut
// short is returned as far as it got, with ctx's error.
func RunTarget(ctx context.Context, t Target, cfg Config, progress Progress) (results.Record, error) {
	cfg = cfg.Defaults()
	rec := newRecord(results.Scenario{Name: targetName, Link: results.LinkHost, Target: t.URL}, &cfg)
	if err := cfg.Validate(); err != nil {
		return rec, err
	}
	scheme, addr, err := ParseTarget(t.URL)
	if err != nil {
		return rec, err
	}
	if progress != nil {
		progress.Start(targetName, catalog.Echo, scheme)
	}
	start := time.Now()
	r, err := func() (results.Result, error) {
		f, err := dialTarget(ctx, scheme, addr, t.Fingerprint, &cfg)
		if err != nil {
			return results.Result{}, err
		}
		defer f.conn.Close()
		f.reliable = catalog.Reliable(scheme)
		r, err := runEcho(ctx, f, &cfg)
		r.HandshakeMs = ms(f.handshake)
		r.TransportStats = f.transportStats()
		return r, err
	}()
	finishRow(ctx, &r, scheme, catalog.Echo, err, start)
	if progress != nil {
		progress.Done(targetName, catalog.Echo, scheme, err)
	}
	rec.Results = []results.Result{r}
	// An interrupted run is returned as far as it got, with the reason.
	return rec, ctx.Err()
}

// dialTarget connects an echo client of the scheme's transport to addr.
func dialTarget(ctx context.Context, scheme, addr, fingerprint string, cfg *Config) (*flow, error) {
	t0 := wire.Now()
	switch scheme {
	case catalog.TCP:
		c, err := tcp.DialEcho(ctx, loopback.Host{}.Dial, addr, tcp.Options{Nagle: cfg.Nagle})
		if err != nil {
			return nil, err
		}
		return &flow{conn: c, handshake: wire.Since(t0)}, nil
	case catalog.UDP:
		c, err := udp.Dial(ctx, loopback.Host{}.Dial, addr)
		if err != nil {
			return nil, err
		}
		return &flow{conn: c}, nil
	default:
		opt, err := quicOptions(fingerprint, quic.Config{})
		if err != nil {
			return nil, err
		}
		pc, err := loopback.Host{}.ListenPacket(ctx, "udp", ":0")
		if err != nil {
			return nil, err
		}
		c, err := quic.DialEcho(ctx, pc, addr, quic.OneStream, opt)
		if err != nil {
			return nil, err
		}
		return quicFlow(c), nil
	}
}
