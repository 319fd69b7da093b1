package harness

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"netmatrix/internal/wire"
	"netmatrix/results"
	"netmatrix/tcp"
	"netmatrix/udp"
)

// ParseTarget checks an echo server address of the form tcp://HOST:PORT or
// udp://HOST:PORT and returns the transport and the address.
func ParseTarget(target string) (transport, addr string, err error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
		return "", "", fmt.Errorf("target %q: want tcp://HOST:PORT or udp://HOST:PORT", target)
	}
	if u.Scheme != "tcp" && u.Scheme != "udp" {
		return "", "", fmt.Errorf("target %q: the echo workload speaks tcp:// or udp://, not %s://", target, u.Scheme)
	}
	return u.Scheme, u.Host, nil
}

// RunTarget runs the echo workload against an RFC 862 echo server that is
// already running, ours or anyone's, over the host's own network.
func RunTarget(ctx context.Context, target string, cfg Config, progress Progress) (results.Record, error) {
	cfg = cfg.Defaults()
	rec := results.Record{Schema: results.Schema, Environment: results.HostEnvironment()}
	if err := cfg.Validate(); err != nil {
		return rec, err
	}
	scheme, addr, err := ParseTarget(target)
	if err != nil {
		return rec, err
	}
	rec.Scenario = results.Scenario{
		Name: "target", Link: "host", Target: target, Started: time.Now().UTC().Truncate(time.Second),
		Count: cfg.Count, Size: cfg.Size, Interval: results.Duration(cfg.EchoInterval), Nagle: cfg.Nagle,
	}
	if progress != nil {
		progress.Start("target", "echo", scheme)
	}
	r, err := func() (results.Result, error) {
		t0 := wire.Now()
		var f flow
		switch scheme {
		case "tcp":
			c, err := tcp.DialEcho(ctx, Loopback{}.Dial, addr, tcp.Options{Nagle: cfg.Nagle})
			if err != nil {
				return results.Result{}, err
			}
			f = flow{conn: c, reliable: true}
		default:
			c, err := udp.Dial(ctx, Loopback{}.Dial, addr)
			if err != nil {
				return results.Result{}, err
			}
			f = flow{conn: c}
		}
		defer f.conn.Close()
		f.handshake = wire.Since(t0)
		r, err := runEcho(ctx, &f, &cfg)
		if scheme == "tcp" {
			r.HandshakeMs = ms(f.handshake)
		}
		return r, err
	}()
	r.Transport, r.Workload = scheme, "echo"
	if err != nil {
		r.Error = err.Error()
	}
	if progress != nil {
		progress.Done("target", "echo", scheme, err)
	}
	rec.Results = []results.Result{r}
	return rec, nil
}
