package soapserver

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
)

// Cookies carry the client's state, so the server keeps none: WSUS did the
// same (its cookie held UnencryptedCookieData). A cookie is sealed with
// AES-GCM under the server's key; replicas that share the key accept each
// other's cookies.
//
// Layout of Cookie.EncryptedData and AuthorizationCookie.CookieData:
//
//	"WSM1" | key ID (8 bytes) | nonce (12 bytes) | AES-GCM ciphertext of JSON
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
	ClientID string    `json:"c"`
	DNSName  string    `json:"d,omitempty"`
	Groups   []string  `json:"g"`
	Protocol string    `json:"p"`
	Issued   time.Time `json:"i"`
	Expires  time.Time `json:"e"`
	// ConfigChange is the Config.LastChange the client synchronised with;
	// an older value than the server's means ConfigChanged.
	ConfigChange time.Time `json:"l"`
	// SyncedThrough is the newest deployment change the client has been
	// sent, the base for ChangedUpdates.
	SyncedThrough time.Time `json:"s,omitempty"`
}

// authorization is what the SimpleTargeting plug-in's CookieData holds.
type authorization struct {
	ClientID    string    `json:"c"`
	TargetGroup string    `json:"t,omitempty"`
	DNSName     string    `json:"d"`
	Issued      time.Time `json:"i"`
}

// sealer seals and opens cookies under one key.
type sealer struct {
	aead  cipher.AEAD
	keyID [keyIDLen]byte
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
	s := &sealer{aead: aead}
	id := sha256.Sum256(append([]byte("wsusmock cookie key id\x00"), key[:]...))
	copy(s.keyID[:], id[:])
	return s, nil
}

func (s *sealer) seal(purpose string, v any) []byte {
	plain, err := json.Marshal(v)
	if err != nil {
		panic(err) // the cookie structs always marshal
	}
	out := make([]byte, headerLen, headerLen+len(plain)+s.aead.Overhead())
	copy(out, cookieMagic[:])
	copy(out[len(cookieMagic):], s.keyID[:])
	_, _ = rand.Read(out[len(cookieMagic)+keyIDLen : headerLen])
	return s.aead.Seal(out, out[len(cookieMagic)+keyIDLen:headerLen], plain, []byte(purpose))
}

var (
	errForeignCookie = errors.New("cookie was issued by another server")
	errBadCookie     = errors.New("cookie is damaged or not a cookie of this server")
)

func (s *sealer) open(purpose string, data []byte, v any) error {
	if len(data) < headerLen+s.aead.Overhead() || !bytes.Equal(data[:len(cookieMagic)], cookieMagic[:]) {
		return errBadCookie
	}
	if !bytes.Equal(data[len(cookieMagic):len(cookieMagic)+keyIDLen], s.keyID[:]) {
		return errForeignCookie
	}
	plain, err := s.aead.Open(nil, data[len(cookieMagic)+keyIDLen:headerLen], data[headerLen:], []byte(purpose))
	if err != nil {
		return errBadCookie
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("%w: %v", errBadCookie, err)
	}
	return nil
}

// openSession checks a Cookie the way WSUS did before every operation
// (MS-WUSP §3.1.5.7 step 1): InvalidCookie for a damaged one, ServerChanged
// for another server's, CookieExpired once past its expiry.
func (s *sealer) openSession(c wusp.Cookie, now time.Time) (session, *wusp.Fault) {
	var sess session
	switch err := s.open(purposeSess, c.EncryptedData, &sess); {
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
	return wusp.Cookie{Expiration: sess.Expires, EncryptedData: s.seal(purposeSess, sess)}
}
