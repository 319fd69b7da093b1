package main

import (
	"fmt"

	"netmatrix/cmd/internal/linkspec"
	"netmatrix/harness"
	"netmatrix/results"
)

// sweepScenarios makes one scenario per point of a -sweep on the
// emulated or kernel path (see linkspec.Settings.Sweep).
func (lf *linkFlags) sweepScenarios(param string, points []linkspec.SweepPoint) ([]harness.Scenario, error) {
	if lf.kind != results.LinkEmulated && lf.kind != results.LinkKernel {
		return nil, fmt.Errorf("-sweep needs an impaired link (-link emulated or kernel), not -link %s", lf.kind)
	}
	return lf.Sweep(param, points, lf.path)
}
