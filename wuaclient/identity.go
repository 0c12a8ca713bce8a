package wuaclient

import (
	"crypto/sha1"
	"fmt"
	"strings"
)

// ClientIDFromName derives a SusClientId from a machine's name: the same
// name gives the same GUID on every run and on every host running the
// simulator, so a fleet or a classroom of simulated machines keeps its
// identities from one run to the next, and two names never share one. The
// name is compared without regard to case, as DNS names are.
func ClientIDFromName(name string) string {
	return nameGUID("wsusmock machine " + strings.ToLower(name))
}

// nameGUID is a name-based GUID (RFC 9562 version 5 layout over SHA-1).
func nameGUID(s string) string {
	h := sha1.Sum([]byte(s))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// CheckClientID refuses a SusClientId that is not a GUID in its registry
// form, 8-4-4-4-12 hexadecimal digits without braces, which is what WUA
// sends in GetAuthorizationCookie.
func CheckClientID(id string) error {
	if !guidRE.MatchString(id) {
		return fmt.Errorf("client ID %q is not a GUID (8-4-4-4-12 hex digits, e.g. %s)", id, ClientIDFromName("example"))
	}
	return nil
}

// clientID is the SusClientId the cycle sends: the Client's own, else the
// profile's.
func (c *Client) clientID() string {
	if c.ClientID != "" {
		return c.ClientID
	}
	return c.Profile.SusClientID()
}

// dnsName is the host name the cycle sends: the Client's own, else the
// profile's.
func (c *Client) dnsName() string {
	if c.DNSName != "" {
		return c.DNSName
	}
	return c.Profile.DNSName
}
