package sendgridwebhook

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// Defaults for zero Config fields.
const (
	DefaultTolerance = 10 * time.Minute
	// MaxBodyBytes bounds one delivery; SendGrid batches far less (about 768 KB) per POST.
	MaxBodyBytes = 5 << 20
)

// Config is how the endpoint checks a delivery.
type Config struct {
	PublicKey *ecdsa.PublicKey // required: SendGrid's verification key, see ParsePublicKey
	Tolerance time.Duration    // replay guard; 0 means DefaultTolerance
	Now       func() time.Time // nil means time.Now
}

// EventStore keeps events once and the suppressed addresses; *store.Store implements it.
type EventStore interface {
	// EmailEventRecorded reports whether the event with dedupeKey is stored.
	EmailEventRecorded(ctx context.Context, dedupeKey string) (bool, error)
	// RecordEmailEvent stores e unless its DedupeKey is stored already and reports whether it was new.
	RecordEmailEvent(ctx context.Context, e store.EmailEvent) (bool, error)
	// Suppress stops marketing to email; suppressing an address again changes nothing.
	Suppress(ctx context.Context, email, reason string, at time.Time) error
}

// Lifecycle reaches a customer's workflow (internal/lifecycleclient, with SignalWithStart).
type Lifecycle interface {
	Signal(ctx context.Context, customerID, signalName string, payload any) error
}

// Deps are the endpoint's collaborators.
type Deps struct {
	Events    EventStore
	Lifecycle Lifecycle
	Logger    *slog.Logger // nil discards
}

type handler struct {
	cfg  Config
	deps Deps
}

// New returns the handler for SendGrid's Event Webhook, to be mounted at POST /webhooks/sendgrid.
// It panics when cfg.PublicKey, deps.Events or deps.Lifecycle is nil: the endpoint cannot work
// without them, and a worker without a key should not mount it.
func New(cfg Config, deps Deps) http.Handler {
	if cfg.PublicKey == nil || deps.Events == nil || deps.Lifecycle == nil {
		panic("sendgridwebhook.New: PublicKey, Events and Lifecycle are required")
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	return &handler{cfg: cfg, deps: deps}
}

// ServeHTTP answers 200 once every event of the delivery is stored with its effects, 500 when some
// could not be (SendGrid then retries the whole batch; the events already done are skipped), 401 for
// an unsigned, badly signed or stale delivery, 400 when the body is not a JSON array, 405 for
// methods other than POST and 413 for bodies over MaxBodyBytes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.deps.Logger
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "SendGrid events must be POSTed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		log.Warn("sendgrid webhook: body too large", "limit_bytes", MaxBodyBytes)
		http.Error(w, fmt.Sprintf("body larger than %d bytes", int64(MaxBodyBytes)), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}

	now := h.cfg.Now()
	if err := verify(h.cfg.PublicKey, r.Header.Get(TimestampHeader), r.Header.Get(SignatureHeader), body, now, h.cfg.Tolerance); err != nil {
		log.Warn("sendgrid webhook: rejected delivery", "error", err, "remote", r.RemoteAddr)
		http.Error(w, "invalid or missing SendGrid signature", http.StatusUnauthorized)
		return
	}

	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		log.Error("sendgrid webhook: signed body is not a JSON array of events", "error", err)
		http.Error(w, "body must be a JSON array of events", http.StatusBadRequest)
		return
	}

	var added, failed int
	for i, msg := range raw {
		isNew, err := h.handle(r.Context(), msg, now)
		if err != nil {
			failed++
			log.Error("sendgrid webhook: event not processed, SendGrid will retry", "index", i, "error", err)
			continue
		}
		if isNew {
			added++
		}
	}
	if failed > 0 {
		http.Error(w, fmt.Sprintf("%d of %d events could not be processed; retry", failed, len(raw)), http.StatusInternalServerError)
		return
	}
	log.Debug("sendgrid webhook: delivery processed", "events", len(raw), "new", added)
	fmt.Fprintf(w, "%d events, %d new\n", len(raw), added)
}

// handle applies one event and reports whether it was new. An event that cannot be decoded is
// logged and skipped: its delivery is signed, so a retry would carry the same bytes.
func (h *handler) handle(ctx context.Context, msg json.RawMessage, receivedAt time.Time) (bool, error) {
	var ev event
	if err := json.Unmarshal(msg, &ev); err != nil {
		h.deps.Logger.Error("sendgrid webhook: skipping undecodable event", "error", err)
		return false, nil
	}
	unix, err := ev.unixSeconds()
	if err != nil {
		h.deps.Logger.Error("sendgrid webhook: skipping event", "error", err, "sg_message_id", ev.SGMessageID)
		return false, nil
	}
	rec := ev.record(unix, receivedAt)
	if !ev.suppresses() {
		return h.deps.Events.RecordEmailEvent(ctx, rec)
	}

	// Effects first, the record last: a stored event always had its effects (see the package doc).
	done, err := h.deps.Events.EmailEventRecorded(ctx, rec.DedupeKey)
	if err != nil || done {
		return false, err
	}
	if rec.Email != "" {
		if err := h.deps.Events.Suppress(ctx, rec.Email, ev.Event, rec.OccurredAt); err != nil {
			return false, err
		}
	} else {
		h.deps.Logger.Warn("sendgrid webhook: suppressing event without email address", "event", ev.Event, "sg_message_id", ev.SGMessageID)
	}
	if ev.CustomerID != "" {
		sig := workflows.SuppressSignal{Event: ev.Event, At: rec.OccurredAt}
		if err := h.deps.Lifecycle.Signal(ctx, ev.CustomerID, workflows.SignalSuppress, sig); err != nil {
			return false, fmt.Errorf("signal %s to customer %s: %w", ev.Event, ev.CustomerID, err)
		}
	}
	isNew, err := h.deps.Events.RecordEmailEvent(ctx, rec)
	if err == nil && isNew {
		h.deps.Logger.Info("sendgrid webhook: address suppressed", "event", ev.Event, "customer_id", ev.CustomerID, "send_key", ev.IdempotencyKey)
	}
	return isNew, err
}
