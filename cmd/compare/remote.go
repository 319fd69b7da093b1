package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"netmatrix/harness"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/remote"
	"netmatrix/results"
)

// remoteFlags are -remote and -key: the path to `compare serve` on
// another host.
type remoteFlags struct {
	addr    string // HOST:PORT, as given to serve -listen
	keyFile string
	key     remote.Key
	session *remote.Session // open while the run lasts
}

func (rf *remoteFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&rf.addr, "remote", "", "run every workload over the real network to compare serve at HOST:PORT (its -listen address), the server halves there; needs -key")
	fs.StringVar(&rf.keyFile, "key", "", "with -remote: the file holding the key compare serve printed or was given")
}

// remoteBulkRate is UDP's bulk rate over a real network when -rate says
// auto: a path's rate is not known in advance. 100 Mbit/s shows loss on
// most links without flooding a fast one; -rate sets another.
const remoteBulkRate = 100e6

// check refuses what cannot go with -remote, loads the key and returns
// the run's one scenario: its path is the session run opens.
func (rf *remoteFlags) check(fs *flag.FlagSet) ([]harness.Scenario, error) {
	if rf.addr == "" {
		if rf.keyFile != "" {
			return nil, errors.New("-key goes with -remote")
		}
		return nil, nil
	}
	host, _, err := net.SplitHostPort(rf.addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("-remote %q: want HOST:PORT, the address given to compare serve -listen", rf.addr)
	}
	// Every path flag (-link, -exec and the link settings) sets up a
	// path of this host, as do -sweep and -target.
	pathFlags := flag.NewFlagSet("", flag.ContinueOnError)
	new(linkFlags).register(pathFlags)
	refused := map[string]bool{"sweep": true, "target": true, "fingerprint": true}
	pathFlags.VisitAll(func(f *flag.Flag) { refused[f.Name] = true })
	var other []string
	fs.Visit(func(f *flag.Flag) {
		if refused[f.Name] {
			other = append(other, "-"+f.Name)
		}
	})
	if len(other) > 0 {
		return nil, fmt.Errorf("-remote measures the real network to another host; %v set up a path of this host", other)
	}
	if rf.keyFile == "" {
		return nil, errors.New("-remote needs -key FILE: the key compare serve printed, or the file it was given")
	}
	if rf.key, err = remote.LoadKey(rf.keyFile); err != nil {
		return nil, fmt.Errorf("-key: %w", err)
	}
	return []harness.Scenario{{
		Record: results.Scenario{Name: "remote " + host, Link: results.LinkRemote},
		NewPath: func(context.Context, netpath.Use) (netpath.Path, error) {
			if rf.session == nil {
				return nil, errors.New("no session") // run opens it first
			}
			return rf.session.Path(), nil
		},
		BulkRate: remoteBulkRate,
	}}, nil
}

// open opens the session, before anything runs: a wrong key or a busy
// server is said in one line at once.
func (rf *remoteFlags) open(ctx context.Context, stderr io.Writer) bool {
	if rf.addr == "" {
		return true
	}
	s, err := remote.Dial(ctx, rf.addr, rf.key)
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return false
	}
	rf.session = s
	c := s.Clock()
	fmt.Fprintf(stderr, "compare: remote %s: session open; its clock is %v from this host's, ±%v\n",
		rf.addr, c.Offset, c.Bound)
	return true
}

// close ends the session, if one is open.
func (rf *remoteFlags) close() {
	if rf.session != nil {
		rf.session.Close()
		rf.session = nil
	}
}
