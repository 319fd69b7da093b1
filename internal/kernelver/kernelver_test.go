//go:build linux

package kernelver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParse(t *testing.T) {
	for s, want := range map[string]version{
		"6.18.0-1-amd64": {6, 18, true},
		"6.2":            {6, 2, true},
		"5.15.0+":        {5, 15, true},
		"4.19-rc1":       {4, 19, true},
		"":               {},
		"six.two":        {},
	} {
		got := parse(s)
		assert.Equal(t, want.ok, got.ok, s)
		if want.ok {
			assert.Equal(t, want, got, s)
		}
	}
	assert.True(t, AtLeast(2, 6), "any kernel running Go")
	assert.False(t, AtLeast(99, 0))
}
