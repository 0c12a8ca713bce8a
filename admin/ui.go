package admin

import (
	"embed"
	"io/fs"
	"net/http"
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
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// serveUI serves the page's files; only GET and HEAD.
func serveUI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, refuse(NotAllowed, r.Method+" is not allowed on "+r.URL.Path, "allowed: GET, HEAD"))
		return
	}
	if r.URL.Path == Prefix+"/ui" {
		http.Redirect(w, r, UIPath, http.StatusMovedPermanently)
		return
	}
	h := w.Header()
	h.Del("Content-Type") // by file name
	h.Set("Content-Security-Policy", uiPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	http.StripPrefix(UIPath, http.FileServerFS(UIFiles())).ServeHTTP(w, r)
}

// UIFiles are the dashboard's files, as the binary serves them.
func UIFiles() fs.FS {
	sub, _ := fs.Sub(uiFiles, "ui")
	return sub
}
