package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/http"
	"netmatrix/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startServe runs "httpserve args..." in-process, as main would, on a
// loopback port, and stops it (like Ctrl-C) when the test ends, checking
// that it exits cleanly.
func startServe(t *testing.T, args ...string) (addr string, stdout, stderr *testutil.SyncBuffer) {
	t.Helper()
	stdout, stderr = &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	ready := make(chan string, 1)
	p := &program{stdout: stdout, stderr: stderr, ready: func(a string) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- p.run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...)) }()
	select {
	case addr = <-ready:
	case code := <-exited:
		cancel()
		t.Fatalf("httpserve exited with %d: %s", code, stderr.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("httpserve did not start")
	}
	t.Cleanup(func() {
		cancel() // what Ctrl-C does through signal.NotifyContext
		select {
		case code := <-exited:
			assert.Equal(t, exitOK, code)
			assert.Contains(t, stderr.String(), "httpserve: stopped")
		case <-time.After(15 * time.Second):
			t.Error("httpserve did not stop")
		}
	})
	return addr, stdout, stderr
}

func get(t *testing.T, url string, header ...string) (*nethttp.Response, string) {
	t.Helper()
	tr := &nethttp.Transport{}
	defer tr.CloseIdleConnections()
	req, err := nethttp.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&nethttp.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestRootShowsRawRequestEscaped(t *testing.T) {
	addr, stdout, stderr := startServe(t, "-dump")
	resp, body := get(t, "http://"+addr+"/", "X-Probe", "<script>alert(1)</script>")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, body, "GET / HTTP/1.1")
	assert.Contains(t, body, "X-Probe: &lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, body, "<script>", "request text is escaped, never markup")
	assert.Contains(t, body, "curl -v http://"+addr+"/echo")
	assert.Contains(t, body, "| nc 127.0.0.1 ")
	assert.Contains(t, stdout.String(), "X-Probe: <script>alert(1)</script>\r\n", "-dump prints the raw request")
	assert.Contains(t, stderr.String(), `"GET / HTTP/1.1" 200`, "access log line")
}

func TestEchoAnd404(t *testing.T) {
	addr, _, _ := startServe(t)
	tr := &nethttp.Transport{}
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := client.Post("http://"+addr+"/echo?x=1", "text/plain", strings.NewReader("payload"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "method: POST\ntarget: /echo?x=1\n")
	assert.Contains(t, string(body), "  Content-Type: text/plain\n")
	assert.True(t, strings.HasSuffix(string(body), "body: 7 bytes\npayload"))

	resp, body2 := get(t, "http://"+addr+"/no/such/it's")
	assert.Equal(t, 404, resp.StatusCode)
	assert.Contains(t, body2, "404 Not Found")
	assert.Contains(t, body2, "/no/such/it&#39;s", "the path is escaped")
}

func TestTLSAndRawGet(t *testing.T) {
	addr, _, stderr := startServe(t, "-tls")
	assert.Contains(t, stderr.String(), "self-signed certificate, SHA-256")
	var out, errb bytes.Buffer
	p := &program{stdout: &out, stderr: &errb}
	code := p.run(context.Background(), []string{"get", "-raw", "-insecure", "https://" + addr + "/hello"})
	require.Equal(t, exitOK, code, errb.String())
	assert.Contains(t, out.String(), "--- sent ")
	assert.Contains(t, out.String(), "GET /hello HTTP/1.1\r\nHost: "+addr+"\r\n")
	assert.Contains(t, out.String(), "--- received ")
	assert.Contains(t, out.String(), "HTTP/1.1 200 OK\r\n")
	assert.Contains(t, out.String(), "\r\n\r\nHello, World!")
	assert.Contains(t, errb.String(), "tls ")

	// The page of a TLS server suggests a request over TLS.
	out.Reset()
	code = p.run(context.Background(), []string{"get", "-insecure", "https://" + addr + "/"})
	require.Equal(t, exitOK, code, errb.String())
	assert.Contains(t, out.String(), "curl -v https://"+addr+"/echo")
	assert.Contains(t, out.String(), "openssl s_client -quiet -connect "+addr)
	assert.NotContains(t, out.String(), "http://")

	// Without -insecure the self-signed certificate is refused.
	code = (&program{stdout: io.Discard, stderr: io.Discard}).run(context.Background(), []string{"get", "https://" + addr + "/hello"})
	assert.Equal(t, exitError, code)
}

// TestCertAndKeyFiles serves with a certificate and key from PEM files,
// as -cert and -key give them, and checks a client that trusts exactly
// that certificate gets through.
func TestCertAndKeyFiles(t *testing.T) {
	cfg, err := http.SelfSignedTLS("127.0.0.1")
	require.NoError(t, err)
	cert := cfg.Certificates[0]
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))

	addr, _, stderr := startServe(t, "-cert", certFile, "-key", keyFile)
	assert.Contains(t, stderr.String(), "listening on https://")
	assert.NotContains(t, stderr.String(), "self-signed", "the given certificate is used, none is made")
	tr := &nethttp.Transport{TLSClientConfig: &tls.Config{RootCAs: http.CertPool(cfg)}}
	defer tr.CloseIdleConnections()
	resp, err := (&nethttp.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + addr + "/hello")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "Hello, World!", string(body))

	var errb bytes.Buffer
	code := (&program{stdout: io.Discard, stderr: &errb}).run(context.Background(), []string{"-cert", filepath.Join(dir, "missing.pem"), "-key", keyFile})
	assert.Equal(t, exitError, code)
	assert.Contains(t, errb.String(), "load key pair")
}

func TestFanoutCommand(t *testing.T) {
	addr, _, _ := startServe(t, "-log=false")
	var out, errb bytes.Buffer
	code := (&program{stdout: &out, stderr: &errb}).run(context.Background(), []string{"fanout", "-n", "4", "http://" + addr + "/hello"})
	require.Equal(t, exitOK, code, errb.String())
	assert.Contains(t, out.String(), "one after another: 4 requests in ")
	assert.Contains(t, out.String(), "all at once: 4 requests in ")
	assert.Equal(t, 8, strings.Count(out.String(), "  #"))

	// A request that fails is listed with its error, and fails the run.
	out.Reset()
	code = (&program{stdout: &out, stderr: &errb}).run(context.Background(), []string{"fanout", "-n", "2", "http://" + addr + "/hello\x7f"})
	assert.Equal(t, exitError, code)
	assert.Equal(t, 4, strings.Count(out.String(), "error: "), out.String())
}

// Over an emulated path with a delay, n requests one after another take
// about n round trips, n at once about one (with TCP's handshake, two).
func TestFanoutOverAnEmulatedPath(t *testing.T) {
	var out, errb bytes.Buffer
	code := (&program{stdout: &out, stderr: &errb}).run(context.Background(), []string{"fanout", "-n", "4", "-delay", "25ms"})
	require.Equal(t, exitOK, code, errb.String())
	assert.Contains(t, out.String(), "over an emulated path (custom: no loss, 25ms delay")
	assert.Contains(t, out.String(), "round trip of 50ms")
	seq := regexp.MustCompile(`one after another: 4 requests in ([0-9.]+m?s)`).FindStringSubmatch(out.String())
	par := regexp.MustCompile(`all at once: 4 requests in ([0-9.]+m?s)`).FindStringSubmatch(out.String())
	require.Len(t, seq, 2, out.String())
	require.Len(t, par, 2, out.String())
	s, err := time.ParseDuration(seq[1])
	require.NoError(t, err)
	p, err := time.ParseDuration(par[1])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, s, 5*50*time.Millisecond, "a handshake and four requests, a round trip each")
	assert.GreaterOrEqual(t, p, 2*50*time.Millisecond)
	// At once, they overlap: the wall clock is well under the sum of the
	// requests' own times. Measured against the sequential total instead,
	// a loaded machine's CPU time (four gVisor handshakes at once, under
	// -race) broke the margin (p is 2 round trips plus that, s/2 only 2.5).
	_, atOnce, _ := strings.Cut(out.String(), "all at once:")
	each := regexp.MustCompile(`(?m)^  #\d+  ([0-9.]+[mµu]?s)$`).FindAllStringSubmatch(atOnce, -1)
	require.Len(t, each, 4, out.String())
	var sum time.Duration
	for _, m := range each {
		d, err := time.ParseDuration(m[1])
		require.NoError(t, err)
		sum += d
	}
	assert.Less(t, p, sum/2, "at once, they overlap: %v in all, %v one by one", p, sum)

	for _, args := range [][]string{{"fanout", "-delay", "25ms", "http://127.0.0.1:1/hello"}, {"fanout", "-loss", "lots"}} {
		errb.Reset()
		code = (&program{stdout: io.Discard, stderr: &errb}).run(context.Background(), args)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, errb.String(), "Usage", "%v", args)
	}
}

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"-nosuchflag"},
		{"get"},
		{"get", "-X"},
		{"fanout", "-n", "0", "http://127.0.0.1:1/"},
		{"serve", "-cert", "only-cert.pem"},
		{"serve", "extra-arg"},
	} {
		var errb bytes.Buffer
		code := (&program{stdout: io.Discard, stderr: &errb}).run(context.Background(), args)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, errb.String(), "Usage", "%v prints usage", args)
	}
}

func TestListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var errb bytes.Buffer
	code := (&program{stdout: io.Discard, stderr: &errb}).run(context.Background(), []string{"-addr", ln.Addr().String()})
	assert.Equal(t, exitError, code)
	assert.Contains(t, errb.String(), "address already in use")
}

// TestChromiumShowsItsRequest loads "/" in headless Chromium: the DOM it
// renders holds the request text the browser itself sent.
func TestChromiumShowsItsRequest(t *testing.T) {
	chrome := testutil.NeedTool(t, "chromium") // Debian's, as .ci/run installs it
	addr, _, stderr := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chrome,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "http://"+addr+"/")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "chromium: %s", errb.String())
	dom := out.String()
	assert.Contains(t, dom, "HTTP is just text")
	assert.Contains(t, dom, "GET / HTTP/1.1")
	assert.Contains(t, dom, "Host: "+addr)
	assert.Contains(t, dom, "User-Agent: Mozilla/5.0", "the browser's own User-Agent")
	assert.Contains(t, stderr.String(), `"GET / HTTP/1.1" 200`)
}
