package links_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tailorhq/tailor/internal/links"
)

const fuzzTTL = 24 * time.Hour

func fuzzSigner(tb testing.TB, key []byte, now time.Time) *links.Signer {
	tb.Helper()
	s, err := links.New(key, "https://shop.example.com", fuzzTTL, func() time.Time { return now })
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// tokenAfterPath returns the token of a link: what follows its last "/".
func tokenAfterPath(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// FuzzVerify opens anything as a link token. Verify never panics and returns only its four
// errors; a token that is genuine (it verifies, or is refused only for its purpose or expiry) is
// exactly what signing its claims again gives, so nothing in it escaped the signature; and no
// single changed byte of a genuine token verifies or passes the signature check.
func FuzzVerify(f *testing.F) {
	s := fuzzSigner(f, secret, t0)
	other := fuzzSigner(f, otherSecret, t0)
	offer := "customer/c1/sale/sale/trousers/open-20"
	checkin := "customer/c1/checkin/p-1"
	for _, tok := range []string{
		s.Token(links.PurposeUnsubscribe, "c1", ""),
		s.Token(links.PurposePreferences, "jörg-1", ""),
		s.Token(links.PurposeInterested, "c1", offer),
		tokenAfterPath(s.Checkin("c1", checkin, true)),
		tokenAfterPath(s.Checkin("c1", checkin, false)),
		s.Token(links.PurposeUnsubscribe, "a/restock/x", ""), // a legacy id: still the customer's link
		other.Token(links.PurposeUnsubscribe, "c1", ""),
		s.Token(links.PurposeUnsubscribe, "c1", "") + "A",
		"", ".", "a.b", "..", "eyJwIjoidSJ9.", strings.Repeat("A", 3000),
	} {
		for _, purpose := range []links.Purpose{links.PurposeUnsubscribe, links.PurposePreferences, links.PurposeInterested, links.PurposeCheckin} {
			f.Add(string(purpose), tok)
		}
	}
	f.Add("x", s.Token(links.PurposeUnsubscribe, "c1", ""))

	f.Fuzz(func(t *testing.T, purpose, token string) {
		c, err := s.Verify(links.Purpose(purpose), token)
		forged := errors.Is(err, links.ErrMalformed) || errors.Is(err, links.ErrBadSignature)
		genuine := err == nil || errors.Is(err, links.ErrWrongPurpose) || errors.Is(err, links.ErrExpired)
		switch {
		case forged && c != (links.Claims{}):
			t.Fatalf("Verify(%q, %q) = %+v, %v: claims from a token that is not genuine", purpose, token, c, err)
		case !forged && !genuine:
			t.Fatalf("Verify(%q, %q): unexpected error %v", purpose, token, err)
		case forged:
			return
		}

		// Signed again at the moment it was made, the claims give the same token back.
		again := fuzzSigner(t, secret, c.Expires.Add(-fuzzTTL))
		var resigned string
		if c.Purpose == links.PurposeCheckin {
			resigned = tokenAfterPath(again.Checkin(c.CustomerID, c.CheckinKey, c.Happy))
		} else {
			resigned = again.Token(c.Purpose, c.CustomerID, c.OfferKey)
		}
		if resigned != token {
			t.Fatalf("Verify(%q, %q) = %+v, but signing those claims gives %q", purpose, token, c, resigned)
		}

		for i := range len(token) {
			for _, flip := range []byte{0x01, 0x20} {
				tampered := []byte(token)
				tampered[i] ^= flip
				_, err := s.Verify(c.Purpose, string(tampered))
				if !errors.Is(err, links.ErrMalformed) && !errors.Is(err, links.ErrBadSignature) {
					t.Fatalf("%q with byte %d changed (%q) passed the signature check: %v", token, i, tampered, err)
				}
			}
		}
	})
}
