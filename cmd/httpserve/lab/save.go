package lab

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"

	"netmatrix/http"
	"netmatrix/results/report"
	"netmatrix/results/web"
)

// saved is the answer to a save: where the run went, and the other
// saved runs it can be laid beside.
type saved struct {
	Name   string     `json:"name"`
	URL    string     `json:"url"`
	Others []savedRun `json:"others"`
}

type savedRun struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

// save serves POST /lab/save: it writes the run the form's id names, if
// it is the last that ended whole, as compare -save would, under Root.
func (l *Lab) save(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1024))
	form, perr := url.ParseQuery(string(body))
	if err != nil || perr != nil || form.Get("id") == "" {
		plain(w, http.StatusBadRequest, "save: which run? The form needs the id of a finished run.")
		return
	}
	l.mu.Lock()
	last := l.last
	if last != nil && last.id == form.Get("id") {
		l.last = nil // saved once: a second press must not make a copy
	}
	l.mu.Unlock()
	if last == nil || last.id != form.Get("id") {
		plain(w, http.StatusConflict, "save: that run is not here to save: it was saved already, another run has ended since, or it did not end whole.")
		return
	}
	dir, err := report.Save(l.Root, last.records)
	if err != nil {
		plain(w, http.StatusInternalServerError, err.Error())
		return
	}
	out := saved{Name: filepath.Base(dir), URL: web.Prefix + "/" + filepath.Base(dir) + "/"}
	runs, _ := web.New(l.Root).Runs()
	for _, rn := range runs {
		if rn.Err == nil && rn.Name != out.Name {
			out.Others = append(out.Others, savedRun{Name: rn.Name, Title: report.Title(rn.Records)})
		}
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
