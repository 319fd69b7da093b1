package remote

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"netmatrix/internal/selfsigned"
)

// A Key is the secret `compare serve` and `compare -remote` share. It
// authenticates both ends of the control channel: each derives from it
// an Ed25519 key pair per role, presents a certificate of its own pair
// in the TLS 1.3 handshake and accepts only the other role's public key.
// TLS 1.3's CertificateVerify then proves that each end holds the key,
// and nothing about the key crosses the wire. A wrong key fails the
// handshake at once.
type Key []byte

// MinKeyLen is the shortest key taken: 16 bytes (the random key serve
// makes is 32 hex digits, 128 bits). Anything shorter would let an
// offline guess of the derived public keys succeed.
const MinKeyLen = 16

// NewKey makes a random key: 32 hex digits, as `compare serve` prints it
// and a key file holds it.
func NewKey() (Key, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("remote: make a key: %w", err)
	}
	return Key(hex.EncodeToString(b)), nil
}

// LoadKey reads the key from file: its content, without the whitespace
// around it (an editor's final newline, say).
func LoadKey(file string) (Key, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("remote: key: %w", err)
	}
	return ParseKey(b)
}

// ParseKey takes b, trimmed of surrounding whitespace, as a key.
func ParseKey(b []byte) (Key, error) {
	b = bytes.TrimSpace(b)
	if len(b) < MinKeyLen {
		return nil, fmt.Errorf("remote: the key is %d bytes; it needs at least %d (serve makes one if given none, or: openssl rand -hex 16 > key)", len(b), MinKeyLen)
	}
	return Key(b), nil
}

// The roles a key derives a key pair for.
const (
	roleServer = "server"
	roleClient = "client"
)

// pair is the Ed25519 key pair of role: HKDF-SHA256 (RFC 5869) of the
// key, the role as its info.
func (k Key) pair(role string) ed25519.PrivateKey {
	seed, err := hkdf.Key(sha256.New, k, []byte("netmatrix control channel v1"), role, ed25519.SeedSize)
	if err != nil {
		panic(err) // only for a length HKDF cannot give; SeedSize it can
	}
	return ed25519.NewKeyFromSeed(seed)
}

// ALPN names the control channel in the TLS handshake, so nothing else
// speaking TLS is taken for it.
const ALPN = "netmatrix-control/1"

// ErrWrongKey reports a peer that holds another key.
var ErrWrongKey = errors.New("remote: wrong key")

// certificate is a self-signed certificate of role's pair.
func (k Key) certificate(role string) (tls.Certificate, error) {
	cert, err := selfsigned.WithKey(k.pair(role), pkix.Name{CommonName: "netmatrix " + role}, []string{"netmatrix"}, 365*24*time.Hour)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("remote: %w", err)
	}
	return cert, nil
}

// verify accepts a peer whose certificate holds role's public key.
func (k Key) verify(role string) func([][]byte, [][]*x509.Certificate) error {
	want := k.pair(role).Public().(ed25519.PublicKey)
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return ErrWrongKey
		}
		cert, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return fmt.Errorf("remote: peer certificate: %w", err)
		}
		got, ok := cert.PublicKey.(ed25519.PublicKey)
		if !ok || !got.Equal(want) {
			return ErrWrongKey
		}
		return nil
	}
}

// ServerTLS is the control server's TLS configuration: TLS 1.3 only, its
// certificate of the key's server pair, and a client certificate of the
// key's client pair required. The chains are checked against the key,
// not against authorities (none is involved).
func (k Key) ServerTLS() (*tls.Config, error) {
	cert, err := k.certificate(roleServer)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates:          []tls.Certificate{cert},
		ClientAuth:            tls.RequireAnyClientCert,
		VerifyPeerCertificate: k.verify(roleClient),
		NextProtos:            []string{ALPN},
		MinVersion:            tls.VersionTLS13,
	}, nil
}

// ClientTLS is the client's: the mirror of ServerTLS.
func (k Key) ClientTLS() (*tls.Config, error) {
	cert, err := k.certificate(roleClient)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ServerName:   "netmatrix",
		// The server's chain is checked against the key below: there is
		// no authority to chain to.
		InsecureSkipVerify:    true,
		VerifyPeerCertificate: k.verify(roleServer),
		NextProtos:            []string{ALPN},
		MinVersion:            tls.VersionTLS13,
	}, nil
}
