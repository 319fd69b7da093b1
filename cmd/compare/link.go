package main

import (
	"context"
	"flag"
	"fmt"

	"netmatrix/cmd/internal/linkspec"
	"netmatrix/harness"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/kernel"
	"netmatrix/harness/netpath/loopback"
	"netmatrix/results"
)

// linkFlags are the command line's say over the path: which path, and
// the link's settings (linkspec) on the emulated and kernel paths.
type linkFlags struct {
	linkspec.Settings
	kind string
	// exec and execServer are commands to run in the kernel path's
	// client and server namespaces instead of the workloads (kernel.go).
	exec, execServer string
}

func (lf *linkFlags) register(fs *flag.FlagSet) {
	lf.Settings.Register(fs)
	fs.Lookup("profile").Usage += "; with no profile and no impairment flags, a clean and a lossy path run side by side"
	fs.StringVar(&lf.kind, "link", results.LinkEmulated, "the path: emulated (two userspace TCP/IP stacks joined by an impaired link, no root needed), kernel (Linux's own TCP and UDP in two network namespaces joined through TUN devices by the same link; root, or a user namespace where the host allows one: see docs/kernel-path.md) or loopback (this host's own stack, no impairment)")
	fs.StringVar(&lf.exec, "exec", "", "with -link kernel: run `CMD`, a shell command, in the client's namespace, over the impaired link, instead of the workloads; $"+kernel.ServerEnv+" is the server's address, where compare's echo servers and sinks listen (as with compare serve)")
	fs.StringVar(&lf.execServer, "exec-server", "", "with -exec: also run this shell command in the server's namespace (iperf3 -s, say), and start -exec once it listens")
}

// scenarios turns the flags into the paths to run: the default pair
// (clean and lossy), a profile, or a custom link.
func (lf *linkFlags) scenarios() ([]harness.Scenario, error) {
	if err := lf.checkExec(); err != nil {
		return nil, err
	}
	if err := lf.Check(); err != nil {
		return nil, err
	}
	switch lf.kind {
	case results.LinkLoopback:
		if lf.Profile != "" || lf.Impaired() {
			return nil, fmt.Errorf("-link loopback has no impairment; use -link emulated for -profile, -loss and the like")
		}
		opts, _ := lf.Options()
		return []harness.Scenario{{
			Record: results.Scenario{Name: results.LinkLoopback, Link: results.LinkLoopback,
				SendBuffer: int64(opts.SendBuffer), ReceiveBuffer: int64(opts.ReceiveBuffer)},
			NewPath: func(context.Context, netpath.Use) (netpath.Path, error) { return loopback.New(opts) },
		}}, nil
	case results.LinkEmulated, results.LinkKernel:
	default:
		return nil, fmt.Errorf("-link %q: want emulated, kernel or loopback", lf.kind)
	}
	if lf.Profile == "" && !lf.Impaired() {
		var out []harness.Scenario
		for _, name := range []string{"clean", "lossy"} {
			spec, err := lf.ProfileSpec(name)
			if err != nil {
				return nil, err
			}
			out = append(out, lf.path(spec))
		}
		return out, nil
	}
	spec, err := lf.ValidSpec()
	if err != nil {
		return nil, err
	}
	return []harness.Scenario{lf.path(spec)}, nil
}
