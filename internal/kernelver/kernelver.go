//go:build linux

package kernelver

import (
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// AtLeast reports whether the running kernel is release major.minor or
// later; false where the release cannot be read.
func AtLeast(major, minor int) bool {
	r := release()
	return r.ok && (r.major > major || r.major == major && r.minor >= minor)
}

type version struct {
	major, minor int
	ok           bool
}

var release = sync.OnceValue(func() version {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return version{}
	}
	return parse(unix.ByteSliceToString(u.Release[:]))
})

// parse reads "6.18.0-1-amd64" as 6.18.
func parse(s string) version {
	major, rest, _ := strings.Cut(s, ".")
	minor, _, _ := strings.Cut(rest, ".")
	ma, err1 := strconv.Atoi(major)
	// The minor number may run into a suffix ("19-rc1", "15+").
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	mi, err2 := strconv.Atoi(minor)
	return version{ma, mi, err1 == nil && err2 == nil}
}
