package codec

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
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
	// Logger receives why an encode or decode failed; the caller gets a message that names no
	// key id. Nil: discard.
	Logger *slog.Logger
}

// Errors the endpoint answers with, whatever went wrong: the detail (which key id a payload names,
// which ids are configured) stays in the worker's log.
var (
	errEndpointDecode = errors.New("the payloads cannot be decoded with this worker's keys; the worker's log says why")
	errEndpointEncode = errors.New("the payloads cannot be encoded; the worker's log says why")
)

// Handler serves POST .../encode and POST .../decode (the Temporal remote codec protocol: a
// JSON Payloads message in, the same out) and their CORS preflights. Anyone who passes its
// guard can read every payload, so serve it only where operators, not customers, reach it.
func Handler(c *Codec, opts HandlerOptions) http.Handler {
	origin := opts.CORSOrigin
	if origin == "" {
		origin = DefaultCORSOrigin
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Without the data key cache: a customer forgotten a moment ago is unreadable here at once.
	codec := converter.NewPayloadCodecHTTPHandler(quietCodec{codec: c.uncachedCopy(), logger: logger})
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

// quietCodec hides c's errors from the endpoint's caller, who may be anyone who reaches it: they
// name the configured key ids. It logs them instead.
type quietCodec struct {
	codec  converter.PayloadCodec
	logger *slog.Logger
}

func (q quietCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return q.quiet("encode", q.codec.Encode, payloads, errEndpointEncode)
}

func (q quietCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return q.quiet("decode", q.codec.Decode, payloads, errEndpointDecode)
}

// quiet runs step (what names it in the log) and answers hidden in place of its error.
func (q quietCodec) quiet(what string, step func([]*commonpb.Payload) ([]*commonpb.Payload, error), payloads []*commonpb.Payload, hidden error) ([]*commonpb.Payload, error) {
	out, err := step(payloads)
	if err != nil {
		q.logger.Warn("codec endpoint: "+what+" failed", "error", err.Error())
		return nil, hidden
	}
	return out, nil
}
