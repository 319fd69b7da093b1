package http

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/testutil"
)

// curl runs curl against the test server; tests skip where it is missing
// (CI installs it).
func curl(t *testing.T, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	path := testutil.NeedTool(t, "curl")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{"-sS", "--max-time", "10"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "curl %v: %s", args, errb.String())
	return out.String(), errb.String()
}

func TestCurl(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	base := "http://" + addr

	t.Run("keep-alive", func(t *testing.T) {
		out, verbose := curl(t, "", "-v", base+"/hello", base+"/path/x")
		assert.Equal(t, "Hello, World!prefix /path/x", out)
		assert.Contains(t, verbose, "Re-using existing connection", "second URL reuses the connection")
	})
	t.Run("chunked upload", func(t *testing.T) {
		out, verbose := curl(t, "streamed from stdin", "-v", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", base+"/echo")
		assert.Equal(t, "POST /echo\nstreamed from stdin", out)
		assert.Contains(t, verbose, "Transfer-Encoding: chunked")
	})
	t.Run("HEAD", func(t *testing.T) {
		out, _ := curl(t, "", "-I", base+"/hello")
		assert.Contains(t, out, "HTTP/1.1 200 OK")
		assert.Contains(t, out, "Content-Length: 13")
		assert.NotContains(t, out, "Hello")
	})
	t.Run("HTTP/1.0", func(t *testing.T) {
		out, _ := curl(t, "", "-i", "--http1.0", base+"/hello")
		assert.Contains(t, out, "Connection: close")
		assert.True(t, strings.HasSuffix(out, "\r\n\r\nHello, World!"))
	})
	t.Run("large chunked download", func(t *testing.T) {
		out, _ := curl(t, "", base+"/stream")
		assert.Equal(t, strings.Repeat("0123456789", 10000), out)
	})
	t.Run("404", func(t *testing.T) {
		out, _ := curl(t, "", "-o", "/dev/null", "-w", "%{http_code}", base+"/nothing")
		assert.Equal(t, "404", out)
	})
}
