// Package shopwebhook posts hand-offs to the shop's own systems (SHOP_WEBHOOK_URL), each body
// signed with HMAC-SHA256 under SHOP_WEBHOOK_SECRET in the X-Tailor-Signature header.
package shopwebhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Tailor-Signature"

// DeliveryHeader carries the delivery's idempotency key: the same on every retry of one POST, so
// the receiver can drop a repeat.
const DeliveryHeader = "X-Tailor-Delivery"

// Client posts signed JSON to one URL. Build it with New.
type Client struct {
	url    string
	secret []byte
	http   *http.Client
}

// New returns a Client posting to url, signing with secret. httpClient nil: a client with a 20 s timeout.
func New(url string, secret []byte, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 20 * time.Second}
	}
	return &Client{url: url, secret: secret, http: httpClient}
}

// Sign returns the X-Tailor-Signature value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's under secret (for receivers and tests).
func Verify(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// Error is an answer other than 2xx. Permanent reports whether repeating the same POST cannot
// help: a 4xx other than 408 (timeout) and 429 (rate limit).
type Error struct {
	Status int
	Body   string // the start of the receiver's answer
}

func (e *Error) Error() string {
	return fmt.Sprintf("shop webhook answered %d: %s", e.Status, e.Body)
}

// Permanent reports whether retrying cannot help.
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// Post sends body (JSON) with its signature and deliveryID. A network error or a 5xx, 408 or 429
// is an error to retry; another 4xx is an *Error whose Permanent is true.
func (c *Client) Post(ctx context.Context, deliveryID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build shop webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(c.secret, body))
	req.Header.Set(DeliveryHeader, deliveryID)
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("post hand-off %s to the shop webhook: %w", deliveryID, err)
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	return &Error{Status: res.StatusCode, Body: string(bytes.TrimSpace(snippet))}
}
