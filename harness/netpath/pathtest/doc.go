// Package pathtest holds the checks the tests of every kind of path make
// (package netpath's sub-packages), so that each path is held to the same
// account: what crosses it, what it refuses, how it stops. Like
// net/http/httptest, it is for tests only.
package pathtest
