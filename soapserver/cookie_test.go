package soapserver

import (
	"reflect"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
)

func TestCookieSealing(t *testing.T) {
	now := time.Date(2008, 6, 13, 19, 59, 53, 383e6, time.UTC)
	sess := session{
		ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01", Groups: []string{"All Computers", "Workstations"},
		Protocol: "1.6", Issued: now, Expires: now.Add(time.Hour), ConfigChange: now.Add(-time.Hour),
	}
	ours, _ := newSealer([]byte("key A"))
	replica, _ := newSealer([]byte("key A"))
	other, _ := newSealer([]byte("key B"))
	c := ours.cookie(sess)

	t.Run("a replica with the same key reads it back", func(t *testing.T) {
		got, f := replica.openSession(c, now)
		if f != nil {
			t.Fatal(f)
		}
		if !reflect.DeepEqual(got, sess) {
			t.Errorf("got %+v, want %+v", got, sess)
		}
	})
	cases := []struct {
		name string
		s    *sealer
		data func() []byte
		at   time.Time
		want wusp.ErrorCode
	}{
		{"another server's cookie", other, func() []byte { return c.EncryptedData }, now, wusp.ServerChanged},
		{"a flipped byte", ours, func() []byte { d := clone(c.EncryptedData); d[len(d)-3] ^= 1; return d }, now, wusp.InvalidCookie},
		{"garbage", ours, func() []byte { return []byte("not a cookie at all, just some bytes") }, now, wusp.InvalidCookie},
		{"empty", ours, func() []byte { return nil }, now, wusp.InvalidCookie},
		{"an expired cookie", ours, func() []byte { return c.EncryptedData }, now.Add(time.Hour), wusp.CookieExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, f := tc.s.openSession(wusp.Cookie{EncryptedData: tc.data()}, tc.at)
			if f == nil || f.Code != tc.want {
				t.Fatalf("fault = %v, want %s", f, tc.want)
			}
		})
	}
	t.Run("an authorization cookie is no session cookie", func(t *testing.T) {
		auth := ours.seal(purposeAuth, &authorization{ClientID: "x", DNSName: "y", Issued: now})
		if _, f := ours.openSession(wusp.Cookie{EncryptedData: auth}, now); f == nil || f.Code != wusp.InvalidCookie {
			t.Fatalf("fault = %v, want InvalidCookie", f)
		}
	})
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
