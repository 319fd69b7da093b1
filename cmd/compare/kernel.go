package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"netmatrix/harness"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/kernel"
	"netmatrix/results"
)

// errExecNeedsKernel refuses -exec on a path with no namespace to run in.
var errExecNeedsKernel = errors.New("-exec and -exec-server run commands over the kernel path: add -link kernel")

// checkExec refuses -exec and -exec-server where they cannot run.
func (lf *linkFlags) checkExec() error {
	switch {
	case lf.exec == "" && lf.execServer == "":
		return nil
	case lf.kind != results.LinkKernel:
		return errExecNeedsKernel
	case lf.exec == "":
		return errors.New("-exec-server needs -exec, the command to run on the client's side")
	case lf.SendBuffer != "" || lf.ReceiveBuffer != "":
		return errors.New("-sndbuf and -rcvbuf size compare's own sockets; -exec's programs choose theirs (iperf3 -w, say)")
	}
	return nil
}

// path is a scenario with spec on the path -link names: the emulated
// one, or the kernel one with the same settings.
func (lf *linkFlags) path(spec link.Spec) harness.Scenario {
	sc := lf.Scenario(spec)
	if lf.kind != results.LinkKernel {
		return sc
	}
	opts, _ := lf.Options()
	sc.Record.Link = results.LinkKernel
	sc.NewPath = func(ctx context.Context, _ netpath.Use) (netpath.Path, error) {
		return kernel.New(ctx, spec, opts)
	}
	return sc
}

// kernelFirst does what -link kernel needs before anything runs: it stops
// with one line when this process cannot make the path, and runs -exec in
// place of the workloads. done is false when the run goes on as usual.
func (c *compareCmd) kernelFirst(ctx context.Context, stdout, stderr io.Writer) (code int, done bool) {
	if c.link.kind != results.LinkKernel {
		return exitOK, false
	}
	if err := kernel.Supported(); err != nil {
		// Not root: the same run in a user namespace (rootless*.go).
		if code, done := c.rootless(ctx, stdout, stderr); done {
			return code, true
		}
		fmt.Fprintf(stderr, "compare: -link kernel: %v\n", err)
		return exitFail, true
	}
	if c.link.exec == "" {
		return exitOK, false
	}
	if c.target.URL != "" {
		fmt.Fprintf(stderr, "compare: -exec runs a command over the kernel path; it cannot measure a -target\n")
		return exitUsage, true
	}
	return c.execOnKernel(ctx, stdout, stderr), true
}
