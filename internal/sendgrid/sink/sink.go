package sink

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxBodyBytes is SendGrid's limit on the size of one mail send request; larger bodies get 413.
const MaxBodyBytes = 30 << 20

// Message is one email the sink accepted.
type Message struct {
	Key        string    `json:"key"` // custom_args.idempotency_key
	CustomerID string    `json:"customer_id"`
	Kind       string    `json:"kind"`
	From       string    `json:"from"`
	To         string    `json:"to"` // addresses of all recipients, comma separated
	Subject    string    `json:"subject"`
	Text       string    `json:"text"`
	HTML       string    `json:"html"`
	MessageID  string    `json:"message_id"`
	ReceivedAt time.Time `json:"received_at"`
	// Headers are the request's mail headers, e.g. List-Unsubscribe and X-Tailor-Key; a
	// personalization's headers override the message's, as in SendGrid. Nil when there are none.
	Headers map[string]string `json:"headers,omitempty"`
}

// Sink is an http.Handler that behaves like SendGrid's mail send endpoint. The zero value is not
// usable; call New. All methods are safe for concurrent use.
type Sink struct {
	apiKey string
	mux    *http.ServeMux

	mu         sync.Mutex
	messages   []Message
	failLeft   int
	failStatus int
	failHeader http.Header
	delay      time.Duration
	refuseKey  bool
}

// New returns a sink that accepts requests authorized with apiKey.
func New(apiKey string) *Sink {
	s := &Sink{apiKey: apiKey, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v3/mail/send", s.mailSend)
	s.mux.HandleFunc("GET /messages", s.listMessages)
	s.mux.HandleFunc("DELETE /messages", s.deleteMessages)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Messages returns a copy of the accepted messages in arrival order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Reset forgets the accepted messages, pending failures, the delay and a refused key.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	s.failLeft, s.failStatus, s.failHeader = 0, 0, nil
	s.delay = 0
	s.refuseKey = false
}

// FailNext makes the next n authorized mail send requests fail with status and header (for
// example X-RateLimit-Reset with a 429) and a SendGrid-style error body, without storing them.
func (s *Sink) FailNext(n int, status int, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failStatus, s.failHeader = n, status, header.Clone()
}

// Delay makes every mail send request wait d before it is answered, until Delay(0) or Reset.
// A request whose context ends first (the client gave up) is not answered and not stored.
func (s *Sink) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// RefuseKey makes the sink answer every mail send request 401, as SendGrid does for a revoked or
// rotated API key, until RefuseKey(false) or Reset.
func (s *Sink) RefuseKey(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseKey = refuse
}

// Error is one entry of SendGrid's error body.
type Error struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

type errorBody struct {
	Errors []Error `json:"errors"`
}

// mailBody is the part of SendGrid's v3 mail send body the sink reads.
type mailBody struct {
	From             *address `json:"from"`
	Subject          string   `json:"subject"`
	TemplateID       string   `json:"template_id"`
	Personalizations []struct {
		To         []address         `json:"to"`
		Subject    string            `json:"subject"`
		CustomArgs map[string]string `json:"custom_args"`
		Headers    map[string]string `json:"headers"`
	} `json:"personalizations"`
	Content    []content         `json:"content"`
	CustomArgs map[string]string `json:"custom_args"`
	Headers    map[string]string `json:"headers"`
}

type content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type address struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

func (s *Sink) mailSend(w http.ResponseWriter, r *http.Request) {
	// Read the body before any delay: net/http notices a client that gave up (and cancels the
	// request context) only once the body has been consumed.
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeErrors(w, http.StatusRequestEntityTooLarge, nil, Error{Message: "Payload Too Large"})
		}
		return // otherwise the client went away mid-request
	}

	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	s.mu.Lock()
	refuse := s.refuseKey
	s.mu.Unlock()
	if refuse || r.Header.Get("Authorization") != "Bearer "+s.apiKey {
		writeErrors(w, http.StatusUnauthorized, nil, Error{Message: "The provided authorization grant is invalid, expired, or revoked"})
		return
	}

	if status, header, ok := s.takeFailure(); ok {
		writeErrors(w, status, header, Error{Message: strings.ToLower(http.StatusText(status))})
		return
	}

	var body mailBody
	if err := json.Unmarshal(raw, &body); err != nil {
		writeErrors(w, http.StatusBadRequest, nil, Error{Message: "The request body is not valid JSON: " + err.Error()})
		return
	}
	if errs := validate(body); len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, nil, errs...)
		return
	}

	m := message(body)
	m.MessageID = newMessageID()
	m.ReceivedAt = time.Now()
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()

	w.Header().Set("X-Message-Id", m.MessageID)
	w.WriteHeader(http.StatusAccepted)
}

func (s *Sink) takeFailure() (int, http.Header, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLeft <= 0 {
		return 0, nil, false
	}
	s.failLeft--
	return s.failStatus, s.failHeader, true
}

// validate checks what SendGrid checks at minimum, reporting every problem at once as SendGrid does.
func validate(b mailBody) []Error {
	var errs []Error
	if b.From == nil || b.From.Email == "" {
		errs = append(errs, Error{Field: "from.email", Message: "The from object must be provided for every email send. It is an object that requires the email parameter."})
	}
	if len(b.Personalizations) == 0 {
		errs = append(errs, Error{Field: "personalizations", Message: "The personalizations field is required and must have at least one personalization."})
	}
	everySubject := len(b.Personalizations) > 0
	for i, p := range b.Personalizations {
		if len(p.To) == 0 || slices.ContainsFunc(p.To, func(a address) bool { return a.Email == "" }) {
			errs = append(errs, Error{Field: "personalizations." + strconv.Itoa(i) + ".to", Message: "The to array is required for all personalization objects, and must have at least one email object with a valid email address."})
		}
		everySubject = everySubject && p.Subject != ""
	}
	if b.Subject == "" && !everySubject && b.TemplateID == "" {
		errs = append(errs, Error{Field: "subject", Message: "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined."})
	}
	hasContent := slices.ContainsFunc(b.Content, func(c content) bool { return c.Type != "" && c.Value != "" })
	if !hasContent && b.TemplateID == "" {
		errs = append(errs, Error{Field: "content", Message: "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block."})
	}
	return errs
}

func message(b mailBody) Message {
	args := maps.Clone(b.CustomArgs)
	if args == nil {
		args = map[string]string{}
	}
	p := b.Personalizations[0]
	maps.Copy(args, p.CustomArgs) // personalization args override the message's, as in SendGrid
	var to []string
	for _, p := range b.Personalizations {
		for _, a := range p.To {
			to = append(to, a.Email)
		}
	}
	var headers map[string]string
	if len(b.Headers)+len(p.Headers) > 0 {
		headers = maps.Clone(b.Headers)
		if headers == nil {
			headers = map[string]string{}
		}
		maps.Copy(headers, p.Headers)
	}
	subject := b.Subject
	if p.Subject != "" {
		subject = p.Subject
	}
	m := Message{
		Key:        args["idempotency_key"],
		CustomerID: args["customer_id"],
		Kind:       args["kind"],
		From:       b.From.Email,
		To:         strings.Join(to, ","),
		Subject:    subject,
		Headers:    headers,
	}
	for _, c := range b.Content {
		switch c.Type {
		case "text/plain":
			m.Text = c.Value
		case "text/html":
			m.HTML = c.Value
		}
	}
	return m
}

func (s *Sink) listMessages(w http.ResponseWriter, _ *http.Request) {
	msgs := s.Messages()
	if msgs == nil {
		msgs = []Message{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(msgs) // the client went away; nothing to do
}

func (s *Sink) deleteMessages(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.messages = nil
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func writeErrors(w http.ResponseWriter, status int, header http.Header, errs ...Error) {
	for k, v := range header {
		w.Header()[k] = slices.Clone(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Errors: errs}) // the client went away; nothing to do
}

// newMessageID returns a fresh random id; like SendGrid's, callers must treat it as opaque.
func newMessageID() string { return rand.Text() }
