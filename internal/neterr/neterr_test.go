package neterr

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A send bounded by a deadline ends one of three ways, told apart by the
// error of its last write and by its context.
func TestUntilDeadline(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	timeout := &net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}
	reset := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}

	assert.NoError(t, UntilDeadline(live, nil, "send"))
	assert.NoError(t, UntilDeadline(live, timeout, "send"), "the deadline is the end asked for")

	// A cancel pulls the deadline in, so its write fails with a timeout
	// too; the context says it was a cancel, and that is what is returned.
	assert.ErrorIs(t, UntilDeadline(cancelled, timeout, "send"), context.Canceled)
	assert.ErrorIs(t, UntilDeadline(cancelled, reset, "send"), context.Canceled)

	err := UntilDeadline(live, reset, "tcp: bulk send")
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	assert.Equal(t, "tcp: bulk send: "+reset.Error(), err.Error())
	assert.False(t, errors.Is(err, context.Canceled))
}
