package eventwebhook

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/webhookgate"
)

// Defaults for zero Config fields.
const (
	DefaultTolerance = 10 * time.Minute
	// DefaultMaxConcurrent bounds the signed deliveries processed at once; SendGrid sends a few in
	// parallel.
	DefaultMaxConcurrent = webhookgate.DefaultMaxConcurrent
	// DefaultMaxReading bounds the deliveries whose body is being read (see webhookgate). At
	// MaxBodyBytes each, they bound the memory a flood can take (80 MiB).
	DefaultMaxReading = webhookgate.DefaultMaxReading
	// BodyReadTimeout bounds reading one delivery's body: SendGrid sends it at once, a client
	// that trickles it is cut off.
	BodyReadTimeout = 10 * time.Second
	// MaxBodyBytes bounds one delivery; SendGrid batches far less (about 768 KB) per POST.
	MaxBodyBytes = 5 << 20
)

// Config is how the endpoint checks a delivery.
type Config struct {
	PublicKey *ecdsa.PublicKey // required: SendGrid's verification key, see ParsePublicKey
	Tolerance time.Duration    // replay guard; 0 means DefaultTolerance
	// MaxReading bounds the deliveries whose body is being read (each may hold MaxBodyBytes in
	// memory), MaxConcurrent those processed once their signature holds; one more than either
	// answers 503 at once and SendGrid retries it. 0 means DefaultMaxReading, DefaultMaxConcurrent.
	MaxReading    int
	MaxConcurrent int
	Now           func() time.Time // nil means time.Now
}

// EventStore keeps events once and the suppressed addresses; *store.DB implements it.
type EventStore interface {
	// EmailEventRecorded reports whether the event with dedupeKey is stored.
	EmailEventRecorded(ctx context.Context, dedupeKey string) (bool, error)
	// RecordEmailEvent stores e unless its DedupeKey is stored already and reports whether it was new.
	RecordEmailEvent(ctx context.Context, e store.EmailEvent) (bool, error)
	// RecordRejectedEmailEvent keeps an event that is not applied, once per DedupeKey, whatever
	// text it holds.
	RecordRejectedEmailEvent(ctx context.Context, r store.RejectedEmailEvent) (bool, error)
}

// Suppressions suppress an address and owe the customer's workflow the suppress signal in one
// transaction, then deliver it (internal/events; a delivery that fails stays owed and the worker
// delivers it). An unknown customer id suppresses the address and signals nothing. *events.Service
// is one.
type Suppressions interface {
	Suppression(ctx context.Context, s events.Suppression) (events.Result, error)
}

// RejectionCounter counts rejected events by reason (one of the Reject* constants);
// *metrics.Metrics implements it.
type RejectionCounter interface {
	CountWebhookEventRejected(reason string)
}

// Deps are the endpoint's collaborators.
type Deps struct {
	Events       EventStore
	Suppressions Suppressions
	Rejections   RejectionCounter // nil counts nothing
	Logger       *slog.Logger     // nil discards
}

type handler struct {
	cfg  Config
	deps Deps
	// gate holds cfg.MaxReading slots for deliveries whose body is being read and
	// cfg.MaxConcurrent for signed ones being processed.
	gate *webhookgate.Gate
}

// New returns the handler for SendGrid's Event Webhook, to be mounted at POST /webhooks/sendgrid.
// It panics when cfg.PublicKey, deps.Events or deps.Suppressions is nil: the endpoint cannot work
// without them, and a worker without a key should not mount it.
func New(cfg Config, deps Deps) http.Handler {
	if cfg.PublicKey == nil || deps.Events == nil || deps.Suppressions == nil {
		panic("eventwebhook.New: PublicKey, Events and Suppressions are required")
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
	gate := webhookgate.New("sendgrid webhook", webhookgate.Limits{
		MaxReading: cfg.MaxReading, MaxConcurrent: cfg.MaxConcurrent, MaxBodyBytes: MaxBodyBytes, ReadTimeout: BodyReadTimeout,
	}, deps.Logger)
	return &handler{cfg: cfg, deps: deps, gate: gate}
}

// ServeHTTP answers 200 once every event of the delivery is stored with its effects or recorded
// as rejected, 500 when some could not be for a reason that may pass (SendGrid then retries the
// whole batch; the events already done are skipped), 401 for an unsigned, badly signed or stale
// delivery (decided on the headers before the body is read when they are missing or stale), 503
// with Retry-After when MaxReading deliveries are being read or MaxConcurrent signed ones
// processed, 408 for a body not sent within BodyReadTimeout, 400 when the body is not a JSON
// array, 405 for methods other than POST and 413 for bodies over MaxBodyBytes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.deps.Logger
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "SendGrid events must be POSTed", http.StatusMethodNotAllowed)
		return
	}
	now := h.cfg.Now()
	timestamp := r.Header.Get(TimestampHeader)
	sig, err := checkHeaders(timestamp, r.Header.Get(SignatureHeader), now, h.cfg.Tolerance)
	if err != nil {
		log.Warn("sendgrid webhook: rejected delivery", "error", err, "remote", r.RemoteAddr)
		http.Error(w, "invalid or missing SendGrid signature", http.StatusUnauthorized)
		return
	}
	verify := func(body []byte) error { return checkSignature(h.cfg.PublicKey, timestamp, sig, body) }
	body, release, ok := h.gate.ReadSigned(w, r, verify, "invalid or missing SendGrid signature")
	if !ok {
		return
	}
	defer release()

	raw, err := parseDelivery(body)
	if err != nil {
		log.Error("sendgrid webhook: signed body is not a JSON array of events", "error", err)
		http.Error(w, "body must be a JSON array of events", http.StatusBadRequest)
		return
	}

	var added, rejected, failed int
	for i, msg := range raw {
		out, err := h.handle(r.Context(), msg, now)
		if err != nil {
			failed++
			log.Error("sendgrid webhook: event not processed, SendGrid will retry", "index", i, "error", err)
			continue
		}
		switch out {
		case outcomeNew:
			added++
		case outcomeRejected:
			rejected++
		}
	}
	if failed > 0 {
		http.Error(w, fmt.Sprintf("%d of %d events could not be processed; retry", failed, len(raw)), http.StatusInternalServerError)
		return
	}
	log.Debug("sendgrid webhook: delivery processed", "events", len(raw), "new", added, "rejected", rejected)
	fmt.Fprintf(w, "%d events, %d new, %d rejected\n", len(raw), added, rejected)
}

// outcome is what handle did with one event.
type outcome int

const (
	outcomeKnown    outcome = iota // stored before: nothing done
	outcomeNew                     // stored with its effects
	outcomeRejected                // recorded as rejected (rejected_email_events)
)

// handle applies one event. An event that cannot be read, fails the checks of parseEvent or holds
// what PostgreSQL refuses is recorded as rejected and counted, not returned as an error: its
// delivery is signed, so a retry would carry the same bytes and fail the same way.
func (h *handler) handle(ctx context.Context, msg json.RawMessage, receivedAt time.Time) (outcome, error) {
	ev, unix, rej := parseEvent(msg)
	if rej != nil {
		return outcomeRejected, h.reject(ctx, *rej, "", msg, receivedAt)
	}
	rec := ev.record(unix, receivedAt)
	isNew, err := h.apply(ctx, ev, rec)
	if code, refused := store.RefusedContent(err); refused {
		return outcomeRejected, h.reject(ctx, rejection{key: rec.DedupeKey, reason: RejectDatabase, detail: err.Error()}, code, msg, receivedAt)
	}
	if err != nil || !isNew {
		return outcomeKnown, err
	}
	return outcomeNew, nil
}

// reject records an event that is not applied and counts it.
func (h *handler) reject(ctx context.Context, rej rejection, errorCode string, msg json.RawMessage, receivedAt time.Time) error {
	isNew, err := h.deps.Events.RecordRejectedEmailEvent(ctx, store.RejectedEmailEvent{
		DedupeKey: rej.key, Reason: rej.reason, ErrorCode: errorCode, Detail: rej.detail, Raw: string(msg), ReceivedAt: receivedAt,
	})
	if err != nil {
		return fmt.Errorf("record rejected event (%s: %s): %w", rej.reason, rej.detail, err)
	}
	if isNew {
		h.deps.Logger.Warn("sendgrid webhook: event rejected, kept in rejected_email_events", "reason", rej.reason, "error_code", errorCode, "detail", rej.detail, "dedupe_key", rej.key)
		if h.deps.Rejections != nil {
			h.deps.Rejections.CountWebhookEventRejected(rej.reason)
		}
	}
	return nil
}

// apply stores rec with its effects and reports whether it was new.
func (h *handler) apply(ctx context.Context, ev event, rec store.EmailEvent) (bool, error) {
	if !ev.suppresses() {
		return h.deps.Events.RecordEmailEvent(ctx, rec)
	}

	// Effects first, the record last: a stored event always had its effects (see the package doc).
	done, err := h.deps.Events.EmailEventRecorded(ctx, rec.DedupeKey)
	if err != nil || done {
		return false, err
	}
	if rec.Email == "" {
		h.deps.Logger.Warn("sendgrid webhook: suppressing event without email address", "event", ev.Event, "sg_message_id", ev.SGMessageID)
	}
	// The address and the signal owed to the customer's workflow commit together (the event layer);
	// a signal that cannot be delivered now stays owed, so SendGrid need not retry for it.
	res, err := h.deps.Suppressions.Suppression(ctx, events.Suppression{
		EventID: rec.DedupeKey, Email: rec.Email, CustomerID: ev.CustomerID, Event: ev.Event, At: rec.OccurredAt,
	})
	if err != nil {
		return false, fmt.Errorf("suppress %s for customer %q: %w", ev.Event, ev.CustomerID, err)
	}
	switch {
	case ev.CustomerID != "" && !res.New:
		h.deps.Logger.Warn("sendgrid webhook: suppressing event names an unknown customer (or was recorded before): no workflow signalled", "event", ev.Event, "customer_id", ev.CustomerID, "sg_message_id", ev.SGMessageID)
	case res.DeliveryError != nil:
		h.deps.Logger.Warn("sendgrid webhook: suppress signal owed; the worker delivers it", "customer_id", ev.CustomerID, "error", res.DeliveryError.Error())
	}
	isNew, err := h.deps.Events.RecordEmailEvent(ctx, rec)
	if err == nil && isNew {
		h.deps.Logger.Info("sendgrid webhook: address suppressed", "event", ev.Event, "customer_id", ev.CustomerID, "send_key", ev.IdempotencyKey)
	}
	return isNew, err
}
