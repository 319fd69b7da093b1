package http

import "unsafe"

// unsafeString views b as a string without copying. It is used only where
// the string does not outlive b and b is not changed meanwhile: to pass a
// []byte to a function taking a string that does not keep it.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
