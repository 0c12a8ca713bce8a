package soapserver

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// selfUpdatePrefix is the self-update content directory a WSUS server must
// expose (MS-WUSP §3.1.5.1); agents fetch selfupdate/wuident.cab from it
// before every scan and skip the scan when they cannot (0x80244019 for a
// 404).
const selfUpdatePrefix = "/selfupdate/"

// serveSelfUpdate answers GET and HEAD under /selfupdate/ from
// Config.SelfUpdate, or, without one, with a placeholder wuident.cab. The
// placeholder satisfies the simulator, which only checks that the file is
// there; a real Windows client validates the cabinet's Microsoft signature
// and needs the directory of a real WSUS install
// (%ProgramFiles%\Update Services\Selfupdate).
func (s *Server) serveSelfUpdate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := r.URL.Path[len(selfUpdatePrefix):]
	if s.cfg.SelfUpdate != nil {
		// IIS matched paths without regard to case; the tree on disk is in
		// its own case, so the path as asked and in lower case are tried.
		for _, n := range []string{name, strings.ToLower(name)} {
			if b, err := fs.ReadFile(s.cfg.SelfUpdate, n); err == nil {
				w.Header().Set("Content-Type", "application/octet-stream")
				http.ServeContent(w, r, n, time.Time{}, bytes.NewReader(b))
				return
			}
		}
		s.selfUpdateNotFound(w, name)
		return
	}
	if !strings.EqualFold(name, "wuident.cab") {
		s.selfUpdateNotFound(w, name)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "wuident.cab", time.Time{}, bytes.NewReader(placeholderWuident))
}

// selfUpdateNotFound answers 404 with a body that says which directory
// lacks the file, so that a user whose real agent stops at the self-update
// check learns what to supply. The name is quoted: it is the caller's.
func (s *Server) selfUpdateNotFound(w http.ResponseWriter, name string) {
	source := s.cfg.SelfUpdateSource
	switch {
	case source != "":
	case s.cfg.SelfUpdate != nil:
		source = "the self-update directory served"
	default:
		source = "the placeholder self-update directory, which holds wuident.cab only"
	}
	http.Error(w, fmt.Sprintf("%q is not in %s", "selfupdate/"+name, source), http.StatusNotFound)
}

// placeholderWuident is a cabinet holding one stored file, wuident.txt,
// that says what it is. It is not signed.
var placeholderWuident = storedCabinet("wuident.txt",
	[]byte("; wsusmock placeholder self-update identity; not signed by Microsoft.\r\n"))

// storedCabinet builds a one-file, one-folder Microsoft cabinet without
// compression (MS-CAB: CFHEADER, CFFOLDER, CFFILE, one CFDATA block with
// no checksum). data must fit one block (32 KiB).
func storedCabinet(name string, data []byte) []byte {
	const header, folder, fileFixed, dataFixed = 36, 8, 16, 8
	fileOff := header + folder
	dataOff := fileOff + fileFixed + len(name) + 1
	total := dataOff + dataFixed + len(data)
	b := make([]byte, 0, total)
	le := binary.LittleEndian
	b = append(b, "MSCF"...)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(total))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(fileOff))
	b = le.AppendUint32(b, 0)
	b = append(b, 3, 1)       // version 1.3
	b = le.AppendUint16(b, 1) // folders
	b = le.AppendUint16(b, 1) // files
	b = le.AppendUint16(b, 0) // flags
	b = le.AppendUint16(b, 0) // set ID
	b = le.AppendUint16(b, 0) // cabinet number
	// CFFOLDER
	b = le.AppendUint32(b, uint32(dataOff))
	b = le.AppendUint16(b, 1) // data blocks
	b = le.AppendUint16(b, 0) // no compression
	// CFFILE: 2008-06-13 00:00:00 in FAT date/time, archive attribute.
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, (2008-1980)<<9|6<<5|13)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0x20)
	b = append(b, name...)
	b = append(b, 0)
	// CFDATA
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, uint16(len(data)))
	b = le.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}
