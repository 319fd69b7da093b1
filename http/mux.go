package http

import (
	"fmt"
	"slices"
	"strings"
)

// ServeMux routes a request by its path, then its method.
//
// A pattern is "[METHOD ]PATH". A PATH ending in "*" is a prefix route:
// "/static/*" matches "/static/" and everything under it; any other PATH
// matches only itself, so "/" is the root page and nothing else. The
// longest matching prefix wins; an exact route beats any prefix. A pattern
// without a method takes every method; "GET" also takes HEAD.
//
// A path no route matches gets NotFound (404). A path that matches but
// not for this method gets 405 with an Allow header listing the methods
// that would work, and a method the server does not know at all gets 501.
type ServeMux struct {
	// NotFound answers unmatched paths; nil gives a plain-text 404.
	NotFound Handler

	exact    map[string]*route
	prefixes []*route // longest first
}

type route struct {
	pattern string
	any     Handler            // for every method, if set
	methods map[string]Handler // by method
	allow   string             // the Allow header for a 405
}

// NewServeMux returns an empty ServeMux.
func NewServeMux() *ServeMux { return &ServeMux{exact: map[string]*route{}} }

// Handle registers h for pattern. It panics on a malformed pattern or one
// registered twice, as both are programming errors found at start-up.
func (m *ServeMux) Handle(pattern string, h Handler) {
	if h == nil {
		panic("http: nil handler for " + pattern)
	}
	method, path, hasMethod := strings.Cut(pattern, " ")
	if !hasMethod {
		method, path = "", pattern
	}
	if !strings.HasPrefix(path, "/") || (hasMethod && !validMethodName(method)) {
		panic(fmt.Sprintf("http: bad pattern %q", pattern))
	}
	if m.exact == nil {
		m.exact = map[string]*route{}
	}
	prefix := strings.HasSuffix(path, "*")
	path = strings.TrimSuffix(path, "*")
	r := m.find(path, prefix)
	if r == nil {
		r = &route{pattern: path, methods: map[string]Handler{}}
		if prefix {
			m.prefixes = append(m.prefixes, r)
			slices.SortStableFunc(m.prefixes, func(a, b *route) int { return len(b.pattern) - len(a.pattern) })
		} else {
			m.exact[path] = r
		}
	}
	if method == "" {
		if r.any != nil {
			panic("http: pattern registered twice: " + pattern)
		}
		r.any = h
		return
	}
	if _, dup := r.methods[method]; dup {
		panic("http: pattern registered twice: " + pattern)
	}
	r.methods[method] = h
	r.allow = r.allowHeader()
}

// HandleFunc registers f for pattern.
func (m *ServeMux) HandleFunc(pattern string, f func(ResponseWriter, *Request)) {
	m.Handle(pattern, HandlerFunc(f))
}

func (m *ServeMux) find(path string, prefix bool) *route {
	if !prefix {
		return m.exact[path]
	}
	for _, r := range m.prefixes {
		if r.pattern == path {
			return r
		}
	}
	return nil
}

func (r *route) allowHeader() string {
	var ms []string
	for m := range r.methods {
		ms = append(ms, m)
	}
	if _, ok := r.methods["GET"]; ok {
		if _, ok := r.methods["HEAD"]; !ok {
			ms = append(ms, "HEAD")
		}
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

// Handler returns the handler for r and the status it would answer with
// (200 when a route takes the request).
func (m *ServeMux) Handler(r *Request) (Handler, int) {
	rt := m.exact[r.Path]
	if rt == nil {
		for _, p := range m.prefixes {
			if strings.HasPrefix(r.Path, p.pattern) {
				rt = p
				break
			}
		}
	}
	if rt == nil {
		if m.NotFound != nil {
			return m.NotFound, StatusNotFound
		}
		return notFoundHandler, StatusNotFound
	}
	if rt.any != nil && len(rt.methods) == 0 {
		return rt.any, StatusOK
	}
	if h, ok := rt.methods[r.Method]; ok {
		return h, StatusOK
	}
	if r.Method == "HEAD" {
		if h, ok := rt.methods["GET"]; ok {
			return h, StatusOK
		}
	}
	if rt.any != nil {
		return rt.any, StatusOK
	}
	if _, known := knownMethod[r.Method]; !known {
		return notImplemented, StatusNotImplemented
	}
	return methodNotAllowed(rt.allow), StatusMethodNotAllowed
}

// ServeHTTP dispatches r to the handler that matches it.
func (m *ServeMux) ServeHTTP(w ResponseWriter, r *Request) {
	h, _ := m.Handler(r)
	h.ServeHTTP(w, r)
}

type methodNotAllowed string

func (allow methodNotAllowed) ServeHTTP(w ResponseWriter, r *Request) {
	w.Header().Set("Allow", string(allow))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(StatusMethodNotAllowed)
	w.WriteString("405 method not allowed\n")
}

var notImplemented = HandlerFunc(func(w ResponseWriter, r *Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(StatusNotImplemented)
	w.WriteString("501 method not implemented\n")
})

func validMethodName(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !isToken[m[i]] {
			return false
		}
	}
	return true
}
