package soapserver

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// MS-WUSP §3.1.5.1: the server exposes the self-update content directory,
// where agents fetch selfupdate/wuident.cab before every scan. Without a
// directory of its own the server offers a placeholder cabinet; given one,
// it serves that tree.
func TestSelfUpdateDirectory(t *testing.T) {
	get := func(s *Server, method, path string) (int, []byte) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		body, _ := io.ReadAll(rec.Result().Body)
		return rec.Code, body
	}

	t.Run("placeholder", func(t *testing.T) {
		s := newTestServer(t, "sp1-office2003", Config{})
		code, body := get(s, http.MethodGet, "/selfupdate/wuident.cab")
		if code != http.StatusOK || !bytes.HasPrefix(body, []byte("MSCF")) {
			t.Fatalf("GET wuident.cab: %d %q", code, body)
		}
		// The header's cbCabinet is the file's size; the one file is
		// wuident.txt.
		if int(binary.LittleEndian.Uint32(body[8:])) != len(body) || !bytes.Contains(body, []byte("wuident.txt\x00")) {
			t.Errorf("not a one-file cabinet: % x", body)
		}
		if code, _ := get(s, http.MethodHead, "/SelfUpdate/WUIDENT.CAB"); code != http.StatusOK {
			t.Errorf("HEAD in another case: %d", code)
		}
		if code, body := get(s, http.MethodGet, "/selfupdate/wsus3setup.cab"); code != http.StatusNotFound ||
			!strings.Contains(string(body), `"selfupdate/wsus3setup.cab" is not in the placeholder self-update directory`) {
			t.Errorf("another file: %d %q, want 404 saying the placeholder lacks it", code, body)
		}
	})
	t.Run("a directory of the user's", func(t *testing.T) {
		tree := fstest.MapFS{
			"wuident.cab":                    {Data: []byte("MSCF real")},
			"WSUS3/x86/Other/wsus3setup.cab": {Data: []byte("MSCF setup")},
		}
		s := newTestServer(t, "sp1-office2003", Config{SelfUpdate: tree, SelfUpdateSource: "--selfupdate-dir /srv/Selfupdate"})
		if code, body := get(s, http.MethodGet, "/selfupdate/wuident.cab"); code != http.StatusOK || string(body) != "MSCF real" {
			t.Errorf("wuident.cab: %d %q", code, body)
		}
		if code, body := get(s, http.MethodGet, "/selfupdate/WSUS3/x86/Other/wsus3setup.cab"); code != http.StatusOK || string(body) != "MSCF setup" {
			t.Errorf("nested file: %d %q", code, body)
		}
		if code, body := get(s, http.MethodGet, "/selfupdate/missing.cab"); code != http.StatusNotFound ||
			!strings.Contains(string(body), `"selfupdate/missing.cab" is not in --selfupdate-dir /srv/Selfupdate`) {
			t.Errorf("missing file: %d %q, want 404 naming the directory", code, body)
		}
		if code, _ := get(s, http.MethodPost, "/selfupdate/wuident.cab"); code != http.StatusMethodNotAllowed {
			t.Errorf("POST: %d, want 405", code)
		}
	})
}
