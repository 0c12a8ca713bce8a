package admin

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// UIPath is where the dashboard page is served, on the admin prefix.
const UIPath = Prefix + "/ui/"

// uiFiles is the dashboard: plain HTML, CSS and JavaScript, embedded so
// that the binary serves it on a machine with no internet.
//
//go:embed ui
var uiFiles embed.FS

// uiPolicy lets the page load nothing and call nothing but this server.
const uiPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'self'; form-action 'none'; frame-ancestors 'none'"

// UIFiles are the dashboard's files, as the binary serves them.
func UIFiles() fs.FS {
	sub, _ := fs.Sub(uiFiles, "ui")
	return sub
}

// serveUI serves the page's files, GET and HEAD only; what is not one of
// them is refused as the API refuses, in JSON.
func serveUI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, refuse(NotAllowed, r.Method+" is not allowed on "+r.URL.Path, "allowed: GET, HEAD"))
		return
	}
	name := strings.TrimPrefix(r.URL.Path, UIPath)
	if r.URL.Path == Prefix+"/ui" || name == "" {
		// The page names its files relative to UIPath (its <base>).
		name = "index.html"
	}
	b, err := fs.ReadFile(UIFiles(), name)
	if err != nil {
		writeError(w, refuse(NotFound, "no dashboard file at "+r.URL.Path, "the dashboard is at "+UIPath))
		return
	}
	h := w.Header()
	h.Del("Content-Type") // by the file's name
	h.Set("Content-Security-Policy", uiPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
