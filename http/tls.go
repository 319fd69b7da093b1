package http

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"time"

	"netmatrix/internal/selfsigned"
)

// SelfSignedTLS makes a server TLS config with a fresh ECDSA P-256
// certificate for hosts (names or IP addresses), valid for a day. Nothing
// touches the disk: the key lives only in this process. Clients trust it by
// adding Certificate to their RootCAs, or by checking Fingerprint.
func SelfSignedTLS(hosts ...string) (*tls.Config, error) {
	cert, err := selfsigned.Certificate(pkix.Name{Organization: []string{"netmatrix httpserve"}}, hosts, 24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// LoadTLS makes a server TLS config from PEM certificate and key files.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("http: load key pair: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// Fingerprint is the SHA-256 of a config's first certificate, as hex
// pairs: what a user compares when a client warns about a self-signed
// certificate.
func Fingerprint(cfg *tls.Config) string {
	if cfg == nil || len(cfg.Certificates) == 0 || len(cfg.Certificates[0].Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cfg.Certificates[0].Certificate[0])
	return fmt.Sprintf("% X", sum[:])
}

// CertPool is a pool holding a config's first certificate, for a client
// that should trust exactly this server.
func CertPool(cfg *tls.Config) *x509.CertPool {
	pool := x509.NewCertPool()
	if cfg != nil && len(cfg.Certificates) > 0 && cfg.Certificates[0].Leaf != nil {
		pool.AddCert(cfg.Certificates[0].Leaf)
	}
	return pool
}
