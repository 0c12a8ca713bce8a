package wsuslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names the character encoding OpenLog found.
type Encoding string

// The encodings WindowsUpdate.log and SoftwareDistribution.log are met
// in. WUA 7.x writes ANSI (Windows-1252 on Western systems); logs
// saved by Notepad or collected by tools come as UTF-16LE or UTF-8.
const (
	EncodingUTF8        Encoding = "UTF-8"
	EncodingUTF8BOM     Encoding = "UTF-8 with BOM"
	EncodingUTF16LE     Encoding = "UTF-16LE"
	EncodingUTF16BE     Encoding = "UTF-16BE"
	EncodingWindows1252 Encoding = "Windows-1252"
)

// sniffSize is how much OpenLog reads ahead to choose between UTF-8 and
// Windows-1252 when there is no byte-order mark.
const sniffSize = 64 << 10

// MaxLineSize bounds the part of one line a Reader keeps; long enough
// for any stack frame or a pasted criteria string. The rest of a longer
// line is read and dropped, and Cut reports it.
const MaxLineSize = 1 << 20

// Reader yields the lines of a log file as UTF-8 strings without line
// endings, numbered from 1, whatever encoding the file is in. Use it like
// bufio.Scanner:
//
//	r, err := wsuslog.OpenLog(f)
//	…
//	for r.Scan() {
//		if e, ok := wsuslog.ParseClientLine(r.Text()); ok { … }
//	}
//	err = r.Err()
//
// Unlike bufio.Scanner, a Reader does not stop at a line longer than its
// buffer: it yields the first MaxLineSize bytes of such a line, reports
// it with Cut, skips the rest and goes on, so one over-long line cannot
// hide the lines after it.
type Reader struct {
	enc  Encoding
	br   *bufio.Reader
	buf  []byte // the current line, at most MaxLineSize bytes
	text string
	line int
	cut  int64 // bytes of the current line left out
	err  error
}

// OpenLog detects the encoding of r and returns a Reader of its lines.
//
// A byte-order mark decides: FF FE is UTF-16LE, FE FF UTF-16BE, EF BB BF
// UTF-8. Without one, a file whose first bytes alternate ASCII and zero
// is taken as UTF-16LE; otherwise the first 64 KiB are checked, and the
// file is UTF-8 if they are valid UTF-8 and Windows-1252 if not. A line
// further on that is not valid UTF-8 in a file taken as UTF-8 is decoded
// as Windows-1252, so a late non-ASCII byte in an ANSI file still reads
// correctly.
func OpenLog(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("wsuslog: reading log: %w", err)
	}
	complete := err != nil && errors.Is(err, io.EOF)

	var src io.Reader = br
	var enc Encoding
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		enc = EncodingUTF16LE
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc = EncodingUTF16BE
		src = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		enc = EncodingUTF8BOM
		if _, err := br.Discard(3); err != nil {
			return nil, fmt.Errorf("wsuslog: reading log: %w", err)
		}
	case len(head) >= 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0:
		enc = EncodingUTF16LE
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder())
	case validUTF8Head(head, complete):
		enc = EncodingUTF8
	default:
		enc = EncodingWindows1252
		src = transform.NewReader(br, charmap.Windows1252.NewDecoder())
	}

	lines, ok := src.(*bufio.Reader)
	if !ok {
		lines = bufio.NewReaderSize(src, sniffSize)
	}
	return &Reader{enc: enc, br: lines}, nil
}

// validUTF8Head reports whether head is valid UTF-8, ignoring a rune cut
// off at its end when head is not the complete file.
func validUTF8Head(head []byte, complete bool) bool {
	if !complete {
		for i := 1; i < utf8.UTFMax && i <= len(head); i++ {
			if utf8.RuneStart(head[len(head)-i]) {
				if !utf8.FullRune(head[len(head)-i:]) {
					head = head[:len(head)-i]
				}
				break
			}
		}
	}
	return utf8.Valid(head)
}

// Encoding reports the encoding OpenLog detected.
func (r *Reader) Encoding() Encoding { return r.enc }

// Scan advances to the next line and reports whether there is one.
func (r *Reader) Scan() bool {
	if r.err != nil {
		return false
	}
	r.buf, r.cut = r.buf[:0], 0
	read, ended := false, false
	for {
		chunk, err := r.br.ReadSlice('\n')
		read = read || len(chunk) > 0
		if room := MaxLineSize - len(r.buf); len(chunk) > room {
			r.cut += int64(len(chunk) - room)
			chunk = chunk[:room]
		}
		r.buf = append(r.buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		ended = err == nil
		if err != nil {
			if !errors.Is(err, io.EOF) {
				// A line cut off by a failing reader is not a line.
				r.err = err
				return false
			}
			r.err = io.EOF
			if !read {
				return false
			}
		}
		break
	}
	r.line++
	b := bytes.TrimSuffix(r.buf, []byte{'\n'})
	if r.cut > 0 && ended {
		r.cut-- // the newline, which is no part of the line, was left out
	}
	if r.enc == EncodingUTF8 && !utf8.Valid(b) {
		if d, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil {
			b = d
		}
	}
	// bufio.ScanLines removes the CR of a CRLF; a CR left inside a line
	// (a file converted twice) is removed too.
	r.text = string(bytes.ReplaceAll(b, []byte{'\r'}, nil))
	return true
}

// Text returns the current line, decoded and without CR or LF.
func (r *Reader) Text() string { return r.text }

// Line returns the 1-based number of the current line.
func (r *Reader) Line() int { return r.line }

// Cut returns how many bytes of the current line were left out because
// the line is longer than MaxLineSize; 0 for a line read whole. Text
// then holds the line's first MaxLineSize bytes.
func (r *Reader) Cut() int64 { return r.cut }

// Err returns the first error met while reading, other than io.EOF.
// Lines before the one that could not be read were returned by Scan.
func (r *Reader) Err() error {
	if r.err != nil && !errors.Is(r.err, io.EOF) {
		return fmt.Errorf("wsuslog: line %d: %w", r.line+1, r.err)
	}
	return nil
}
