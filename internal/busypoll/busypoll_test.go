package busypoll

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBudget(t *testing.T) {
	assert.Equal(t, Default, Budget(0), "zero is the default")
	assert.Equal(t, time.Millisecond, Budget(time.Millisecond))
	assert.Zero(t, Budget(-1), "negative is off")
}
