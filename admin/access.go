package admin

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Access says who may call the admin API. Every request passes four rules,
// in this order; the refusal names the rule that failed:
//
//   - "host": the Host header is an IP address, localhost, or one of Hosts.
//     A web page that rebinds its own DNS name to 127.0.0.1 still sends
//     that name as Host, so it is refused (DNS rebinding).
//   - "cross-site": a browser request from another site is refused, by its
//     Sec-Fetch-Site or Origin header (net/http's CrossOriginProtection
//     for changes; any method when the browser says cross-site).
//   - "token" or "loopback": with a Token, every caller must send it as
//     "Authorization: Bearer TOKEN", loopback included, so a token means the
//     same behind a local reverse proxy (which makes every peer look local);
//     without one, only loopback peers are served.
//   - "content-type": a request that changes something and carries a body or
//     a Content-Type must say application/json, which a page cannot send to
//     another site without the browser asking first.
type Access struct {
	// Token, when set, is the bearer token demanded from every caller.
	Token string
	// Hosts are names, besides IP addresses and localhost, that callers may
	// address the server by (its DNS name, the listen address's host).
	Hosts []string
}

// Names of the access rules, as refusals report them.
const (
	RuleHost        = "host"
	RuleCrossSite   = "cross-site"
	RuleToken       = "token"
	RuleLoopback    = "loopback"
	RuleContentType = "content-type"
)

// crossOrigin holds no trusted origins: only same-origin browser requests
// and non-browser callers pass it.
var crossOrigin = http.NewCrossOriginProtection()

func (a Access) check(r *http.Request) *Error {
	if host := hostOnly(r.Host); !a.knownHost(host) {
		return &Error{Code: Forbidden, Rule: RuleHost, Message: "admin API refused: Host " + quoteHost(r.Host) + " is not this server's",
			Reason: "the admin API answers requests addressed to an IP address, localhost or a name given with --admin-host; a foreign Host is how a web page reaches a loopback server (DNS rebinding)"}
	}
	if err := crossOrigin.Check(r); err != nil || r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return &Error{Code: Forbidden, Rule: RuleCrossSite, Message: "admin API refused a cross-site request",
			Reason: "a browser sent it from another site (Origin " + quoteHost(r.Header.Get("Origin")) + ", Sec-Fetch-Site " + quoteHost(r.Header.Get("Sec-Fetch-Site")) + "); web pages may not drive the admin API"}
	}
	if a.Token != "" {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(a.Token)) != 1 {
			return &Error{Code: Unauthorized, Rule: RuleToken, Message: "admin token required",
				Reason: `this server was started with an admin token; send it as "Authorization: Bearer <token>"`}
		}
	} else if !isLoopback(r.RemoteAddr) {
		return &Error{Code: Forbidden, Rule: RuleLoopback, Message: "admin API refused to " + r.RemoteAddr,
			Reason: "without --admin-token the admin API answers loopback callers only; start the server with --admin-token and send it as a bearer token"}
	}
	if changes(r.Method) && (r.ContentLength != 0 || r.Header.Get("Content-Type") != "") {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return &Error{Code: UnsupportedMediaType, Rule: RuleContentType, Message: "admin API refused a body of Content-Type " + quoteHost(r.Header.Get("Content-Type")),
				Reason: "send the body as Content-Type: application/json"}
		}
	}
	return nil
}

// changes reports whether a method may change the server.
func changes(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// knownHost decides the "host" rule. IP literals pass: DNS rebinding needs
// a name, and a server listening on all interfaces is addressed by any of
// its addresses.
func (a Access) knownHost(host string) bool {
	if host == "" {
		return false
	}
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		return true
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	for _, h := range a.Hosts {
		if strings.EqualFold(hostOnly(h), host) {
			return true
		}
	}
	return false
}

// hostOnly drops the port of a Host header or listen address.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// quoteHost quotes a header value for a refusal, bounded.
func quoteHost(v string) string {
	if len(v) > 100 {
		v = v[:100] + "…"
	}
	return `"` + strings.ToValidUTF8(strings.ReplaceAll(v, `"`, `\"`), "?") + `"`
}

func isLoopback(remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		host, _, err := net.SplitHostPort(remoteAddr)
		if err != nil {
			return false
		}
		a, err := netip.ParseAddr(host)
		return err == nil && a.Unmap().IsLoopback()
	}
	return ap.Addr().Unmap().IsLoopback()
}
