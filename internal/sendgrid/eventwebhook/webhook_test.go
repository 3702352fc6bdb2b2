package eventwebhook_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/sendgrid/eventwebhook"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// now is the handler's clock in every test; events happened a little earlier.
var (
	now     = time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	eventAt = now.Add(-2 * time.Minute).Unix()
)

// signer signs deliveries the way SendGrid does: ECDSA P-256 over SHA-256(timestamp + body),
// ASN.1 DER, base64.
type signer struct{ key *ecdsa.PrivateKey }

func newSigner(t *testing.T) signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return signer{key: key}
}

// publicKey is the key as SendGrid shows it: base64 of the DER (PKIX) public key.
func (s signer) publicKey(t *testing.T) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(der)
}

func (s signer) sign(t *testing.T, timestamp string, body []byte) string {
	t.Helper()
	digest := sha256.Sum256(append([]byte(timestamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, digest[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}

// fakeStore is an in-memory EventStore that can fail or block on demand.
type fakeStore struct {
	mu         sync.Mutex
	events     map[string]store.EmailEvent
	order      []string
	rejected   []store.RejectedEmailEvent
	suppressed map[string]string // email -> reason
	suppresses int               // Suppress calls that suppressed a new address
	customers  map[string]bool   // known customer ids
	failRecord error
	// entered, when set, receives once per RecordEmailEvent call, which then waits for release
	// to be closed: a delivery held inside the store.
	entered chan struct{}
	release chan struct{}
}

func newFakeStore() *fakeStore {
	return &fakeStore{events: map[string]store.EmailEvent{}, suppressed: map[string]string{}, customers: map[string]bool{"c1": true}}
}

func (f *fakeStore) CustomerExists(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.customers[id], nil
}

func (f *fakeStore) RecordRejectedEmailEvent(_ context.Context, r store.RejectedEmailEvent) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, old := range f.rejected {
		if old.DedupeKey == r.DedupeKey {
			return false, nil
		}
	}
	f.rejected = append(f.rejected, r)
	return true, nil
}

func (f *fakeStore) rejections() []store.RejectedEmailEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.RejectedEmailEvent(nil), f.rejected...)
}

func (f *fakeStore) EmailEventRecorded(_ context.Context, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.events[key]
	return ok, nil
}

func (f *fakeStore) RecordEmailEvent(_ context.Context, e store.EmailEvent) (bool, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failRecord != nil {
		return false, f.failRecord
	}
	if _, ok := f.events[e.DedupeKey]; ok {
		return false, nil
	}
	f.events[e.DedupeKey] = e
	f.order = append(f.order, e.DedupeKey)
	return true, nil
}

func (f *fakeStore) Suppress(_ context.Context, email, reason string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.suppressed[email]; !ok {
		f.suppressed[email] = reason
		f.suppresses++
	}
	return nil
}

func (f *fakeStore) recorded() []store.EmailEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]store.EmailEvent, 0, len(f.order))
	for _, k := range f.order {
		out = append(out, f.events[k])
	}
	return out
}

type signalCall struct {
	CustomerID string
	Name       string
	Payload    any
}

// fakeLifecycle records signals; the first failFirst calls fail.
type fakeLifecycle struct {
	mu        sync.Mutex
	calls     []signalCall // successful ones
	failFirst int
	attempts  int
}

func (f *fakeLifecycle) Signal(_ context.Context, customerID, name string, payload any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.attempts <= f.failFirst {
		return errors.New("temporal unavailable")
	}
	f.calls = append(f.calls, signalCall{customerID, name, payload})
	return nil
}

func (f *fakeLifecycle) signals() []signalCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signalCall(nil), f.calls...)
}

// fakeSuppressions is the event layer as the webhook sees it: the address suppressed in the
// store, the signal owed once per event id to a known customer and delivered; one that fails stays
// owed (owed lists them).
type fakeSuppressions struct {
	store     *fakeStore
	lifecycle *fakeLifecycle
	mu        sync.Mutex
	seen      map[string]bool
	owed      []string
}

func (f *fakeSuppressions) Suppression(ctx context.Context, s events.Suppression) (events.Result, error) {
	if s.Email != "" {
		if err := f.store.Suppress(ctx, s.Email, s.Event, s.At); err != nil {
			return events.Result{}, err
		}
	}
	known, err := f.store.CustomerExists(ctx, s.CustomerID)
	if err != nil || !known {
		return events.Result{}, err
	}
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	isNew := !f.seen[s.EventID]
	f.seen[s.EventID] = true
	f.mu.Unlock()
	if !isNew {
		return events.Result{EventID: s.EventID}, nil
	}
	res := events.Result{EventID: s.EventID, New: true}
	if err := f.lifecycle.Signal(ctx, s.CustomerID, workflows.SignalSuppress, workflows.SuppressSignal{Event: s.Event, At: s.At}); err != nil {
		f.mu.Lock()
		f.owed = append(f.owed, s.EventID)
		f.mu.Unlock()
		res.DeliveryError = err
		return res, nil
	}
	res.Delivered = true
	return res, nil
}

type bundle struct {
	signer       signer
	store        *fakeStore
	lifecycle    *fakeLifecycle
	suppressions *fakeSuppressions
	handler      http.Handler
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	s := newSigner(t)
	key, err := eventwebhook.ParsePublicKey(s.publicKey(t))
	require.NoError(t, err)
	b := &bundle{signer: s, store: newFakeStore(), lifecycle: &fakeLifecycle{}}
	b.suppressions = &fakeSuppressions{store: b.store, lifecycle: b.lifecycle}
	b.handler = eventwebhook.New(
		eventwebhook.Config{PublicKey: key, Now: func() time.Time { return now }},
		eventwebhook.Deps{Events: b.store, Suppressions: b.suppressions},
	)
	return b
}

// post sends body signed at now to b.handler and returns the response.
func (b *bundle) post(t *testing.T, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return b.postTo(t, b.handler, body)
}

// postTo sends body signed at now to h, a handler built on b's signer, and returns the response.
func (b *bundle) postTo(t *testing.T, h http.Handler, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	ts := strconv.FormatInt(now.Unix(), 10)
	return serve(h, http.MethodPost, body, map[string]string{
		eventwebhook.TimestampHeader: ts,
		eventwebhook.SignatureHeader: b.signer.sign(t, ts, body),
	})
}

func (b *bundle) do(t *testing.T, method string, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	return serve(b.handler, method, body, headers)
}

func serve(h http.Handler, method string, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/webhooks/sendgrid", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// ev is one SendGrid event with Tailor's custom args flattened in, as SendGrid posts it.
func ev(event string, extra ...string) map[string]any {
	e := map[string]any{
		"email":           "Ann@Example.com",
		"timestamp":       eventAt,
		"event":           event,
		"sg_event_id":     "evt-" + event,
		"sg_message_id":   "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
		"smtp-id":         "<14c5d75ce93.dfd.64b469@ismtpd-555>",
		"category":        []string{"tailor"},
		"idempotency_key": "customer/c1/restock/Chino",
		"customer_id":     "c1",
		"kind":            "restock",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(e, extra[i])
		} else {
			e[extra[i]] = extra[i+1]
		}
	}
	return e
}

func batch(t *testing.T, events ...map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(events)
	require.NoError(t, err)
	return body
}

func TestSignature(t *testing.T) {
	t.Parallel()
	body := []byte(`[{"email":"ann@example.com","timestamp":1774747680,"event":"bounce","sg_message_id":"m1","customer_id":"c1"}]`)
	stranger := newSigner(t)
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }

	tests := []struct {
		name string
		// headers builds the request headers from the endpoint's signer.
		headers func(s signer) map[string]string
		body    []byte
		want    int
	}{
		{"valid", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: s.sign(t, ts(0), body)}
		}, body, http.StatusOK},
		{"valid, 9 minutes old", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(-9 * time.Minute), eventwebhook.SignatureHeader: s.sign(t, ts(-9*time.Minute), body)}
		}, body, http.StatusOK},
		{"replayed: 11 minutes old", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(-11 * time.Minute), eventwebhook.SignatureHeader: s.sign(t, ts(-11*time.Minute), body)}
		}, body, http.StatusUnauthorized},
		{"timestamp 11 minutes ahead", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(11 * time.Minute), eventwebhook.SignatureHeader: s.sign(t, ts(11*time.Minute), body)}
		}, body, http.StatusUnauthorized},
		{"timestamp not a number", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: "yesterday", eventwebhook.SignatureHeader: s.sign(t, "yesterday", body)}
		}, body, http.StatusUnauthorized},
		{"signature over another timestamp", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: s.sign(t, ts(-time.Second), body)}
		}, body, http.StatusUnauthorized},
		{"tampered body", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: s.sign(t, ts(0), body)}
		}, bytes.Replace(body, []byte("bounce"), []byte("open"), 1), http.StatusUnauthorized},
		{"wrong key", func(signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: stranger.sign(t, ts(0), body)}
		}, body, http.StatusUnauthorized},
		{"signature not base64", func(signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: "not base64!"}
		}, body, http.StatusUnauthorized},
		{"signature garbage", func(signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: base64.StdEncoding.EncodeToString([]byte("garbage"))}
		}, body, http.StatusUnauthorized},
		{"missing signature", func(signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0)}
		}, body, http.StatusUnauthorized},
		{"missing timestamp", func(s signer) map[string]string {
			return map[string]string{eventwebhook.SignatureHeader: s.sign(t, "", body)}
		}, body, http.StatusUnauthorized},
		{"missing both", func(signer) map[string]string { return nil }, body, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t)
			rec := b.do(t, http.MethodPost, tt.body, tt.headers(b.signer))
			require.Equal(t, tt.want, rec.Code, "%s: body %s", tt.name, rec.Body)
			if tt.want != http.StatusOK {
				require.Empty(t, b.store.recorded(), "%s: rejected delivery recorded events", tt.name)
				require.Empty(t, b.store.suppressed, "%s: rejected delivery suppressed", tt.name)
				require.Empty(t, b.lifecycle.signals(), "%s: rejected delivery signalled", tt.name)
			} else {
				require.Len(t, b.store.recorded(), 1, tt.name)
			}
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	good := s.publicKey(t)
	_, err := eventwebhook.ParsePublicKey("-----BEGIN PUBLIC KEY-----\n" + good[:40] + "\n" + good[40:] + "\n-----END PUBLIC KEY-----\n")
	require.NoError(t, err, "PEM-wrapped key")

	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p384DER, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	require.NoError(t, err)

	for _, tt := range []struct{ in, want string }{
		{"", "empty"},
		{"not base64 at all!", "not base64"},
		{base64.StdEncoding.EncodeToString([]byte("not DER")), "not a DER public key"},
		{base64.StdEncoding.EncodeToString(p384DER), "want an ECDSA P-256 key"},
	} {
		_, err := eventwebhook.ParsePublicKey(tt.in)
		require.ErrorContains(t, err, tt.want, "key %q", tt.in)
	}
}

func TestEventEffects(t *testing.T) {
	t.Parallel()
	suppressSignal := func(event string) []signalCall {
		return []signalCall{{"c1", workflows.SignalSuppress, workflows.SuppressSignal{Event: event, At: time.Unix(eventAt, 0).UTC()}}}
	}
	tests := []struct {
		name       string
		event      map[string]any
		suppressed string // reason the address is suppressed for; "" none
		signals    []signalCall
	}{
		{"bounce", ev("bounce", "type", "bounce", "reason", "550 5.1.1 no such user"), "bounce", suppressSignal("bounce")},
		{"bounce without type", ev("bounce"), "bounce", suppressSignal("bounce")},
		{"blocked bounce is temporary", ev("bounce", "type", "blocked"), "", nil},
		{"dropped", ev("dropped", "reason", "Bounced Address"), "dropped", suppressSignal("dropped")},
		{"spamreport", ev("spamreport"), "spamreport", suppressSignal("spamreport")},
		{"unsubscribe", ev("unsubscribe"), "unsubscribe", suppressSignal("unsubscribe")},
		{"group_unsubscribe", ev("group_unsubscribe"), "group_unsubscribe", suppressSignal("group_unsubscribe")},
		{"spamreport without customer_id", ev("spamreport", "customer_id", ""), "spamreport", nil},
		{"delivered", ev("delivered"), "", nil},
		{"open", ev("open"), "", nil},
		{"click", ev("click", "url", "https://shop.example.com/p/chino"), "", nil},
		{"processed", ev("processed"), "", nil},
		{"deferred", ev("deferred"), "", nil},
		{"unknown type", ev("brand_new_event"), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t)
			rec := b.post(t, batch(t, tt.event))
			require.Equal(t, http.StatusOK, rec.Code, "%s: %s", tt.name, rec.Body)

			got := b.store.recorded()
			require.Len(t, got, 1, "%s: recorded events", tt.name)
			e := got[0]
			require.Equal(t, tt.event["event"], e.Event, tt.name)
			require.Equal(t, "ann@example.com", e.Email, "%s: email normalized", tt.name)
			require.Equal(t, "customer/c1/restock/Chino", e.SendKey, "%s: send key from idempotency_key", tt.name)
			require.Equal(t, "restock", e.Kind, tt.name)
			require.Equal(t, time.Unix(eventAt, 0).UTC(), e.OccurredAt, tt.name)
			require.Equal(t, now, e.ReceivedAt, tt.name)
			if url, ok := tt.event["url"]; ok {
				require.Equal(t, url, e.URL, tt.name)
			}

			if tt.suppressed == "" {
				require.Empty(t, b.store.suppressed, "%s: nothing suppressed", tt.name)
			} else {
				require.Equal(t, map[string]string{"ann@example.com": tt.suppressed}, b.store.suppressed, tt.name)
			}
			require.Equal(t, tt.signals, b.lifecycle.signals(), "%s: signals", tt.name)
		})
	}
}

func TestDuplicateDeliveryHasOneEffect(t *testing.T) {
	b := setup(t)
	events := []map[string]any{
		ev("delivered"), ev("open"), ev("click", "url", "https://shop.example.com/p/chino"), ev("bounce", "type", "bounce"),
	}
	for attempt := range 3 {
		// SendGrid gives every redelivered event a new sg_event_id.
		for _, e := range events {
			e["sg_event_id"] = fmt.Sprintf("%s-attempt-%d", e["event"], attempt)
		}
		rec := b.post(t, batch(t, events...))
		require.Equal(t, http.StatusOK, rec.Code, "attempt %d: %s", attempt, rec.Body)
	}
	require.Len(t, b.store.recorded(), 4, "each event stored once")
	require.Equal(t, 1, b.store.suppresses, "one suppression")
	require.Len(t, b.lifecycle.signals(), 1, "one signal")
}

// Temporal down: the suppression and its signal are recorded together and the signal stays owed
// (the worker's relay delivers it), so SendGrid need not retry; redeliveries owe nothing new.
func TestSignalFailureStaysOwed(t *testing.T) {
	b := setup(t)
	b.lifecycle.failFirst = 1
	body := batch(t, ev("delivered"), ev("spamreport"))

	rec := b.post(t, body)
	require.Equal(t, http.StatusOK, rec.Code, "signal failed but is owed: %s", rec.Body)
	require.Len(t, b.store.recorded(), 2, "both events stored")
	require.Contains(t, b.store.suppressed, "ann@example.com", "the address is suppressed")
	require.Len(t, b.suppressions.owed, 1, "the suppress signal stays owed")
	require.Empty(t, b.lifecycle.signals())

	rec = b.post(t, body) // a late duplicate changes nothing and owes nothing new
	require.Equal(t, http.StatusOK, rec.Code, rec.Body)
	require.Empty(t, b.lifecycle.signals())
	require.Len(t, b.suppressions.owed, 1)
	require.Equal(t, 1, b.store.suppresses)
}

func TestStoreFailureAnswers500(t *testing.T) {
	b := setup(t)
	b.store.failRecord = errors.New("connection refused")
	rec := b.post(t, batch(t, ev("open")))
	require.Equal(t, http.StatusInternalServerError, rec.Code, rec.Body)
}

func TestRequestProblems(t *testing.T) {
	t.Parallel()
	t.Run("GET is not allowed", func(t *testing.T) {
		b := setup(t)
		rec := b.do(t, http.MethodGet, nil, nil)
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		require.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
	})
	t.Run("body over the limit", func(t *testing.T) {
		b := setup(t)
		body := bytes.Repeat([]byte(" "), eventwebhook.MaxBodyBytes+1)
		rec := b.post(t, body)
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		require.Empty(t, b.store.recorded())
	})
	t.Run("signed body that is not an array", func(t *testing.T) {
		b := setup(t)
		rec := b.post(t, []byte(`{"event":"open"}`))
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Empty(t, b.store.recorded())
	})
	t.Run("undecodable event is skipped, the rest processed", func(t *testing.T) {
		b := setup(t)
		rec := b.post(t, []byte(`[{"event":"open","timestamp":"soon"}, {"event":"open","email":"x"}, `+string(batch(t, ev("open")))[1:]))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body)
		require.Len(t, b.store.recorded(), 1)
	})
}
