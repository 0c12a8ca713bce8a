package server

import (
	"io"
	"net/http"
	"strings"

	"github.com/wsusmock/wsusmock/admin"
)

// Shared is a world the server shares with other servers, as Share
// returns it: the admin API's changes go to it, and it says in /healthz
// how it stands.
type Shared interface {
	admin.Shared
	// Health is the /healthz body: "ok" or "stale" on its first line,
	// then what the shared world says of itself.
	Health() string
	// Close stops following the shared world; the server keeps its
	// snapshot.
	Close()
}

// sharedHealth answers /healthz with the shared world's Health; the rest
// goes to next. The status stays 200 while the world's source is away:
// the server still serves a consistent world, its last snapshot, and
// says so in the body.
func sharedHealth(sh Shared, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.URL.Path, "/healthz") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, sh.Health())
	})
}
