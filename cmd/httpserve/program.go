package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// program is httpserve with its outputs, so tests run it in-process just
// as main does.
type program struct {
	stdout, stderr io.Writer
	// ready, when set, is told the address the server listens on.
	ready func(addr string)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run dispatches to a subcommand; without one it serves.
func (p *program) run(ctx context.Context, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return p.serve(ctx, args[1:])
		case "get":
			return p.get(ctx, args[1:])
		case "fanout":
			return p.fanout(ctx, args[1:])
		case "help", "-h", "-help", "--help":
			p.usage()
			return exitOK
		}
	}
	return p.serve(ctx, args)
}

func (p *program) usage() {
	fmt.Fprint(p.stderr, `usage:
  httpserve [serve] [-addr host:port] [-tls | -cert FILE -key FILE] [-dump] [-log=false]
  httpserve get [-raw] [-insecure] [-X METHOD] [-d BODY] [-H 'Name: value'] URL
  httpserve fanout [-n N] [-insecure] URL
  httpserve fanout [-n N] [-profile P] [-delay D] [-loss L] ... [PATH]   over an emulated path
`)
}

// newFlags makes a subcommand's flag set that reports errors on stderr
// and does not exit, so run can return exitUsage.
func (p *program) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("httpserve "+name, flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	return fs
}

// parse parses args and says which exit code to return, if any.
func parse(fs *flag.FlagSet, args []string) (code int, stop bool) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK, true
		}
		return exitUsage, true
	}
	return 0, false
}
