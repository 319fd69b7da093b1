package main

import (
	"fmt"
	"strconv"
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

// parseBytes reads a size: a number of bytes with an optional unit, KB
// MB GB (powers of 1000) or KiB MiB GiB (powers of 1024).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 || v > (1<<50)/mult {
		return 0, fmt.Errorf("want a size like 10MiB, 1GB or 65536, not %q", s)
	}
	return v * mult, nil
}
