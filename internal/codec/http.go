package codec

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// DefaultCORSOrigin is the Temporal UI of `temporal server start-dev`.
const DefaultCORSOrigin = "http://localhost:8233"

// maxRequestBytes bounds a request to the endpoint: the UI sends one event's payloads at a time.
const maxRequestBytes = 4 << 20

// HandlerOptions guard the codec endpoint.
type HandlerOptions struct {
	// AuthToken, when set, is required as "Authorization: Bearer <token>" on every POST.
	AuthToken string
	// CORSOrigin is the one browser origin allowed to call the endpoint (the Temporal UI);
	// empty means DefaultCORSOrigin.
	CORSOrigin string
}

// Handler serves POST .../encode and POST .../decode (the Temporal remote codec protocol: a
// JSON Payloads message in, the same out) and their CORS preflights. Anyone who passes its
// guard can read every payload, so serve it only where operators, not customers, reach it.
func Handler(c *Codec, opts HandlerOptions) http.Handler {
	origin := opts.CORSOrigin
	if origin == "" {
		origin = DefaultCORSOrigin
	}
	codec := converter.NewPayloadCodecHTTPHandler(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.Header.Get("Origin") == origin {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			// A preflight carries no credentials: answer it without the token.
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if opts.AuthToken != "" && !bearer(r, opts.AuthToken) {
			h.Set("WWW-Authenticate", `Bearer realm="tailor-codec"`)
			http.Error(w, "the codec endpoint needs Authorization: Bearer <CODEC_AUTH_TOKEN>", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		codec.ServeHTTP(w, r)
	})
}

func bearer(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
