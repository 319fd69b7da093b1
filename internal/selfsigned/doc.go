// Package selfsigned makes the in-memory certificates netmatrix's TLS
// servers (HTTP and QUIC) present: ECDSA P-256, self-signed, never written
// to disk, so a new process has a new key.
package selfsigned
