package ops_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/ops"
)

func passing(name string) ops.HealthCheck {
	return ops.HealthCheck{Name: name, Check: func(context.Context) error { return nil }}
}

func failing(name, why string) ops.HealthCheck {
	return ops.HealthCheck{Name: name, Check: func(context.Context) error { return errors.New(why) }}
}

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		checks []ops.HealthCheck
		status int
		body   string
	}{
		{"no checks", nil, http.StatusOK, "ok\n"},
		{"all pass", []ops.HealthCheck{passing("temporal"), passing("sending")}, http.StatusOK, "ok\n"},
		{"one fails", []ops.HealthCheck{passing("temporal"), failing("sending", "paused since 2026-12-01T14:02:00Z: SendGrid refused the API key")},
			http.StatusServiceUnavailable, "sending: paused since 2026-12-01T14:02:00Z: SendGrid refused the API key\n"},
		{"two fail, one line each, in order", []ops.HealthCheck{failing("temporal", "unreachable"), passing("db"), failing("sending", "paused\nsince noon")},
			http.StatusServiceUnavailable, "temporal: unreachable\nsending: paused since noon\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ops.Health(tc.checks).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			assert.Equal(t, tc.status, rec.Code, "checks %q", tc.name)
			assert.Equal(t, tc.body, rec.Body.String(), "checks %q", tc.name)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}

// A check that hangs fails once the request's bound is reached instead of hanging the probe: the
// check sees its context end.
func TestHealthCheckSeesTheRequestEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hang := ops.HealthCheck{Name: "temporal", Check: func(ctx context.Context) error {
		cancel() // the prober gives up
		<-ctx.Done()
		return fmt.Errorf("no answer: %w", ctx.Err())
	}}
	rec := httptest.NewRecorder()
	ops.Health([]ops.HealthCheck{hang}).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil).WithContext(ctx))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "temporal: no answer: context canceled\n", rec.Body.String())
}

func TestNewMountsOnlyWhatItIsGiven(t *testing.T) {
	answer := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) })
	}
	full := ops.New(ops.Deps{Metrics: answer("metrics"), Codec: answer("codec"), Checks: []ops.HealthCheck{passing("temporal")}})
	bare := ops.New(ops.Deps{})
	for _, tc := range []struct {
		method, path   string
		full, bare     int
		fullBodyPrefix string
	}{
		{"GET", "/healthz", 200, 200, "ok"},
		{"GET", "/metrics", 200, 404, "metrics"},
		{"POST", "/codec/decode", 200, 404, "codec"},
		{"POST", "/codec/encode", 200, 404, "codec"},
		{"OPTIONS", "/codec/decode", 200, 404, "codec"},
		{"GET", "/codec/decode", 405, 404, ""},
		{"GET", "/u/token", 404, 404, ""},
		{"POST", "/webhooks/sendgrid", 404, 404, ""},
	} {
		for _, h := range []struct {
			name    string
			handler http.Handler
			want    int
		}{{"full", full, tc.full}, {"bare", bare, tc.bare}} {
			rec := httptest.NewRecorder()
			h.handler.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}")))
			require.Equal(t, h.want, rec.Code, "%s %s on the %s operator handler", tc.method, tc.path, h.name)
			if h.name == "full" && tc.fullBodyPrefix != "" {
				require.True(t, strings.HasPrefix(rec.Body.String(), tc.fullBodyPrefix), "%s %s: %q", tc.method, tc.path, rec.Body.String())
			}
		}
	}
}
