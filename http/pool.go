package http

import "sync"

// Buffers come from a few size classes so a connection holds a big buffer
// only while it has a request in hand; an idle connection keeps just its
// small one (see reader).
var bufClasses = [...]int{4 << 10, 16 << 10, 64 << 10}

var bufPools [len(bufClasses)]sync.Pool

// getBuf returns a buffer of at least n bytes. Pools hold *[]byte so that
// putting one back does not allocate a slice header.
func getBuf(n int) *[]byte {
	for i, size := range bufClasses {
		if n <= size {
			if p, _ := bufPools[i].Get().(*[]byte); p != nil {
				return p
			}
			b := make([]byte, size)
			return &b
		}
	}
	b := make([]byte, n)
	return &b
}

// putBuf returns a buffer from getBuf; odd sizes are left to the GC.
func putBuf(p *[]byte) {
	if p == nil {
		return
	}
	c := cap(*p)
	for i, size := range bufClasses {
		if c == size {
			*p = (*p)[:size]
			bufPools[i].Put(p)
			return
		}
	}
}
