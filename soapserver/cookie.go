package soapserver

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/wsusmock/wsusmock/wusp"
)

// Cookies carry the client's state, so the server keeps none: WSUS did the
// same (its cookie held UnencryptedCookieData). A cookie is sealed with
// AES-GCM under the server's key; replicas that share the key accept each
// other's cookies.
//
// Layout of Cookie.EncryptedData and AuthorizationCookie.CookieData:
//
//	"WSM1" | key ID (8 bytes) | nonce (12 bytes) | AES-GCM ciphertext
//
// The plaintext is a compact binary record (see record), not JSON: opening
// the cookie is on the path of every SyncUpdates, fault included.
//
// The key ID is readable without the key, which is what lets the server
// tell a foreign cookie (another server's: ServerChanged) from a damaged
// one (InvalidCookie).

var cookieMagic = [4]byte{'W', 'S', 'M', '1'}

const (
	keyIDLen    = 8
	nonceLen    = 12
	headerLen   = len(cookieMagic) + keyIDLen + nonceLen
	purposeAuth = "authorization"
	purposeSess = "session"
)

// session is what a Cookie's EncryptedData holds (MS-WUSP §2.2.3.5 leaves
// its content to the server).
type session struct {
	ClientID string
	DNSName  string
	Groups   []string
	Protocol string
	Issued   time.Time
	Expires  time.Time
	// ConfigChange is the Config.LastChange the client synchronised with;
	// an older value than the server's means ConfigChanged.
	ConfigChange time.Time
	// SyncedThrough is the newest deployment change the client has been
	// sent, the base for ChangedUpdates.
	SyncedThrough time.Time
}

// authorization is what the SimpleTargeting plug-in's CookieData holds.
type authorization struct {
	ClientID    string
	TargetGroup string
	DNSName     string
	Issued      time.Time
}

// sealer seals and opens cookies under one key.
type sealer struct {
	aead  cipher.AEAD
	keyID [keyIDLen]byte
	// authAD and sessAD are the purposes as the AEAD's additional data,
	// converted once: a conversion per cookie would allocate, since the
	// AEAD is an interface.
	authAD, sessAD []byte
}

// additionalData is purpose as the AEAD authenticates it.
func (s *sealer) additionalData(purpose string) []byte {
	switch purpose {
	case purposeAuth:
		return s.authAD
	case purposeSess:
		return s.sessAD
	}
	return []byte(purpose)
}

// newSealer derives the AES-256 key from any secret: a replica given the same
// --cookie-key derives the same key.
func newSealer(secret []byte) (*sealer, error) {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	key := sha256.Sum256(append([]byte("wsusmock cookie key\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &sealer{aead: aead, authAD: []byte(purposeAuth), sessAD: []byte(purposeSess)}
	id := sha256.Sum256(append([]byte("wsusmock cookie key id\x00"), key[:]...))
	copy(s.keyID[:], id[:])
	return s, nil
}

func (s *sealer) seal(purpose string, v marshaler) []byte {
	plain := v.marshal(make([]byte, 0, 128))
	out := make([]byte, headerLen, headerLen+len(plain)+s.aead.Overhead())
	copy(out, cookieMagic[:])
	copy(out[len(cookieMagic):], s.keyID[:])
	_, _ = rand.Read(out[len(cookieMagic)+keyIDLen : headerLen])
	return s.aead.Seal(out, out[len(cookieMagic)+keyIDLen:headerLen], plain, s.additionalData(purpose))
}

var (
	errForeignCookie = errors.New("cookie was issued by another server")
	errBadCookie     = errors.New("cookie is damaged or not a cookie of this server")
)

func (s *sealer) open(purpose string, data []byte, v unmarshaler) error {
	plain, err := s.plaintext(purpose, data)
	if err != nil {
		return err
	}
	if err := v.unmarshal(plain); err != nil {
		return fmt.Errorf("%w: %v", errBadCookie, err)
	}
	return nil
}

// plaintext is what open decrypts, before it is unmarshalled: openSession,
// on every request, unmarshals it itself so that its session stays on the
// stack rather than escape through the unmarshaler interface.
func (s *sealer) plaintext(purpose string, data []byte) ([]byte, error) {
	if len(data) < headerLen+s.aead.Overhead() || !bytes.Equal(data[:len(cookieMagic)], cookieMagic[:]) {
		return nil, errBadCookie
	}
	if !bytes.Equal(data[len(cookieMagic):len(cookieMagic)+keyIDLen], s.keyID[:]) {
		return nil, errForeignCookie
	}
	plain, err := s.aead.Open(nil, data[len(cookieMagic)+keyIDLen:headerLen], data[headerLen:], s.additionalData(purpose))
	if err != nil {
		return nil, errBadCookie
	}
	return plain, nil
}

// openSession checks a Cookie the way WSUS did before every operation
// (MS-WUSP §3.1.5.7 step 1): InvalidCookie for a damaged one, ServerChanged
// for another server's, CookieExpired once past its expiry.
func (s *sealer) openSession(c wusp.Cookie, now time.Time) (session, *wusp.Fault) {
	var sess session
	plain, err := s.plaintext(purposeSess, c.EncryptedData)
	if err == nil {
		if err = sess.unmarshal(plain); err != nil {
			err = fmt.Errorf("%w: %v", errBadCookie, err)
		}
	}
	switch {
	case errors.Is(err, errForeignCookie):
		return sess, wusp.NewFault(wusp.ServerChanged, "")
	case err != nil:
		return sess, wusp.NewFault(wusp.InvalidCookie, "")
	}
	if !now.Before(sess.Expires) {
		return sess, wusp.NewFault(wusp.CookieExpired, "")
	}
	return sess, nil
}

func (s *sealer) cookie(sess session) wusp.Cookie {
	return wusp.Cookie{Expiration: sess.Expires, EncryptedData: s.seal(purposeSess, &sess)}
}

type marshaler interface{ marshal([]byte) []byte }
type unmarshaler interface{ unmarshal([]byte) error }

// recordVersion leads every plaintext, so a later layout can be told apart.
const recordVersion = 1

func (c *session) marshal(b []byte) []byte {
	b = append(b, recordVersion)
	b = appendString(b, c.ClientID)
	b = appendString(b, c.DNSName)
	b = binary.AppendUvarint(b, uint64(len(c.Groups)))
	for _, g := range c.Groups {
		b = appendString(b, g)
	}
	b = appendString(b, c.Protocol)
	for _, t := range [...]time.Time{c.Issued, c.Expires, c.ConfigChange, c.SyncedThrough} {
		b = appendTime(b, t)
	}
	return b
}

func (c *session) unmarshal(b []byte) error {
	r := record{b: b}
	if r.byte() != recordVersion {
		return errors.New("unknown cookie record version")
	}
	c.ClientID, c.DNSName = r.string(), r.string()
	n := r.uvarint()
	if n > 64 {
		return errors.New("too many target groups")
	}
	c.Groups = make([]string, 0, n)
	for range n {
		c.Groups = append(c.Groups, r.string())
	}
	c.Protocol = r.string()
	c.Issued, c.Expires, c.ConfigChange, c.SyncedThrough = r.time(), r.time(), r.time(), r.time()
	return r.err
}

func (a *authorization) marshal(b []byte) []byte {
	b = append(b, recordVersion)
	b = appendString(b, a.ClientID)
	b = appendString(b, a.TargetGroup)
	b = appendString(b, a.DNSName)
	return appendTime(b, a.Issued)
}

func (a *authorization) unmarshal(b []byte) error {
	r := record{b: b}
	if r.byte() != recordVersion {
		return errors.New("unknown cookie record version")
	}
	a.ClientID, a.TargetGroup, a.DNSName = r.string(), r.string(), r.string()
	a.Issued = r.time()
	return r.err
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendTime stores Unix nanoseconds, zero for the zero time.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

// record reads what marshal wrote; the first error sticks.
type record struct {
	b   []byte
	err error
}

func (r *record) fail() { r.err, r.b = errors.New("truncated cookie record"), nil }

func (r *record) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *record) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// string returns the next string as a view into the record: open hands
// unmarshal a plaintext that nothing writes again, so the strings of a
// session share its one allocation instead of making one each.
func (r *record) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	var s string
	if n > 0 {
		s = unsafe.String(&r.b[0], int(n))
	}
	r.b = r.b[n:]
	return s
}

func (r *record) time() time.Time {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return time.Time{}
	}
	r.b = r.b[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}
