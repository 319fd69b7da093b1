package results

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadJSONSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		newer          bool
	}{
		{"truncated", `{"schema":1,"scenario":{`, "record 1 is not valid JSON", false},
		{"garbage after a good record", `{"schema":1}` + "\n" + `{"schema":1,]`, "record 2 is not valid JSON (at byte", false},
		{"not an object", `[1,2]`, "record 1 is not a JSON object", false},
		{"no schema", `{"scenario":{}}`, "record 1 has no schema version", false},
		{"schema zero", `{"schema":0}`, "record 1 has schema 0", false},
		// A newer record whose fields changed type is still reported as
		// newer, not as a type error in the field that changed.
		{"newer", `{"schema":3,"results":"a string now"}`, "record 1 has schema 3, this build reads up to 2", true},
		{"wrong type", `{"schema":1,"results":"a string"}`, "record 1 does not fit schema 1", false},
		{"empty", ``, "no records", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.newer, errors.Is(err, ErrNewerSchema))
		})
	}
}
