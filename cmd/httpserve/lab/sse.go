package lab

import (
	"encoding/json"
	"strings"

	"netmatrix/http"
)

// sse writes server-sent events (the WHATWG HTML standard's
// text/event-stream) to a response that streams: each event a name and
// one line of JSON, flushed at once, over the chunked body of our own
// HTTP server.
type sse struct {
	w   http.ResponseWriter
	err error // the first write that failed: the client has gone
}

// start sends the response's header: a stream no cache or proxy keeps.
func (s *sse) start() {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	s.flush()
}

// event sends one event. Its data is v as JSON, which never holds a
// newline, so it is one data line.
func (s *sse) event(name string, v any) {
	var data strings.Builder
	enc := json.NewEncoder(&data)
	// The HTML in a section goes as it is, not as \u003c escapes: the
	// page puts it in the DOM, never in a script.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		data.Reset()
		enc.Encode(map[string]string{"message": err.Error()})
		name = "fail"
	}
	// Encode ends the JSON with the newline that ends the data line.
	s.write("event: " + name + "\ndata: " + data.String() + "\n")
}

// ping sends a comment, which a client ignores: it keeps the stream
// alive through idle stretches and tells us, by failing, that the client
// has gone.
func (s *sse) ping() { s.write(": ping\n\n") }

func (s *sse) write(text string) {
	if s.err != nil {
		return
	}
	if _, err := s.w.WriteString(text); err != nil {
		s.err = err
		return
	}
	s.flush()
}

func (s *sse) flush() {
	if s.err == nil {
		s.err = s.w.Flush()
	}
}
