package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/store"
)

// Paths the API serves.
const (
	EventsPath  = "/api/v1/events"
	OpenAPIPath = "/api/v1/openapi.json"
	// Prefix is what the worker mounts: every path under it needs a token, known or not.
	Prefix = "/api/v1/"
)

const (
	// MaxBodyBytes bounds one batch: 500 events of about 4 kB.
	MaxBodyBytes = 2 << 20
	// DefaultMaxConcurrent is how many batches are handled at once unless Config says otherwise.
	DefaultMaxConcurrent = 8
	// claimLease is how long an event stays claimed by a request applying it: longer than the
	// worker's write timeout, so only a request that died loses its claim.
	claimLease = 2 * time.Minute
	// retryAfterSeconds is the Retry-After of a 503.
	retryAfterSeconds = "5"
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI 3 document served at OpenAPIPath.
func OpenAPIDocument() []byte { return bytes.Clone(openAPIDocument) }

// Ledger keeps each applied event's result by event id; *store.DB implements it.
type Ledger interface {
	ClaimAPIEvent(ctx context.Context, eventID, eventType, customerID, fingerprint string, lease time.Duration) (store.APIEvent, error)
	FinishAPIEvent(ctx context.Context, eventID string, result []byte) error
	ReleaseAPIEvent(ctx context.Context, eventID string) error
}

// Config is the API's settings.
type Config struct {
	// Tokens are the bearer tokens accepted (several, to rotate one without downtime). Required.
	Tokens [][]byte
	// MaxConcurrent bounds the batches handled at once; 0 means DefaultMaxConcurrent.
	MaxConcurrent int
}

// Deps are the API's collaborators.
type Deps struct {
	Events Events
	Ledger Ledger
	Logger *slog.Logger
}

type handler struct {
	tokens [][sha256.Size]byte
	slots  chan struct{}
	deps   Deps
	mux    *http.ServeMux
}

// New returns the handler of every path under Prefix. It refuses a Config without tokens: the
// API is never served open.
func New(cfg Config, d Deps) (http.Handler, error) {
	if len(cfg.Tokens) == 0 {
		return nil, errors.New("api: no tokens: the API is served only with API_TOKENS")
	}
	if d.Events == nil || d.Ledger == nil {
		return nil, errors.New("api: Events and Ledger are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{deps: d, mux: http.NewServeMux()}
	for _, t := range cfg.Tokens {
		if len(t) == 0 {
			return nil, errors.New("api: an empty token")
		}
		h.tokens = append(h.tokens, sha256.Sum256(t))
	}
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = DefaultMaxConcurrent
	}
	h.slots = make(chan struct{}, n)
	h.mux.HandleFunc("POST "+EventsPath, h.events)
	h.mux.HandleFunc("GET "+OpenAPIPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPIDocument)
	})
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !h.authorized(r) {
		// No detail: a caller without a token learns nothing, not even which paths exist.
		w.Header().Set("WWW-Authenticate", `Bearer realm="tailor-api"`)
		writeError(w, http.StatusUnauthorized, "a valid bearer token is required (Authorization: Bearer <one of API_TOKENS>)")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// authorized compares the bearer token with every configured one in constant time: the hashes
// have one length, and every token is compared whether an earlier one matched or not.
func (h *handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	given := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for _, t := range h.tokens {
		match |= subtle.ConstantTimeCompare(given[:], t[:])
	}
	return match == 1
}

// Status of one event in an answer.
const (
	StatusApplied = "applied" // applied now or by an earlier request with the same id
	StatusInvalid = "invalid" // not applied: Problems say why; fix the event and send it again
	StatusFailed  = "failed"  // not applied for a reason that may pass: send the batch again
)

// Result is the answer for one event of a batch, in the batch's order.
type Result struct {
	Index    int       `json:"index"`
	ID       string    `json:"id,omitempty"`
	Type     string    `json:"type,omitempty"`
	Status   string    `json:"status"`
	Problems []Problem `json:"problems,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Response is the answer to a batch: 200 when every event is applied, 422 when any is invalid
// (the others are applied all the same), 503 when any failed and none is invalid.
type Response struct {
	Results []Result `json:"results"`
	Applied int      `json:"applied"`
	Invalid int      `json:"invalid"`
	Failed  int      `json:"failed"`
}

// batch is the request body.
type batch struct {
	Events []json.RawMessage `json:"events"`
}

func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		// Refused before the body is read: a flood costs no memory.
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeError(w, http.StatusServiceUnavailable, "too many batches at once, try again shortly")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "the body must be JSON (Content-Type: application/json)")
		return
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	var b batch
	if err := dec.Decode(&b); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes: send fewer events per batch", MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "the body must be a JSON object like {\"events\": [...]}: "+jsonProblem(err))
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "the body must hold one JSON object")
		return
	}
	switch {
	case b.Events == nil:
		writeError(w, http.StatusBadRequest, "events: required, an array of events")
		return
	case len(b.Events) > MaxEvents:
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("events: %d events, at most %d per batch", len(b.Events), MaxEvents))
		return
	}
	resp := Response{Results: make([]Result, len(b.Events))}
	var customers []string // of the events applied, in order: their signals are delivered below
	for i, raw := range b.Events {
		res, customerID := h.apply(r.Context(), i, raw)
		resp.Results[i] = res
		switch res.Status {
		case StatusApplied:
			resp.Applied++
			if customerID != "" {
				customers = append(customers, customerID)
			}
		case StatusInvalid:
			resp.Invalid++
		default:
			resp.Failed++
		}
	}
	// The events are applied one after another, in order; their signals are then delivered several
	// customers at once, each customer's in the order applied, before the answer, as when each
	// event delivered its own.
	if len(customers) > 0 {
		h.deps.Events.Deliver(r.Context(), customers)
	}
	status := http.StatusOK
	switch {
	case resp.Invalid > 0:
		status = http.StatusUnprocessableEntity
	case resp.Failed > 0:
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	writeJSON(w, status, resp)
}

// apply checks and applies the index'th event, at most once per event id, and returns its result
// and the customer it is about ("" for none, or when it was not applied).
func (h *handler) apply(ctx context.Context, index int, raw json.RawMessage) (Result, string) {
	e, problems := parseEvent(index, raw)
	if len(problems) > 0 {
		var id string
		var head struct{ ID any }
		if json.Unmarshal(raw, &head) == nil {
			id, _ = head.ID.(string)
		}
		return Result{Index: index, ID: short(id), Status: StatusInvalid, Problems: problems}, ""
	}
	res := Result{Index: index, ID: e.id, Type: e.typ}
	failed := func(err error, what string) Result {
		h.deps.Logger.Warn("api: event not applied, the caller may retry", "event_id", e.id, "type", e.typ, "step", what, "error", err.Error())
		res.Status, res.Error = StatusFailed, "not applied for now ("+what+"); send the batch again"
		return res
	}
	fp := e.fingerprint()
	claim, err := h.deps.Ledger.ClaimAPIEvent(ctx, e.id, e.typ, e.customerID(), fp, claimLease)
	if err != nil {
		return failed(err, "the database did not answer"), ""
	}
	if !claim.Claimed {
		switch {
		case claim.Fingerprint != fp:
			res.Status = StatusInvalid
			res.Problems = []Problem{{Path: fmt.Sprintf("events[%d].id", index), Problem: fmt.Sprintf("%q: already used for a different event; give each event its own id", e.id)}}
			return res, ""
		case claim.Result == nil:
			return failed(errors.New("claimed by another request"), "another request is applying this event"), ""
		}
		var stored Result
		if err := json.Unmarshal(claim.Result, &stored); err != nil {
			return failed(err, "the stored result does not decode"), ""
		}
		stored.Index = index
		return stored, e.customerID()
	}
	if err := h.dispatch(ctx, e); err != nil {
		if rerr := h.deps.Ledger.ReleaseAPIEvent(context.WithoutCancel(ctx), e.id); rerr != nil {
			h.deps.Logger.Warn("api: release event claim", "event_id", e.id, "error", rerr.Error())
		}
		var rejected *RejectedError
		if errors.As(err, &rejected) {
			res.Status = StatusInvalid
			res.Problems = []Problem{{Path: fmt.Sprintf("events[%d].%s", index, rejected.Field), Problem: rejected.Problem}}
			return res, ""
		}
		if errors.Is(err, ErrRejected) {
			res.Status = StatusInvalid
			res.Problems = []Problem{{Path: fmt.Sprintf("events[%d]", index), Problem: err.Error()}}
			return res, ""
		}
		return failed(err, "the event layer did not answer"), ""
	}
	res.Status = StatusApplied
	stored, _ := json.Marshal(Result{ID: res.ID, Type: res.Type, Status: res.Status})
	if err := h.deps.Ledger.FinishAPIEvent(context.WithoutCancel(ctx), e.id, stored); err != nil {
		// Applied, but not recorded: after the claim's lease a retry applies it again, and the
		// event layer's own keys (purchase ids, ...) keep that harmless.
		h.deps.Logger.Warn("api: event applied but its result was not stored", "event_id", e.id, "error", err.Error())
	}
	return res, e.customerID()
}

func (h *handler) dispatch(ctx context.Context, e event) error {
	switch v := e.value.(type) {
	case Order:
		return h.deps.Events.Order(ctx, v)
	case Stock:
		return h.deps.Events.Stock(ctx, v)
	case Usage:
		return h.deps.Events.Usage(ctx, v)
	case Customer:
		return h.deps.Events.Customer(ctx, v)
	case Consent:
		return h.deps.Events.Consent(ctx, v)
	}
	return fmt.Errorf("event %s: no handler for type %q", e.id, e.typ)
}

// jsonProblem says where a body stopped being the JSON expected, without echoing it.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "not valid JSON"
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
