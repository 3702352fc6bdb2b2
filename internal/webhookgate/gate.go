// Package webhookgate bounds what a signed webhook endpoint takes in before and after its signature
// is checked: the deliveries whose body is being read (anyone can hold those, since the signature
// covers the body), each within a read timeout and a size limit, and the signed deliveries being
// processed. Every bound answers at once instead of queueing, so the sender retries later.
//
// The SendGrid Event Webhook (internal/sendgrid/eventwebhook) and the Shopify webhook
// (internal/shopify) share it.
package webhookgate

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// RetryAfterSeconds is the Retry-After of a 503 when every slot is taken.
const RetryAfterSeconds = "5"

// Defaults for a MaxReading or MaxConcurrent of 0.
const (
	// DefaultMaxConcurrent bounds the signed deliveries processed at once; senders send a few in
	// parallel.
	DefaultMaxConcurrent = 8
	// DefaultMaxReading bounds the deliveries whose body is being read. Their signature cannot be
	// checked before the body is in, so anyone can hold these: there are more of them than
	// processing slots, each for at most ReadTimeout, and a forged one never reaches a processing
	// slot.
	DefaultMaxReading = 16
)

// Limits are a Gate's bounds. MaxBodyBytes and ReadTimeout must be more than 0.
type Limits struct {
	MaxReading    int           // deliveries whose body is being read at once; 0 or less means DefaultMaxReading
	MaxConcurrent int           // signed deliveries processed at once; 0 or less means DefaultMaxConcurrent
	MaxBodyBytes  int64         // one delivery's body
	ReadTimeout   time.Duration // reading one delivery's body
}

// Gate holds the slots of one endpoint. It is safe for concurrent use.
type Gate struct {
	name    string // in log lines, e.g. "sendgrid webhook"
	limits  Limits
	logger  *slog.Logger
	reading chan struct{}
	slots   chan struct{}
}

// New returns the gate of the endpoint name (used in its log lines). It panics on a MaxBodyBytes
// or ReadTimeout of 0 or less: that is a programming error, not a configuration one.
func New(name string, l Limits, logger *slog.Logger) *Gate {
	if l.MaxBodyBytes <= 0 || l.ReadTimeout <= 0 {
		panic(fmt.Sprintf("webhookgate.New(%s): MaxBodyBytes and ReadTimeout must be more than 0, got %+v", name, l))
	}
	if l.MaxReading <= 0 {
		l.MaxReading = DefaultMaxReading
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = DefaultMaxConcurrent
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Gate{name: name, limits: l, logger: logger,
		reading: make(chan struct{}, l.MaxReading), slots: make(chan struct{}, l.MaxConcurrent)}
}

// ReadBody reads r's body within a reading slot, ReadTimeout and MaxBodyBytes. When it cannot, it
// answers the client itself (503 with Retry-After, 408, 413, 400) and returns false.
func (g *Gate) ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if !take(g.reading) {
		g.logger.Warn(g.name+": too many deliveries being read at once, the sender will retry", "max_reading", g.limits.MaxReading)
		Busy(w)
		return nil, false
	}
	defer func() { <-g.reading }()
	// Not every ResponseWriter can (a test recorder cannot); the server's ReadTimeout still holds.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.limits.ReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.limits.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooLarge):
		g.logger.Warn(g.name+": body too large", "limit_bytes", g.limits.MaxBodyBytes)
		http.Error(w, fmt.Sprintf("body larger than %d bytes", g.limits.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return nil, false
	case errors.As(err, &timeout) && timeout.Timeout():
		g.logger.Warn(g.name+": body not sent in time", "timeout", g.limits.ReadTimeout.String(), "remote", r.RemoteAddr)
		http.Error(w, "body not sent in time", http.StatusRequestTimeout)
		return nil, false
	case err != nil:
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

// ReadSigned is a signed delivery's way in: it reads r's body (ReadBody), checks it with verify,
// and takes a processing slot (Enter). When verify fails it answers 401 with unauthorized as the
// body; at every step that fails it answers the client itself and returns ok false. Otherwise
// the caller calls release when done with body.
func (g *Gate) ReadSigned(w http.ResponseWriter, r *http.Request, verify func(body []byte) error, unauthorized string) (body []byte, release func(), ok bool) {
	body, ok = g.ReadBody(w, r)
	if !ok {
		return nil, nil, false
	}
	if err := verify(body); err != nil {
		g.logger.Warn(g.name+": rejected delivery", "error", err, "remote", r.RemoteAddr)
		http.Error(w, unauthorized, http.StatusUnauthorized)
		return nil, nil, false
	}
	release, ok = g.Enter(w)
	if !ok {
		return nil, nil, false
	}
	return body, release, true
}

// Enter takes a processing slot for a signed delivery. When none is free it answers 503 with
// Retry-After and returns false; otherwise the caller calls release when done.
func (g *Gate) Enter(w http.ResponseWriter) (release func(), ok bool) {
	if !take(g.slots) {
		g.logger.Warn(g.name+": too many deliveries at once, the sender will retry", "max_concurrent", g.limits.MaxConcurrent)
		Busy(w)
		return nil, false
	}
	return func() { <-g.slots }, true
}

// take takes a slot of sem without waiting, reporting whether there was one.
func take(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
		return false
	}
}

// Busy answers 503 with Retry-After: the sender retries the delivery later.
func Busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", RetryAfterSeconds)
	http.Error(w, "too many deliveries at once; retry", http.StatusServiceUnavailable)
}
