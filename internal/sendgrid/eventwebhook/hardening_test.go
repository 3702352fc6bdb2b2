package eventwebhook_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/sendgrid/eventwebhook"
	"github.com/tailorhq/tailor/internal/store"
)

// recordingBody is a request body that remembers whether anyone read it.
type recordingBody struct {
	r    io.Reader
	read atomic.Bool
}

func (b *recordingBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

// fakeCounter records CountWebhookEventRejected calls.
type fakeCounter struct {
	mu      sync.Mutex
	reasons []string
}

func (c *fakeCounter) CountWebhookEventRejected(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reasons = append(c.reasons, reason)
}

func (c *fakeCounter) counted() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reasons...)
}

// request builds a delivery signed at now whose body remembers being read.
func (b *bundle) request(t *testing.T, body []byte) (*http.Request, *recordingBody) {
	t.Helper()
	ts := strconv.FormatInt(now.Unix(), 10)
	rb := &recordingBody{r: bytes.NewReader(body)}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", rb)
	req.Header.Set(eventwebhook.TimestampHeader, ts)
	req.Header.Set(eventwebhook.SignatureHeader, b.signer.sign(t, ts, body))
	return req, rb
}

// A delivery without both headers, or with a stale timestamp, is refused before its body is read:
// an unsigned client cannot make the endpoint buffer 5 MB.
func TestHeadersCheckedBeforeBody(t *testing.T) {
	t.Parallel()
	body := batch(t, ev("open"))
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		name     string
		headers  func(s signer) map[string]string
		want     int
		wantRead bool
	}{
		{"signed (control: the body is read)", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: s.sign(t, ts(0), body)}
		}, http.StatusOK, true},
		{"missing both", func(signer) map[string]string { return nil }, http.StatusUnauthorized, false},
		{"missing signature", func(signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0)}
		}, http.StatusUnauthorized, false},
		{"missing timestamp", func(s signer) map[string]string {
			return map[string]string{eventwebhook.SignatureHeader: s.sign(t, "", body)}
		}, http.StatusUnauthorized, false},
		{"timestamp 11 minutes old", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(-11 * time.Minute), eventwebhook.SignatureHeader: s.sign(t, ts(-11*time.Minute), body)}
		}, http.StatusUnauthorized, false},
		{"timestamp 11 minutes ahead", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(11 * time.Minute), eventwebhook.SignatureHeader: s.sign(t, ts(11*time.Minute), body)}
		}, http.StatusUnauthorized, false},
		{"timestamp not a number", func(s signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: "soon", eventwebhook.SignatureHeader: s.sign(t, "soon", body)}
		}, http.StatusUnauthorized, false},
		{"signature not base64", func(signer) map[string]string {
			return map[string]string{eventwebhook.TimestampHeader: ts(0), eventwebhook.SignatureHeader: "not base64!"}
		}, http.StatusUnauthorized, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t)
			rb := &recordingBody{r: bytes.NewReader(body)}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", rb)
			for k, v := range tt.headers(b.signer) {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			b.handler.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, "%s: %s", tt.name, rec.Body)
			require.Equal(t, tt.wantRead, rb.read.Load(), "%s: body read", tt.name)
		})
	}
}

// With every processing slot taken by a delivery held in the store, the next signed one answers
// 503 with Retry-After at once, without reaching the store; once the slots free up, deliveries go
// through.
func TestConcurrencyBound(t *testing.T) {
	b := setup(t)
	b.store.entered = make(chan struct{})
	b.store.release = make(chan struct{})
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(b.store.release) }) }
	t.Cleanup(release) // lets held deliveries finish however the test ends

	held := make(chan int, eventwebhook.DefaultMaxConcurrent)
	for i := range eventwebhook.DefaultMaxConcurrent {
		req, _ := b.request(t, batch(t, ev("open", "sg_message_id", "m"+strconv.Itoa(i))))
		go func() {
			rec := httptest.NewRecorder()
			b.handler.ServeHTTP(rec, req)
			held <- rec.Code
		}()
	}
	for range eventwebhook.DefaultMaxConcurrent {
		<-b.store.entered // every slot is taken by a delivery waiting inside the store
	}

	req, rb := b.request(t, batch(t, ev("open", "sg_message_id", "one-too-many")))
	over := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		b.handler.ServeHTTP(rec, req)
		over <- rec
	}()
	select {
	case rec := <-over:
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, "delivery %d with %d in progress: %s", eventwebhook.DefaultMaxConcurrent+1, eventwebhook.DefaultMaxConcurrent, rec.Body)
		require.Equal(t, "5", rec.Header().Get("Retry-After"))
		require.True(t, rb.read.Load(), "a signed delivery is read (within a reading slot) before it waits for a processing slot")
	case <-b.store.entered:
		t.Fatalf("delivery %d reached the store while %d were in progress", eventwebhook.DefaultMaxConcurrent+1, eventwebhook.DefaultMaxConcurrent)
	}

	release()
	for range eventwebhook.DefaultMaxConcurrent {
		require.Equal(t, http.StatusOK, <-held, "a held delivery")
	}
	b.store.entered = nil // no more holding: the slots are free again
	rec := b.post(t, batch(t, ev("open", "sg_message_id", "after")))
	require.Equal(t, http.StatusOK, rec.Code, "a delivery after the others finished: %s", rec.Body)
	require.Len(t, b.store.recorded(), eventwebhook.DefaultMaxConcurrent+1)
}

// Events that can never be stored are recorded as rejected, counted and answered 200, so SendGrid
// does not retry them for days; the rest of the batch is processed.
func TestPoisonEventsAreRejected(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 400) + "@example.com"
	tests := []struct {
		name   string
		event  map[string]any
		reason string
		detail string
	}{
		{"NUL in email", ev("bounce", "email", "ann\x00@example.com"), eventwebhook.RejectInvalidText, "email holds a NUL byte"},
		{"NUL in customer_id", ev("spamreport", "customer_id", "c1\x00"), eventwebhook.RejectInvalidText, "customer_id holds a NUL byte"},
		{"NUL in url", ev("click", "url", "https://shop.example.com/\x00"), eventwebhook.RejectInvalidText, "url holds a NUL byte"},
		{"NUL in sg_message_id", ev("open", "sg_message_id", "m\x00"), eventwebhook.RejectInvalidText, "sg_message_id holds a NUL byte"},
		{"NUL in kind", ev("open", "kind", "sale\x00"), eventwebhook.RejectInvalidText, "kind holds a NUL byte"},
		{"email over 320 bytes", ev("bounce", "email", long), eventwebhook.RejectTooLong, "email is 412 bytes, more than 320"},
		{"timestamp past 9999", map[string]any{"event": "bounce", "email": "ann@example.com", "timestamp": 1e18}, eventwebhook.RejectUndecodable, "not between 1970 and 9999"},
		{"negative timestamp", map[string]any{"event": "bounce", "email": "ann@example.com", "timestamp": -1}, eventwebhook.RejectUndecodable, "not between 1970 and 9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t)
			counter := &fakeCounter{}
			key, err := eventwebhook.ParsePublicKey(b.signer.publicKey(t))
			require.NoError(t, err)
			b.handler = eventwebhook.New(eventwebhook.Config{PublicKey: key, Now: func() time.Time { return now }},
				eventwebhook.Deps{Events: b.store, Suppressions: &fakeSuppressions{store: b.store, lifecycle: b.lifecycle}, Rejections: counter})

			for attempt := range 2 { // a redelivery of the batch, with new sg_event_ids
				tt.event["sg_event_id"] = "attempt-" + strconv.Itoa(attempt)
				rec := b.post(t, batch(t, tt.event, ev("delivered")))
				require.Equal(t, http.StatusOK, rec.Code, "%s, attempt %d: %s", tt.name, attempt, rec.Body)
			}
			rejected := b.store.rejections()
			require.Len(t, rejected, 1, "%s: rejected once over two deliveries", tt.name)
			require.Equal(t, tt.reason, rejected[0].Reason, tt.name)
			require.Contains(t, rejected[0].Detail, tt.detail, tt.name)
			require.Contains(t, rejected[0].Raw, `"event":"`+tt.event["event"].(string)+`"`, "%s: raw event kept", tt.name)
			require.Equal(t, []string{tt.reason}, counter.counted(), "%s: counted once", tt.name)

			got := b.store.recorded()
			require.Len(t, got, 1, "%s: only the good event stored", tt.name)
			require.Equal(t, "delivered", got[0].Event, tt.name)
			require.Empty(t, b.store.suppressed, "%s: nothing suppressed", tt.name)
			require.Empty(t, b.lifecycle.signals(), "%s: nothing signalled", tt.name)
		})
	}
}

// A bounce reason is the receiving server's free text: a NUL in it is replaced, and the
// suppression still happens.
func TestNULInReasonStillSuppresses(t *testing.T) {
	b := setup(t)
	rec := b.post(t, batch(t, ev("bounce", "reason", "550 \x00 no such user")))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body)
	got := b.store.recorded()
	require.Len(t, got, 1)
	require.Equal(t, "550 \uFFFD no such user", got[0].Reason)
	require.Contains(t, b.store.suppressed, "ann@example.com")
	require.Len(t, b.lifecycle.signals(), 1)
	require.Empty(t, b.store.rejections())
}

// The safety net: what the database refuses for its content is rejected with the SQLSTATE and
// answered 200; any other store error still answers 500 (TestStoreFailureAnswers500).
func TestDatabaseRefusalIsRejected(t *testing.T) {
	b := setup(t)
	b.store.failRecord = &pgconn.PgError{Code: "22021", Message: `invalid byte sequence for encoding "UTF8": 0x00`}
	rec := b.post(t, batch(t, ev("open")))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body)
	rejected := b.store.rejections()
	require.Len(t, rejected, 1)
	require.Equal(t, eventwebhook.RejectDatabase, rejected[0].Reason)
	require.Equal(t, "22021", rejected[0].ErrorCode)
	require.Equal(t, eventwebhook.DedupeKey("14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0", "open", eventAt, "ann@example.com", ""), rejected[0].DedupeKey)

	b.store.failRecord = errors.New("dial tcp 127.0.0.1:5432: connection refused")
	rec = b.post(t, batch(t, ev("click", "url", "https://shop.example.com/p")))
	require.Equal(t, http.StatusInternalServerError, rec.Code, "a transient store error: %s", rec.Body)
	require.Len(t, b.store.rejections(), 1, "a transient error is not a rejection")
}

// A suppressing event naming a customer Tailor does not know suppresses the address and is
// stored, but starts no workflow.
func TestUnknownCustomerNotSignalled(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe"} {
		t.Run(event, func(t *testing.T) {
			b := setup(t)
			rec := b.post(t, batch(t, ev(event, "customer_id", "ghost", "email", "ghost@example.com")))
			require.Equal(t, http.StatusOK, rec.Code, "%s for ghost: %s", event, rec.Body)
			require.Empty(t, b.lifecycle.signals(), "%s for unknown customer ghost signalled", event)
			require.Contains(t, b.store.suppressed, "ghost@example.com", "%s: the address is suppressed anyway", event)
			require.Len(t, b.store.recorded(), 1, "%s: the event is stored", event)
		})
	}
}

var _ eventwebhook.EventStore = (*store.DB)(nil)
