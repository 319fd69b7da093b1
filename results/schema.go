package results

import _ "embed"

// JSONSchema is the JSON Schema (draft 2020-12) of a record of the
// current Schema: every field, its type and range, and which fields a row
// of each kind may have. docs/schema.md explains each field.
//
//go:embed schema.json
var JSONSchema []byte
