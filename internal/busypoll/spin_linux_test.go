package busypoll

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSpin(t *testing.T) {
	tries := 0
	assert.False(t, Spin(0, func() bool { tries++; return true }), "no budget, no tries")
	assert.Zero(t, tries)

	tries = 0
	assert.True(t, Spin(time.Second, func() bool { tries++; return tries == 3 }))
	assert.Equal(t, 3, tries)

	start := time.Now()
	assert.False(t, Spin(time.Millisecond, func() bool { return false }), "gives up")
	assert.Less(t, time.Since(start), time.Second)
}
