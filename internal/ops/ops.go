// Package ops serves what operators reach and customers must not: Prometheus metrics, the
// Temporal UI's remote codec and a health report that says what is wrong. The worker serves it on
// its own listener (OPS_ADDR), apart from the customers' pages (internal/web), so that nobody
// who can reach a page can reach these.
package ops

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// HealthCheck is one thing GET /healthz checks, e.g. that Temporal answers or that sending is
// not paused. Check returns nil when all is well, otherwise an error whose text tells an operator
// what is wrong ("paused since 14:02: SendGrid refused the API key").
type HealthCheck struct {
	Name  string
	Check func(context.Context) error
}

// healthTimeout bounds one GET /healthz: a check that hangs counts as failing.
const healthTimeout = 5 * time.Second

// Deps is what the operator endpoints serve; a nil handler is not mounted.
type Deps struct {
	// Metrics serves GET /metrics.
	Metrics http.Handler
	// Codec serves POST and OPTIONS /codec/encode and /codec/decode (internal/codec.Handler).
	Codec http.Handler
	// Checks are run, in order, by GET /healthz.
	Checks []HealthCheck
}

// New returns the handler of the operator listener.
func New(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", Health(d.Checks))
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics)
	}
	if d.Codec != nil {
		for _, pattern := range []string{"POST /codec/encode", "POST /codec/decode", "OPTIONS /codec/encode", "OPTIONS /codec/decode"} {
			mux.Handle(pattern, d.Codec)
		}
	}
	return mux
}

// Health answers 200 "ok" when every check passes, otherwise 503 with one line per failing
// check: "name: error".
func Health(checks []HealthCheck) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		var failing strings.Builder
		for _, c := range checks {
			if err := c.Check(ctx); err != nil {
				fmt.Fprintf(&failing, "%s: %s\n", c.Name, oneLine(err.Error()))
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if failing.Len() > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(failing.String()))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

// oneLine keeps a failing check to its line, whatever the error holds (errors.Join uses "\n").
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
