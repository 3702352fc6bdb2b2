package links_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/links"
)

var (
	secret      = []byte("0123456789abcdef0123456789abcdef-test")
	otherSecret = []byte("fedcba9876543210fedcba9876543210-other")
	t0          = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func newSigner(t *testing.T, key []byte, now *time.Time) *links.Signer {
	t.Helper()
	s, err := links.New(key, "https://shop.example.com/", 24*time.Hour, func() time.Time { return *now })
	require.NoError(t, err)
	return s
}

// tokenOf returns the token part of a link made by s.
func tokenOf(t *testing.T, link, prefix string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(link, prefix)
	require.True(t, ok, "link %q must start with %q", link, prefix)
	return tok
}

// reencode replaces the payload of token with edit's result, keeping the signature.
func reencode(t *testing.T, token string, edit func(map[string]any)) string {
	t.Helper()
	body, sig, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	edit(m)
	raw, err = json.Marshal(m)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + sig
}

func TestLinksAreAbsoluteAndRoundTrip(t *testing.T) {
	now := t0
	s := newSigner(t, secret, &now)
	for _, tc := range []struct {
		name    string
		link    string
		purpose links.Purpose
		prefix  string
		offer   string
	}{
		{"unsubscribe", s.Unsubscribe("c1"), links.PurposeUnsubscribe, "https://shop.example.com/u/", ""},
		{"preferences", s.Preferences("c1"), links.PurposePreferences, "https://shop.example.com/p/", ""},
		{"interested", s.Interested("c1", "customer/c1/sale/sale/trousers/20261201"), links.PurposeInterested, "https://shop.example.com/i/", "customer/c1/sale/sale/trousers/20261201"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := tokenOf(t, tc.link, tc.prefix)
			assert.NotContains(t, tok, "/", "a token is one path segment")
			c, err := s.Verify(tc.purpose, tok)
			require.NoError(t, err)
			assert.Equal(t, links.Claims{Purpose: tc.purpose, CustomerID: "c1", OfferKey: tc.offer, Expires: t0.Add(24 * time.Hour)}, c)
		})
	}
}

func TestCheckinLinksCarryTheAnswer(t *testing.T) {
	now := t0
	s := newSigner(t, secret, &now)
	const key = "customer/c1/checkin/p1"
	for _, happy := range []bool{true, false} {
		tok := tokenOf(t, s.Checkin("c1", key, happy), "https://shop.example.com/c/")
		assert.NotContains(t, tok, "/", "a token is one path segment")
		c, err := s.Verify(links.PurposeCheckin, tok)
		require.NoError(t, err, "happy=%t", happy)
		assert.Equal(t, links.Claims{Purpose: links.PurposeCheckin, CustomerID: "c1", CheckinKey: key, Happy: happy, Expires: t0.Add(24 * time.Hour)}, c)
	}
	assert.NotEqual(t, s.Checkin("c1", key, true), s.Checkin("c1", key, false), "each answer has its own link")
}

// Links mailed before check-in links existed must keep working: these were made by the earlier
// code with the same secret and clock.
func TestLinksMadeBeforeCheckinsStillVerify(t *testing.T) {
	now := t0
	s := newSigner(t, secret, &now)
	for _, tc := range []struct {
		purpose links.Purpose
		token   string
		offer   string
	}{
		{links.PurposeUnsubscribe, "eyJwIjoidSIsImMiOiJjMSIsImUiOjE3NzI0NTI4MDB9.jRtfVXqIAeWLr5QLPYkFp7RKmJyGFP54SM4CDvRAAB0", ""},
		{links.PurposeInterested, "eyJwIjoiaSIsImMiOiJjMSIsIm8iOiJjdXN0b21lci9jMS9zYWxlL3MxIiwiZSI6MTc3MjQ1MjgwMH0.0j84sqW1Alyy7Pj3-W8r7sFmAFmGyan1xCGoVWiey_g", "customer/c1/sale/s1"},
	} {
		c, err := s.Verify(tc.purpose, tc.token)
		require.NoError(t, err, "earlier %s token", tc.purpose)
		assert.Equal(t, links.Claims{Purpose: tc.purpose, CustomerID: "c1", OfferKey: tc.offer, Expires: t0.Add(24 * time.Hour)}, c)
	}
	assert.Equal(t, "https://shop.example.com/u/eyJwIjoidSIsImMiOiJjMSIsImUiOjE3NzI0NTI4MDB9.jRtfVXqIAeWLr5QLPYkFp7RKmJyGFP54SM4CDvRAAB0",
		s.Unsubscribe("c1"), "the other purposes' tokens are unchanged")
}

func TestVerifyRejectsCheckins(t *testing.T) {
	now := t0
	s := newSigner(t, secret, &now)
	happy := tokenOf(t, s.Checkin("c1", "customer/c1/checkin/p1", true), "https://shop.example.com/c/")
	interested := tokenOf(t, s.Interested("c1", "customer/c1/sale/s1"), "https://shop.example.com/i/")

	requireRejected(t, s, &now, []rejection{
		{name: "tampered answer", purpose: links.PurposeCheckin,
			token: reencode(t, happy, func(m map[string]any) { m["a"] = "unhappy" }), want: links.ErrBadSignature},
		{name: "tampered check-in key", purpose: links.PurposeCheckin,
			token: reencode(t, happy, func(m map[string]any) { m["k"] = "customer/c1/checkin/p2" }), want: links.ErrBadSignature},
		{name: "unknown answer", purpose: links.PurposeCheckin,
			token: reencode(t, happy, func(m map[string]any) { m["a"] = "maybe" }), want: links.ErrMalformed},
		{name: "without answer", purpose: links.PurposeCheckin,
			token: reencode(t, happy, func(m map[string]any) { delete(m, "a") }), want: links.ErrMalformed},
		{name: "without key", purpose: links.PurposeCheckin,
			token: reencode(t, happy, func(m map[string]any) { delete(m, "k") }), want: links.ErrMalformed},
		{name: "signed without key or answer", purpose: links.PurposeCheckin,
			token: s.Token(links.PurposeCheckin, "c1", ""), want: links.ErrMalformed},
		{name: "answer on an interest link", purpose: links.PurposeInterested,
			token: reencode(t, interested, func(m map[string]any) { m["a"] = "happy" }), want: links.ErrMalformed},
		{name: "check-in opened as interest", purpose: links.PurposeInterested, token: happy, want: links.ErrWrongPurpose, claims: true},
		{name: "interest opened as check-in", purpose: links.PurposeCheckin, token: interested, want: links.ErrWrongPurpose, claims: true},
		{name: "expired", purpose: links.PurposeCheckin, token: happy, advance: 24 * time.Hour, want: links.ErrExpired, claims: true},
	})
}

func TestVerifyRejects(t *testing.T) {
	now := t0
	s := newSigner(t, secret, &now)
	foreign := newSigner(t, otherSecret, &now)
	unsub := tokenOf(t, s.Unsubscribe("c1"), "https://shop.example.com/u/")
	body, sig, _ := strings.Cut(unsub, ".")
	flipped := []byte(sig)
	flipped[3] ^= 'A' ^ 'B' // still base64url, different bytes
	if flipped[3] == sig[3] {
		flipped[3] = 'C'
	}

	requireRejected(t, s, &now, []rejection{
		{name: "tampered payload: other customer", purpose: links.PurposeUnsubscribe,
			token: reencode(t, unsub, func(m map[string]any) { m["c"] = "c2" }), want: links.ErrBadSignature},
		{name: "tampered payload: later expiry", purpose: links.PurposeUnsubscribe,
			token: reencode(t, unsub, func(m map[string]any) { m["e"] = t0.Add(1000 * time.Hour).Unix() }), want: links.ErrBadSignature},
		{name: "tampered payload: purpose rewritten", purpose: links.PurposePreferences,
			token: reencode(t, unsub, func(m map[string]any) { m["p"] = "p" }), want: links.ErrBadSignature},
		{name: "tampered signature", purpose: links.PurposeUnsubscribe, token: body + "." + string(flipped), want: links.ErrBadSignature},
		{name: "signed with another secret", purpose: links.PurposeUnsubscribe,
			token: tokenOf(t, foreign.Unsubscribe("c1"), "https://shop.example.com/u/"), want: links.ErrBadSignature},
		{name: "wrong purpose", purpose: links.PurposePreferences, token: unsub, want: links.ErrWrongPurpose, claims: true},
		{name: "expired", purpose: links.PurposeUnsubscribe, token: unsub, advance: 24 * time.Hour, want: links.ErrExpired, claims: true},
		{name: "expired long ago", purpose: links.PurposeUnsubscribe, token: unsub, advance: 400 * 24 * time.Hour, want: links.ErrExpired, claims: true},
		{name: "empty", purpose: links.PurposeUnsubscribe, token: "", want: links.ErrMalformed},
		{name: "garbage", purpose: links.PurposeUnsubscribe, token: "hello world", want: links.ErrMalformed},
		{name: "no signature", purpose: links.PurposeUnsubscribe, token: body + ".", want: links.ErrMalformed},
		{name: "three parts", purpose: links.PurposeUnsubscribe, token: unsub + ".x", want: links.ErrMalformed},
		{name: "short signature", purpose: links.PurposeUnsubscribe, token: body + "." + sig[:20], want: links.ErrMalformed},
		{name: "payload not base64", purpose: links.PurposeUnsubscribe, token: "!!!." + sig, want: links.ErrMalformed},
		{name: "payload not JSON", purpose: links.PurposeUnsubscribe,
			token: base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + sig, want: links.ErrMalformed},
		{name: "payload without customer", purpose: links.PurposeUnsubscribe,
			token: reencode(t, unsub, func(m map[string]any) { delete(m, "c") }), want: links.ErrMalformed},
		{name: "huge", purpose: links.PurposeUnsubscribe, token: strings.Repeat("a", 5000) + "." + sig, want: links.ErrMalformed},
	})
}

// rejection is a token Verify must refuse with want (and no other of the links errors) after the
// clock moved on by advance; claims: the token's claims come back with the error.
type rejection struct {
	name    string
	purpose links.Purpose
	token   string
	advance time.Duration
	want    error
	claims  bool
}

// requireRejected verifies each rejection's token with s, whose clock reads *now, at t0 plus its advance.
func requireRejected(t *testing.T, s *links.Signer, now *time.Time, cases []rejection) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			*now = t0.Add(tc.advance)
			defer func() { *now = t0 }()
			c, err := s.Verify(tc.purpose, tc.token)
			require.Error(t, err, "token %q", tc.token)
			assert.True(t, errors.Is(err, tc.want), "token %q: got %v, want %v", tc.token, err, tc.want)
			for _, other := range []error{links.ErrMalformed, links.ErrBadSignature, links.ErrWrongPurpose, links.ErrExpired} {
				if other != tc.want {
					assert.False(t, errors.Is(err, other), "token %q: %v must not also be %v", tc.token, err, other)
				}
			}
			if tc.claims {
				assert.Equal(t, "c1", c.CustomerID, "a genuine token's claims come back with %v", tc.want)
			} else {
				assert.Zero(t, c, "no claims from a token that is not genuine")
			}
		})
	}
}

func TestVerifyJustBeforeExpiry(t *testing.T) {
	now := t0
	s := newSigner(t, secret, &now)
	tok := tokenOf(t, s.Preferences("c1"), "https://shop.example.com/p/")
	now = t0.Add(24*time.Hour - time.Second)
	_, err := s.Verify(links.PurposePreferences, tok)
	assert.NoError(t, err)
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name, base string
		secret     []byte
		ttl        time.Duration
		substr     string // "" means valid
	}{
		{name: "https", base: "https://shop.example.com", secret: secret},
		{name: "localhost", base: "http://localhost:8080/", secret: secret},
		{name: "path prefix", base: "https://example.com/tailor", secret: secret},
		{name: "short secret", base: "https://shop.example.com", secret: []byte("too short"), substr: "openssl rand -hex 32"},
		{name: "relative base", base: "/links", secret: secret, substr: "must be absolute"},
		{name: "other scheme", base: "ftp://shop.example.com", secret: secret, substr: "must be absolute"},
		{name: "query", base: "https://shop.example.com?x=1", secret: secret, substr: "query"},
		{name: "negative ttl", base: "https://shop.example.com", secret: secret, ttl: -time.Hour, substr: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := links.New(tc.secret, tc.base, tc.ttl, nil)
			if tc.substr == "" {
				require.NoError(t, err, "base %q", tc.base)
				assert.True(t, strings.HasPrefix(s.Unsubscribe("c1"), strings.TrimRight(tc.base, "/")+"/u/"), "link %q", s.Unsubscribe("c1"))
				return
			}
			require.Error(t, err, "base %q secret %q ttl %s", tc.base, tc.secret, tc.ttl)
			assert.Contains(t, err.Error(), tc.substr)
			assert.NotContains(t, err.Error(), string(tc.secret), "the secret must never appear in an error")
		})
	}
}

func TestDefaultTTL(t *testing.T) {
	s, err := links.New(secret, "https://shop.example.com", 0, func() time.Time { return t0 })
	require.NoError(t, err)
	c, err := s.Verify(links.PurposeUnsubscribe, tokenOf(t, s.Unsubscribe("c1"), "https://shop.example.com/u/"))
	require.NoError(t, err)
	assert.Equal(t, t0.Add(links.DefaultTTL), c.Expires)
}
