package neterr

import (
	"context"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failingListener fails its first fails Accepts with err, then hands out
// one end of a pipe.
type failingListener struct {
	net.Listener
	fails int
	err   error
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.fails > 0 {
		l.fails--
		return nil, l.err
	}
	c, _ := net.Pipe()
	return c, nil
}

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

func TestAcceptWaitsOutTemporaryErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED} {
		t.Run(errno.Error(), func(t *testing.T) {
			ln := &failingListener{fails: 3, err: acceptErr(errno)}
			c, err := Accept(t.Context(), ln)
			require.NoError(t, err)
			c.Close()
			assert.Zero(t, ln.fails, "retried until Accept succeeded")
		})
	}
}

func TestAcceptReturnsOtherErrors(t *testing.T) {
	for _, err := range []error{net.ErrClosed, acceptErr(syscall.EINVAL)} {
		ln := &failingListener{fails: 1, err: err}
		_, got := Accept(t.Context(), ln)
		assert.ErrorIs(t, got, err)
	}
}

func TestAcceptStopsWaitingWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	ln := &failingListener{fails: 1 << 30, err: acceptErr(syscall.EMFILE)}
	_, err := Accept(ctx, ln)
	assert.ErrorIs(t, err, context.Canceled)
}
