package quic

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"netmatrix/internal/selfsigned"
)

// ALPN is the application protocol both ends name in the TLS handshake.
// QUIC requires one (RFC 9001, section 8.1); a server that is asked for
// another refuses the connection.
const ALPN = "netmatrix"

// ServerName is the name in every Identity's certificate and the name
// clients verify it against. The certificate names no address, so one
// identity serves on loopback, on the emulated path and on any host.
const ServerName = "netmatrix"

// Identity is a server's TLS identity: a self-signed ECDSA P-256
// certificate made in memory, and what a client needs to trust it. Nothing
// is written to disk; a new process has a new identity.
type Identity struct {
	cert tls.Certificate
	pool *x509.CertPool
	sum  [sha256.Size]byte
}

// NewIdentity makes a fresh self-signed certificate for ServerName, valid
// from an hour ago (clocks differ) for a year.
func NewIdentity() (*Identity, error) {
	cert, err := selfsigned.Certificate(pkix.Name{CommonName: ServerName}, []string{ServerName}, 365*24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("quic: %w", err)
	}
	id := &Identity{cert: cert, pool: x509.NewCertPool(), sum: sha256.Sum256(cert.Certificate[0])}
	id.pool.AddCert(cert.Leaf)
	return id, nil
}

var (
	defaultOnce sync.Once
	defaultID   *Identity
	defaultErr  error
)

// DefaultIdentity is the identity made once per process, at first use. A
// server with no Identity presents it and a client with no TLS config
// trusts it, so servers and clients in one process need no setup.
func DefaultIdentity() (*Identity, error) {
	defaultOnce.Do(func() { defaultID, defaultErr = NewIdentity() })
	return defaultID, defaultErr
}

// Fingerprint is the SHA-256 of the certificate, in hex: what a client on
// another host pins with PinnedClientTLS.
func (id *Identity) Fingerprint() string { return hex.EncodeToString(id.sum[:]) }

// ServerTLS is the TLS configuration a server presents this identity with.
func (id *Identity) ServerTLS() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{id.cert},
		NextProtos:   []string{ALPN},
		MinVersion:   tls.VersionTLS13,
	}
}

// ClientTLS is a client configuration that trusts this identity and
// nothing else.
func (id *Identity) ClientTLS() *tls.Config {
	return &tls.Config{
		RootCAs:    id.pool,
		ServerName: ServerName,
		NextProtos: []string{ALPN},
		MinVersion: tls.VersionTLS13,
	}
}

// ErrFingerprint reports a server certificate other than the pinned one.
var ErrFingerprint = errors.New("quic: server certificate does not match the pinned fingerprint")

// PinnedClientTLS is a client configuration for a server in another
// process (compare serve prints its fingerprint): it accepts exactly the
// certificate whose SHA-256 is fingerprint (hex, colons allowed) and
// nothing else, so no certificate authority is involved.
func PinnedClientTLS(fingerprint string) (*tls.Config, error) {
	want, err := hex.DecodeString(strings.ReplaceAll(fingerprint, ":", ""))
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("quic: fingerprint %q: want %d bytes of hex", fingerprint, sha256.Size)
	}
	return &tls.Config{
		ServerName: ServerName,
		NextProtos: []string{ALPN},
		MinVersion: tls.VersionTLS13,
		// The chain is checked below against the pin instead of a root
		// store: a self-signed certificate has no authority to chain to.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return ErrFingerprint
			}
			if sum := sha256.Sum256(raw[0]); string(sum[:]) != string(want) {
				return fmt.Errorf("%w: got %x", ErrFingerprint, sum)
			}
			return nil
		},
	}, nil
}
