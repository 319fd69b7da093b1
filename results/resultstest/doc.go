// Package resultstest checks records against the published JSON Schema
// (results.JSONSchema), for the tests of every package that writes them.
package resultstest
