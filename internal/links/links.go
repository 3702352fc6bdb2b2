// Package links makes and checks the signed, expiring links Tailor's emails carry: one-click
// unsubscribe (/u/), the preference page (/p/), "yes, I'm interested" in an offer (/i/) and the
// one-click answers to "is it what you hoped for?" (/c/).
//
// A token is base64url(payload) "." base64url(HMAC-SHA256(secret, purpose-bound payload)), where
// the payload is JSON naming the purpose, the customer, the offer (interest links only), the
// check-in and its answer (check-in links only) and the expiry in unix seconds. The answer is
// inside the signed payload, so nobody can turn a "yes" link into a "no" one. The MAC covers the
// purpose a second time, outside the payload, so a token made for one page can never be accepted
// by another. Tokens carry no secret data, but they are credentials: whoever holds one can act for
// the customer on that one page until it expires.
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
	PurposeCheckin     Purpose = "c"
)

func (p Purpose) valid() bool {
	return p == PurposeUnsubscribe || p == PurposePreferences || p == PurposeInterested || p == PurposeCheckin
}

// The answers a check-in link can carry, as written in its payload.
const (
	answerHappy   = "happy"
	answerUnhappy = "unhappy"
)

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
	CheckinKey string // check-in links only: the send key of the check-in email
	Happy      bool   // check-in links only: the answer the link gives
	Expires    time.Time
}

// payload is the JSON inside a token; short names keep links short. Fields that only some
// purposes use are omitted when empty, so the tokens of the other purposes are byte for byte what
// they were before check-in links existed, and links already mailed keep working.
type payload struct {
	Purpose    Purpose `json:"p"`
	CustomerID string  `json:"c"`
	OfferKey   string  `json:"o,omitempty"`
	CheckinKey string  `json:"k,omitempty"`
	Answer     string  `json:"a,omitempty"` // answerHappy or answerUnhappy
	Expires    int64   `json:"e"`
}

// complete reports whether p carries exactly the fields its purpose needs.
func (p payload) complete() bool {
	if !p.Purpose.valid() || p.CustomerID == "" || p.Expires <= 0 {
		return false
	}
	if (p.Purpose == PurposeInterested) != (p.OfferKey != "") {
		return false
	}
	if p.Purpose == PurposeCheckin {
		return p.CheckinKey != "" && (p.Answer == answerHappy || p.Answer == answerUnhappy)
	}
	return p.CheckinKey == "" && p.Answer == ""
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

// Checkin returns the link that answers the check-in email with checkinKey: happy or not. Each
// email carries two of them, one per answer.
func (s *Signer) Checkin(customerID, checkinKey string, happy bool) string {
	answer := answerUnhappy
	if happy {
		answer = answerHappy
	}
	return s.link(payload{Purpose: PurposeCheckin, CustomerID: customerID, CheckinKey: checkinKey, Answer: answer})
}

func (s *Signer) link(p payload) string {
	return s.baseURL + "/" + string(p.Purpose) + "/" + s.token(p)
}

// Token returns a token for purpose, valid until now plus the Signer's ttl. A check-in token also
// needs its key and answer, so only Checkin makes one that Verify accepts.
func (s *Signer) Token(purpose Purpose, customerID, offerKey string) string {
	return s.token(payload{Purpose: purpose, CustomerID: customerID, OfferKey: offerKey})
}

// token signs p, valid until now plus the Signer's ttl.
func (s *Signer) token(p payload) string {
	p.Expires = s.now().Add(s.ttl).Unix()
	raw, err := json.Marshal(p)
	if err != nil { // strings and an int64 always encode
		panic(fmt.Sprintf("links: encode payload: %v", err))
	}
	body := base64.RawURLEncoding.EncodeToString(raw)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(p.Purpose, body))
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
	if !p.complete() {
		return Claims{}, fmt.Errorf("%w: payload lacks purpose, customer, offer, check-in answer or expiry", ErrMalformed)
	}
	// The MAC is checked against the purpose the payload claims, so that a genuine token opened
	// on the wrong page is told apart from a forged one.
	if !hmac.Equal(gotMAC, s.mac(p.Purpose, body)) {
		return Claims{}, ErrBadSignature
	}
	c := Claims{
		Purpose:    p.Purpose,
		CustomerID: p.CustomerID,
		OfferKey:   p.OfferKey,
		CheckinKey: p.CheckinKey,
		Happy:      p.Answer == answerHappy,
		Expires:    time.Unix(p.Expires, 0).UTC(),
	}
	if p.Purpose != purpose {
		return c, fmt.Errorf("%w: made for %q, opened as %q", ErrWrongPurpose, p.Purpose, purpose)
	}
	if !s.now().Before(c.Expires) {
		return c, fmt.Errorf("%w at %s", ErrExpired, c.Expires.Format(time.RFC3339))
	}
	return c, nil
}
