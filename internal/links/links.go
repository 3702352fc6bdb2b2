// Package links makes and checks the signed, expiring links Tailor's emails carry: one-click
// unsubscribe (/u/), the preference page (/p/) and "yes, I'm interested" in an offer (/i/).
//
// A token is base64url(payload) "." base64url(HMAC-SHA256(secret, purpose-bound payload)), where
// the payload is JSON naming the purpose, the customer, the offer (interest links only) and the
// expiry in unix seconds. The MAC covers the purpose a second time, outside the payload, so a
// token made for one page can never be accepted by another. Tokens carry no secret data, but they
// are credentials: whoever holds one can act for the customer on that one page until it expires.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MinSecretLen is the shortest secret New accepts: 32 bytes, the size of the HMAC-SHA256 output.
const MinSecretLen = 32

// DefaultTTL is how long a link works when New is given no ttl.
const DefaultTTL = 60 * 24 * time.Hour

// maxTokenLen bounds what Verify reads; real tokens are a few hundred bytes.
const maxTokenLen = 2048

// macDomain separates Tailor's link MACs from anything else the same secret might sign.
const macDomain = "tailor-link-v1"

// Purpose says which page a token opens; it is also the first path segment of the link.
type Purpose string

const (
	PurposeUnsubscribe Purpose = "u"
	PurposePreferences Purpose = "p"
	PurposeInterested  Purpose = "i"
)

func (p Purpose) valid() bool {
	return p == PurposeUnsubscribe || p == PurposePreferences || p == PurposeInterested
}

// Errors Verify returns (wrapped); each means the link changes nothing.
var (
	// ErrMalformed: not a token at all (cut off, garbage, wrong encoding).
	ErrMalformed = errors.New("malformed link token")
	// ErrBadSignature: a well-formed token whose signature does not match: tampered with, or
	// signed with another secret (a foreign link).
	ErrBadSignature = errors.New("link signature does not match")
	// ErrWrongPurpose: a genuine token made for another page.
	ErrWrongPurpose = errors.New("link made for another purpose")
	// ErrExpired: a genuine token past its expiry.
	ErrExpired = errors.New("link expired")
)

// Claims is what a genuine token says.
type Claims struct {
	Purpose    Purpose
	CustomerID string
	OfferKey   string // interest links only
	Expires    time.Time
}

// payload is the JSON inside a token; short names keep links short.
type payload struct {
	Purpose    Purpose `json:"p"`
	CustomerID string  `json:"c"`
	OfferKey   string  `json:"o,omitempty"`
	Expires    int64   `json:"e"`
}

// Signer makes and verifies links. It is safe for concurrent use.
type Signer struct {
	secret  []byte
	baseURL string
	ttl     time.Duration
	now     func() time.Time
}

// New returns a Signer whose links start with baseURL (e.g. https://shop.example.com) and work for
// ttl (0 means DefaultTTL). now is the clock (nil means time.Now).
func New(secret []byte, baseURL string, ttl time.Duration, now func() time.Time) (*Signer, error) {
	var problems []error
	if len(secret) < MinSecretLen {
		problems = append(problems, fmt.Errorf("link secret is %d bytes, it must be at least %d (make one with `openssl rand -hex 32`)", len(secret), MinSecretLen))
	}
	base, err := ParseBaseURL(baseURL)
	if err != nil {
		problems = append(problems, err)
	}
	if ttl < 0 {
		problems = append(problems, fmt.Errorf("link lifetime %s is negative", ttl))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{secret: append([]byte(nil), secret...), baseURL: base, ttl: ttl, now: now}, nil
}

// ParseBaseURL checks that s is an absolute http(s) URL without query or fragment and returns it
// without a trailing slash.
func ParseBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return "", fmt.Errorf("base URL %q does not parse: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return "", fmt.Errorf("base URL %q must be absolute, like https://shop.example.com or http://localhost:8080", s)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("base URL %q must not have a query, fragment or user info", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Unsubscribe returns the one-click unsubscribe link of customerID.
func (s *Signer) Unsubscribe(customerID string) string {
	return s.link(payload{Purpose: PurposeUnsubscribe, CustomerID: customerID})
}

// Preferences returns the preference page link of customerID.
func (s *Signer) Preferences(customerID string) string {
	return s.link(payload{Purpose: PurposePreferences, CustomerID: customerID})
}

// Interested returns the "yes, I'm interested" link of the offer email with offerKey.
func (s *Signer) Interested(customerID, offerKey string) string {
	return s.link(payload{Purpose: PurposeInterested, CustomerID: customerID, OfferKey: offerKey})
}

func (s *Signer) link(p payload) string {
	return s.baseURL + "/" + string(p.Purpose) + "/" + s.Token(p.Purpose, p.CustomerID, p.OfferKey)
}

// Token returns a token for purpose, valid until now plus the Signer's ttl.
func (s *Signer) Token(purpose Purpose, customerID, offerKey string) string {
	p := payload{
		Purpose:    purpose,
		CustomerID: customerID,
		OfferKey:   offerKey,
		Expires:    s.now().Add(s.ttl).Unix(),
	}
	raw, err := json.Marshal(p)
	if err != nil { // strings and an int64 always encode
		panic(fmt.Sprintf("links: encode payload: %v", err))
	}
	body := base64.RawURLEncoding.EncodeToString(raw)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(purpose, body))
}

// mac binds the encoded payload to purpose.
func (s *Signer) mac(purpose Purpose, body string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(macDomain + "\x00" + string(purpose) + "\x00" + body))
	return h.Sum(nil)
}

// Verify checks a token for purpose. It returns ErrMalformed or ErrBadSignature (with zero
// Claims), or ErrWrongPurpose or ErrExpired with the genuine token's Claims, so a caller can say
// whose link it was; only a nil error means the link may be acted on.
func (s *Signer) Verify(purpose Purpose, token string) (Claims, error) {
	if len(token) > maxTokenLen {
		return Claims{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(token))
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok || body == "" || sig == "" || strings.Contains(sig, ".") {
		return Claims{}, fmt.Errorf("%w: not two dot-separated parts", ErrMalformed)
	}
	enc := base64.RawURLEncoding.Strict()
	raw, err := enc.DecodeString(body)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	gotMAC, err := enc.DecodeString(sig)
	if err != nil || len(gotMAC) != sha256.Size {
		return Claims{}, fmt.Errorf("%w: signature is not %d base64url bytes", ErrMalformed, sha256.Size)
	}
	var p payload
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || dec.More() {
		return Claims{}, fmt.Errorf("%w: payload is not a link payload", ErrMalformed)
	}
	if !p.Purpose.valid() || p.CustomerID == "" || p.Expires <= 0 || (p.Purpose == PurposeInterested) != (p.OfferKey != "") {
		return Claims{}, fmt.Errorf("%w: payload lacks purpose, customer, offer or expiry", ErrMalformed)
	}
	// The MAC is checked against the purpose the payload claims, so that a genuine token opened
	// on the wrong page is told apart from a forged one.
	if !hmac.Equal(gotMAC, s.mac(p.Purpose, body)) {
		return Claims{}, ErrBadSignature
	}
	c := Claims{Purpose: p.Purpose, CustomerID: p.CustomerID, OfferKey: p.OfferKey, Expires: time.Unix(p.Expires, 0).UTC()}
	if p.Purpose != purpose {
		return c, fmt.Errorf("%w: made for %q, opened as %q", ErrWrongPurpose, p.Purpose, purpose)
	}
	if !s.now().Before(c.Expires) {
		return c, fmt.Errorf("%w at %s", ErrExpired, c.Expires.Format(time.RFC3339))
	}
	return c, nil
}
