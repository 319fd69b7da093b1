package main

import (
	"strings"

	"netmatrix/harness"
	"netmatrix/harness/link"
)

// parseRate reads a rate such as 100mbit for harness.Config.BulkRate:
// "auto" leaves it to the scenario, "0" is unlimited.
func parseRate(s string) (int64, error) {
	switch strings.TrimSpace(s) {
	case "auto", "":
		return 0, nil
	case "0", "unlimited":
		return harness.Unlimited, nil
	}
	return link.ParseBandwidth(s)
}
