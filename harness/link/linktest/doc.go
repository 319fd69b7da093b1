// Package linktest has the endpoints, packets and impairment that tests
// of a link.Relay, of what taps it, and of the paths built on it share.
package linktest
