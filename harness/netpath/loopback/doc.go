// Package loopback is the path over the host's own loopback interface:
// no impairment, the baseline, and the path on which netmatrix's speed is
// held against other tools (sockperf, iperf3, wrk).
package loopback
