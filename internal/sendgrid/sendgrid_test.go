package sendgrid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendgrid"
	"github.com/tailorhq/tailor/internal/sendgrid/sink"
)

const apiKey = "SG.secret-test-key"

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func testEmail() lifecycle.Email {
	return lifecycle.Email{
		Key:        lifecycle.SendKey("c1", lifecycle.KindRestock, "Back in grey"),
		CustomerID: "c1",
		Kind:       lifecycle.KindRestock,
		ToEmail:    "ann@example.com",
		ToName:     "Ann de Vries",
		Subject:    "Back in grey",
		HTML:       "<p>Your trousers are back in grey.</p>",
		Text:       "Your trousers are back in grey.",
	}
}

func newMailer(baseURL string, cfg sendgrid.Config) *sendgrid.Mailer {
	cfg.BaseURL = baseURL
	if cfg.APIKey == "" {
		cfg.APIKey = apiKey
	}
	cfg.FromEmail = "shop@example.com"
	cfg.FromName = "Tailor Shop"
	cfg.Now = func() time.Time { return now }
	return sendgrid.New(cfg)
}

// capture records the raw requests that reach the sink.
type capture struct {
	next http.Handler
	mu   sync.Mutex
	reqs []capturedRequest
}

type capturedRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.reqs = append(c.reqs, capturedRequest{r.Method, r.URL.Path, r.Header.Clone(), body})
	c.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.next.ServeHTTP(w, r)
}

// capturedSink serves a sink that takes apiKey behind a capture of every request.
func capturedSink(t *testing.T) (*sink.Sink, *capture, *httptest.Server) {
	t.Helper()
	fake := sink.New(apiKey)
	c := &capture{next: fake}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return fake, c, srv
}

func TestSendRequest(t *testing.T) {
	fake, c, srv := capturedSink(t)

	e := testEmail()
	id, err := newMailer(srv.URL+"/", sendgrid.Config{}).Send(t.Context(), e)
	require.NoError(t, err)

	require.Len(t, c.reqs, 1)
	req := c.reqs[0]
	assert.Equal(t, http.MethodPost, req.method)
	assert.Equal(t, "/v3/mail/send", req.path)
	assert.Equal(t, "Bearer "+apiKey, req.header.Get("Authorization"))
	assert.Equal(t, "application/json", req.header.Get("Content-Type"))

	var body struct {
		From             map[string]string `json:"from"`
		Subject          string            `json:"subject"`
		Personalizations []struct {
			To []map[string]string `json:"to"`
		} `json:"personalizations"`
		Content    []map[string]string `json:"content"`
		CustomArgs map[string]string   `json:"custom_args"`
		Headers    map[string]string   `json:"headers"`
	}
	require.NoError(t, json.Unmarshal(req.body, &body), "body %s", req.body)
	assert.Equal(t, map[string]string{"email": "shop@example.com", "name": "Tailor Shop"}, body.From)
	assert.Equal(t, e.Subject, body.Subject)
	require.Len(t, body.Personalizations, 1)
	assert.Equal(t, []map[string]string{{"email": e.ToEmail, "name": e.ToName}}, body.Personalizations[0].To)
	assert.Equal(t, []map[string]string{
		{"type": "text/plain", "value": e.Text},
		{"type": "text/html", "value": e.HTML},
	}, body.Content)
	assert.Equal(t, map[string]string{
		"idempotency_key": e.Key,
		"customer_id":     "c1",
		"kind":            "restock",
	}, body.CustomArgs)
	assert.Equal(t, map[string]string{"X-Tailor-Key": e.Key}, body.Headers)

	msgs := fake.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, msgs[0].MessageID, id, "Send must return SendGrid's X-Message-Id")
	assert.Equal(t, e.Key, msgs[0].Key)
}

func TestSendOutcomes(t *testing.T) {
	resetIn := func(d time.Duration) http.Header {
		return http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Add(d).Unix(), 10)}}
	}
	for _, tc := range []struct {
		name   string
		cfg    sendgrid.Config
		email  func(e *lifecycle.Email)
		setup  func(s *sink.Sink)
		want   *lifecycle.SendError // nil: accepted
		substr string               // in the SendError's message
	}{
		{name: "202 accepted"},
		{
			name:   "400 invalid request",
			email:  func(e *lifecycle.Email) { e.Subject = "" },
			want:   &lifecycle.SendError{Status: 400, Permanent: true},
			substr: "subject: The subject is required",
		},
		{
			name:   "401 wrong API key",
			cfg:    sendgrid.Config{APIKey: "SG.revoked-key"},
			want:   &lifecycle.SendError{Status: 401, AuthRefused: true},
			substr: "authorization grant is invalid",
		},
		{
			name:   "401 key revoked at the provider",
			setup:  func(s *sink.Sink) { s.RefuseKey(true) },
			want:   &lifecycle.SendError{Status: 401, AuthRefused: true},
			substr: "authorization grant is invalid",
		},
		{
			name:  "403 forbidden (key without the mail send scope)",
			setup: func(s *sink.Sink) { s.FailNext(1, 403, nil) },
			want:  &lifecycle.SendError{Status: 403, AuthRefused: true},
		},
		{
			name:   "413 too large",
			setup:  func(s *sink.Sink) { s.FailNext(1, 413, nil) },
			want:   &lifecycle.SendError{Status: 413, Permanent: true},
			substr: "too large",
		},
		{
			name:  "429 with reset in 30s",
			setup: func(s *sink.Sink) { s.FailNext(1, 429, resetIn(30*time.Second)) },
			want:  &lifecycle.SendError{Status: 429, RetryAfter: 30 * time.Second},
		},
		{
			name:  "429 with reset already passed",
			setup: func(s *sink.Sink) { s.FailNext(1, 429, resetIn(-time.Minute)) },
			want:  &lifecycle.SendError{Status: 429, RetryAfter: time.Second},
		},
		{
			name:  "429 without reset header",
			setup: func(s *sink.Sink) { s.FailNext(1, 429, nil) },
			want:  &lifecycle.SendError{Status: 429},
		},
		{
			name:  "429 with unparsable reset header",
			setup: func(s *sink.Sink) { s.FailNext(1, 429, http.Header{"X-Ratelimit-Reset": {"soon"}}) },
			want:  &lifecycle.SendError{Status: 429},
		},
		{
			name:  "500 server error",
			setup: func(s *sink.Sink) { s.FailNext(1, 500, nil) },
			want:  &lifecycle.SendError{Status: 500},
		},
		{
			name:  "503 unavailable",
			setup: func(s *sink.Sink) { s.FailNext(1, 503, nil) },
			want:  &lifecycle.SendError{Status: 503},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := sink.Start(t, apiKey)
			if tc.setup != nil {
				tc.setup(fake)
			}
			e := testEmail()
			if tc.email != nil {
				tc.email(&e)
			}
			id, err := newMailer(url, tc.cfg).Send(t.Context(), e)

			if tc.want == nil {
				require.NoError(t, err)
				require.Len(t, fake.Messages(), 1)
				assert.Equal(t, fake.Messages()[0].MessageID, id)
				return
			}
			require.Error(t, err)
			assert.Empty(t, id)
			assert.NotContains(t, err.Error(), apiKey, "the API key must never appear in an error")
			var sendErr *lifecycle.SendError
			require.ErrorAs(t, err, &sendErr)
			assert.Equal(t, tc.want.Status, sendErr.Status, "status")
			assert.Equal(t, tc.want.Permanent, sendErr.Permanent, "permanent")
			assert.Equal(t, tc.want.AuthRefused, sendErr.AuthRefused, "auth refused: pauses sending instead of failing the email")
			assert.Equal(t, tc.want.RetryAfter, sendErr.RetryAfter, "retry after")
			assert.NotEmpty(t, sendErr.Message, "SendGrid's explanation")
			assert.Contains(t, sendErr.Message, tc.substr)
			assert.Empty(t, fake.Messages(), "a refused email must not have been stored")
		})
	}
}

func TestSendTransportFailures(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name    string
		baseURL func(t *testing.T) string
		ctx     func(t *testing.T) context.Context
		is      error // want errors.Is(err, is) when set
		timeout bool  // want a net.Error that reports a timeout
	}{
		{
			name: "timeout",
			baseURL: func(t *testing.T) string {
				fake, url := sink.Start(t, apiKey)
				fake.Delay(time.Hour)
				return url
			},
			timeout: true,
		},
		{
			name: "context cancelled",
			baseURL: func(t *testing.T) string {
				_, url := sink.Start(t, apiKey)
				return url
			},
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			is: context.Canceled,
		},
		{
			name:    "connection refused",
			baseURL: func(*testing.T) string { return closed.URL },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.ctx != nil {
				ctx = tc.ctx(t)
			}
			e := testEmail()
			m := newMailer(tc.baseURL(t), sendgrid.Config{Timeout: 50 * time.Millisecond})

			id, err := m.Send(ctx, e)
			require.Error(t, err)
			assert.Empty(t, id)
			var sendErr *lifecycle.SendError
			assert.False(t, errors.As(err, &sendErr), "a transport failure is not a provider answer: %v", err)
			assert.True(t, strings.HasPrefix(err.Error(), "send email "+e.Key+": "), "error %q must name the key", err)
			assert.NotContains(t, err.Error(), apiKey, "the API key must never appear in an error")
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			if tc.timeout {
				var netErr net.Error
				assert.True(t, errors.As(err, &netErr) && netErr.Timeout(), "want a timeout, got %v", err)
			}
		})
	}
}

func TestSendAcceptedWithoutMessageID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)

	id, err := newMailer(srv.URL, sendgrid.Config{}).Send(t.Context(), testEmail())
	require.Error(t, err)
	assert.Empty(t, id)
	assert.Contains(t, err.Error(), "X-Message-Id")
}

func TestSendRedactsKeyEchoedInErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "bad header: "+r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)

	_, err := newMailer(srv.URL, sendgrid.Config{}).Send(t.Context(), testEmail())
	var sendErr *lifecycle.SendError
	require.ErrorAs(t, err, &sendErr)
	assert.True(t, sendErr.Permanent)
	assert.NotContains(t, err.Error(), apiKey)
	assert.Contains(t, err.Error(), "bad header: Bearer [redacted]")
}

func TestSendCarriesEmailHeaders(t *testing.T) {
	fake, c, srv := capturedSink(t)

	e := testEmail()
	e.Headers = map[string]string{
		"List-Unsubscribe":      "<https://shop.example.com/u/tok>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"X-Tailor-Key":          "an email cannot change its send-log key",
	}
	_, err := newMailer(srv.URL, sendgrid.Config{}).Send(t.Context(), e)
	require.NoError(t, err)

	want := map[string]string{
		"List-Unsubscribe":      "<https://shop.example.com/u/tok>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"X-Tailor-Key":          e.Key,
	}
	require.Len(t, c.reqs, 1)
	var body struct {
		Headers map[string]string `json:"headers"`
	}
	require.NoError(t, json.Unmarshal(c.reqs[0].body, &body), "body %s", c.reqs[0].body)
	assert.Equal(t, want, body.Headers)
	require.Len(t, fake.Messages(), 1)
	assert.Equal(t, want, fake.Messages()[0].Headers, "the sink records the headers as sent")
}

// A question email's reply address travels in SendGrid's reply_to field (SendGrid refuses
// Reply-To among the custom headers); an email without one sends no reply_to.
func TestSendCarriesReplyTo(t *testing.T) {
	_, c, srv := capturedSink(t)
	e := testEmail()
	e.ReplyTo = "reply+abcdefghijklmnopqrstuvwx@reply.shop.example"
	_, err := newMailer(srv.URL, sendgrid.Config{}).Send(t.Context(), e)
	require.NoError(t, err)
	_, err = newMailer(srv.URL, sendgrid.Config{}).Send(t.Context(), testEmail())
	require.NoError(t, err)

	require.Len(t, c.reqs, 2)
	var with, without struct {
		ReplyTo *struct {
			Email string `json:"email"`
		} `json:"reply_to"`
		Headers map[string]string `json:"headers"`
	}
	require.NoError(t, json.Unmarshal(c.reqs[0].body, &with), "body %s", c.reqs[0].body)
	require.NotNil(t, with.ReplyTo, "body %s", c.reqs[0].body)
	assert.Equal(t, e.ReplyTo, with.ReplyTo.Email)
	assert.NotContains(t, with.Headers, "Reply-To")
	require.NoError(t, json.Unmarshal(c.reqs[1].body, &without), "body %s", c.reqs[1].body)
	assert.Nil(t, without.ReplyTo, "no reply_to without a reply address")
}
