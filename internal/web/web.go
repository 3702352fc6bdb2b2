// Package web serves the pages Tailor's emails link to: one-click unsubscribe (RFC 8058), the
// preference page, "yes, I'm interested" in an offer and the one-click answers to "is it what you
// hoped for?". Every link is a signed, expiring token
// (internal/links); a page acts only on a genuine, unexpired token of its own purpose.
//
// Contract:
//   - GET never changes anything (mail scanners follow links); POST acts. The interest and
//     check-in pages therefore show one button that POSTs to the same link.
//   - POST /u/{token} answers 200 without a redirect and needs no cookies (RFC 8058): it withdraws
//     consent through the event layer (internal/events), which owes the workflow a consent signal
//     in the same transaction, so no marketing mail goes out even if the workflow cannot be
//     reached; then it delivers the signal. A signal that fails stays owed and the worker delivers
//     it (events.Service.RelayEvery), so the customer is unsubscribed either way. Repeating it is
//     harmless. POST /p/{token} likewise owes the preferences signal (with the customer's choice
//     to stop the shop's learning, stored in the same transaction) before it answers "saved".
//   - The preference page shows everything PostgreSQL holds about the customer, and the usage only
//     the workflow holds; without an answer from the workflow it says the usage cannot be read now.
//   - A tampered, foreign, malformed or wrong-page token gets 400, an expired one 410, an unknown
//     customer 404; none of them reaches the store's writes or the workflow.
//   - An interest or check-in the workflow refuses (lifecycleclient.ErrRefused) gets 409: asking
//     again cannot help. Only errors that may pass (Temporal unreachable, a timeout) get 503.
//   - Tokens are credentials: they are never logged.
package web

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// Limits of what a form may carry.
const (
	maxFormBytes = 64 << 10
	maxItemRunes = 40 // one colour, size or category
	maxItems     = 30 // per list
)

// How long a page waits for the workflow before it tells the customer to try again.
const (
	signalTimeout     = 10 * time.Second
	statusTimeout     = 3 * time.Second // the preference page reads the workflow; it shows without it
	interestedTimeout = 20 * time.Second
	checkinTimeout    = 20 * time.Second
)

// ConsentSource is recorded with the withdrawn consent.
const ConsentSource = "unsubscribe-link"

// Verifier checks link tokens; *links.Signer is one.
type Verifier interface {
	Verify(purpose links.Purpose, token string) (links.Claims, error)
}

// Customers is the part of the store the pages read; *store.DB is one.
type Customers interface {
	// Customer and Preferences return an error wrapping lifecycle.ErrNotFound for an unknown id.
	Customer(ctx context.Context, id string) (lifecycle.Customer, error)
	// Held is what PostgreSQL holds about the customer, for the preference page; an unknown id
	// wraps lifecycle.ErrNotFound.
	Held(ctx context.Context, id string) (store.Held, error)
	// CatalogueChoices are the catalogue's colours, sizes and categories, offered to tick.
	CatalogueChoices(ctx context.Context) (lifecycle.Preferences, error)
}

// Events records what the customer did on a page and the signal it owes their workflow, in one
// transaction, then delivers it (a delivery that fails stays owed, in Result.DeliveryError);
// *events.Service is one.
type Events interface {
	Consent(ctx context.Context, c events.Consent) (events.Result, error)
	Preferences(ctx context.Context, p events.Preferences) (events.Result, error)
}

// Lifecycle asks the customers' workflows; *lifecycleclient.Client is one.
type Lifecycle interface {
	// Interested returns an error wrapping lifecycleclient.ErrNoWorkflow when the customer has no
	// running workflow.
	Interested(ctx context.Context, customerID string, req workflows.InterestedRequest) (workflows.InterestedResult, error)
	// Checkin records a check-in answer; like Interested, it returns an error wrapping
	// lifecycleclient.ErrNoWorkflow when the customer has no running workflow.
	Checkin(ctx context.Context, customerID string, a workflows.CheckinAnswer) (workflows.CheckinResult, error)
	// Status is the workflow's snapshot; the page reads the chosen kinds and the pause from it.
	Status(ctx context.Context, customerID string) (workflows.Status, error)
}

// Deps is what the pages need.
type Deps struct {
	Links     Verifier
	Customers Customers
	Events    Events
	Lifecycle Lifecycle
	Logger    *slog.Logger // nil: discard
	// Vocabulary holds the shop's labels for its categories and kinds of follow-up, per locale
	// (the policy's vocabulary.labels); empty: the general ones.
	Vocabulary lifecycle.Vocabulary
	// Routes are more handlers served by the same server, by http.ServeMux pattern, e.g.
	// "POST /webhooks/sendgrid". A pattern that conflicts with the pages panics in New.
	Routes map[string]http.Handler
}

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

type server struct {
	Deps
}

// New returns the handler serving the pages, GET /healthz and d.Routes.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Deps: d}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /u/{token}", s.unsubscribePage)
	mux.HandleFunc("POST /u/{token}", s.unsubscribe)
	mux.HandleFunc("GET /p/{token}", s.preferencesPage)
	mux.HandleFunc("POST /p/{token}", s.savePreferences)
	mux.HandleFunc("GET /i/{token}", s.interestedPage)
	mux.HandleFunc("POST /i/{token}", s.interested)
	mux.HandleFunc("GET /c/{token}", s.checkinPage)
	mux.HandleFunc("POST /c/{token}", s.checkin)
	for pattern, h := range d.Routes {
		mux.Handle(pattern, h)
	}
	return securityHeaders(mux)
}

// securityHeaders: pages hold credentials in their URL and personal data in their body, so they
// are never cached, never leak the URL as a referrer, and load nothing from elsewhere.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// view is what every template gets; each page uses its part.
type view struct {
	language
	Title      string
	Paragraphs []string // message

	Email   string // masked
	Name    string
	Consent bool
	Done    bool // unsubscribe

	Form     preferencesForm
	Held     heldView // what the shop holds, on the preference page
	Saved    bool
	Notice   string // what a remove button did
	Problems []string
	Failed   bool

	Answer   string // interested, checkin
	Accepted bool

	Happy bool // checkin: the answer the link gives
}

// render shows page name in v's language (the template "<name>.<locale>").
func (s *server) render(w http.ResponseWriter, status int, name string, v view) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name+"."+v.Lang, v); err != nil {
		s.Logger.Error("render page", "page", name, "error", err.Error())
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the customer went away; nothing to do
}

func (s *server) message(w http.ResponseWriter, status int, l language, m message) {
	s.render(w, status, "message", view{language: l, Title: m.Title, Paragraphs: m.Paragraphs})
}

func (s *server) tryAgain(w http.ResponseWriter, l language) {
	s.message(w, http.StatusServiceUnavailable, l, l.TryAgain)
}

// claims verifies the token in the path for purpose, or answers the request and returns false.
func (s *server) claims(w http.ResponseWriter, r *http.Request, purpose links.Purpose) (links.Claims, bool) {
	c, err := s.Links.Verify(purpose, r.PathValue("token"))
	if err == nil {
		return c, true
	}
	s.Logger.Info("link refused", "purpose", string(purpose), "customer_id", c.CustomerID, "reason", err.Error())
	// A refused link names no customer we may trust: the browser's language.
	l := s.requestLanguage(r)
	if errors.Is(err, links.ErrExpired) {
		s.message(w, http.StatusGone, l, l.Expired)
		return links.Claims{}, false
	}
	s.message(w, http.StatusBadRequest, l, l.Invalid)
	return links.Claims{}, false
}

// customer loads the customer of a genuine link, or answers the request and returns false.
// claimedCustomer verifies the link's token for purpose and loads the customer it names; when
// either fails it has answered the request already.
func (s *server) claimedCustomer(w http.ResponseWriter, r *http.Request, purpose links.Purpose) (links.Claims, lifecycle.Customer, bool) {
	claims, ok := s.claims(w, r, purpose)
	if !ok {
		return links.Claims{}, lifecycle.Customer{}, false
	}
	c, ok := s.customer(w, r, claims.CustomerID)
	return claims, c, ok
}

func (s *server) customer(w http.ResponseWriter, r *http.Request, id string) (lifecycle.Customer, bool) {
	c, err := s.Customers.Customer(r.Context(), id)
	if err != nil {
		s.storeFailed(w, s.requestLanguage(r), id, err)
		return lifecycle.Customer{}, false
	}
	return c, true
}

func (s *server) storeFailed(w http.ResponseWriter, l language, customerID string, err error) {
	if errors.Is(err, lifecycle.ErrNotFound) {
		s.Logger.Info("link of an unknown customer", "customer_id", customerID)
		s.message(w, http.StatusNotFound, l, l.UnknownCustomer)
		return
	}
	s.Logger.Error("customer store failed", "customer_id", customerID, "error", err.Error())
	s.tryAgain(w, l)
}

// --- unsubscribe ---

func (s *server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	_, c, ok := s.claimedCustomer(w, r, links.PurposeUnsubscribe)
	if !ok {
		return
	}
	l := s.customerLanguage(r, c)
	s.render(w, http.StatusOK, "unsubscribe", view{language: l, Title: l.Unsubscribe, Email: maskEmail(c.Email), Consent: c.MarketingConsent})
}

// unsubscribe is the RFC 8058 one-click POST, also used by the confirmation page's button.
func (s *server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.claims(w, r, links.PurposeUnsubscribe)
	if !ok {
		return
	}
	// The body is List-Unsubscribe=One-Click from a mail provider or from our page; the signed
	// link alone is the authority, so a body that does not parse does not stop the unsubscribe.
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	oneClick := r.PostFormValue("List-Unsubscribe") == "One-Click"

	id := claims.CustomerID
	// The store first: the send activity checks consent there, so mail stops even if the signal
	// below fails; and the signal is owed from the same transaction on, so it is not lost.
	ctx, cancel := context.WithTimeout(r.Context(), signalTimeout)
	defer cancel()
	res, err := s.Events.Consent(ctx, events.Consent{CustomerID: id, Granted: false, Source: ConsentSource})
	if err != nil {
		s.storeFailed(w, s.requestLanguage(r), id, err)
		return
	}
	if res.DeliveryError != nil {
		s.Logger.Warn("unsubscribe recorded; its signal stays owed and the worker delivers it", "customer_id", id, "error", res.DeliveryError.Error())
	}
	s.Logger.Info("unsubscribed", "customer_id", id, "one_click", oneClick)
	s.render(w, http.StatusOK, "unsubscribe", view{language: s.unsubscribedLanguage(r, id), Done: true})
}

// unsubscribedLanguage is the language of the page after an unsubscribe: the customer's, read
// after the unsubscribe is recorded so that a failing read cannot stop it; the browser's when
// the read fails.
func (s *server) unsubscribedLanguage(r *http.Request, id string) language {
	l := s.requestLanguage(r)
	if c, err := s.Customers.Customer(r.Context(), id); err == nil {
		l = s.customerLanguage(r, c)
	}
	return l
}

// --- interested ---

func (s *server) interestedPage(w http.ResponseWriter, r *http.Request) {
	_, c, ok := s.claimedCustomer(w, r, links.PurposeInterested)
	if !ok {
		return
	}
	l := s.customerLanguage(r, c)
	s.render(w, http.StatusOK, "interested", view{language: l, Title: l.Interested, Name: firstName(c.Name)})
}

func (s *server) interested(w http.ResponseWriter, r *http.Request) {
	claims, c, ok := s.claimedCustomer(w, r, links.PurposeInterested)
	if !ok {
		return
	}
	l := s.customerLanguage(r, c)
	ctx, cancel := context.WithTimeout(r.Context(), interestedTimeout)
	defer cancel()
	res, err := s.Lifecycle.Interested(ctx, c.ID, workflows.InterestedRequest{OfferKey: claims.OfferKey})
	switch {
	case errors.Is(err, lifecycleclient.ErrNoWorkflow):
		s.Logger.Info("interest in an offer without a workflow", "customer_id", c.ID, "offer", claims.OfferKey)
		s.message(w, http.StatusNotFound, l, l.OfferClosed)
		return
	case errors.Is(err, lifecycleclient.ErrRefused):
		// The workflow answered: it does not hold this offer (any more). Trying again cannot help.
		s.Logger.Info("interest refused by the workflow", "customer_id", c.ID, "offer", claims.OfferKey, "error", err.Error())
		s.render(w, http.StatusConflict, "interested", view{language: l, Title: l.Interested, Answer: l.OfferNoLonger})
		return
	case err != nil:
		s.Logger.Error("interest not recorded", "customer_id", c.ID, "offer", claims.OfferKey, "error", err.Error())
		s.tryAgain(w, l)
		return
	}
	status, answer := http.StatusOK, l.answer(res.Message)
	switch {
	case !res.Accepted && !res.AlreadyAccepted:
		status = http.StatusConflict
		answer = cmp.Or(answer, l.OfferNoLonger)
	case res.AlreadyAccepted:
		answer = cmp.Or(answer, l.OfferThanksAgain)
	default:
		answer = cmp.Or(answer, l.OfferThanks)
	}
	s.Logger.Info("interest answered", "customer_id", c.ID, "offer", claims.OfferKey,
		"accepted", res.Accepted, "already_accepted", res.AlreadyAccepted)
	s.render(w, status, "interested", view{language: l, Title: l.Interested, Answer: answer, Accepted: status == http.StatusOK})
}

// --- checkin ---

func (s *server) checkinPage(w http.ResponseWriter, r *http.Request) {
	claims, c, ok := s.claimedCustomer(w, r, links.PurposeCheckin)
	if !ok {
		return
	}
	l := s.customerLanguage(r, c)
	s.render(w, http.StatusOK, "checkin", view{language: l, Title: l.Checkin, Name: firstName(c.Name), Happy: claims.Happy})
}

func (s *server) checkin(w http.ResponseWriter, r *http.Request) {
	claims, c, ok := s.claimedCustomer(w, r, links.PurposeCheckin)
	if !ok {
		return
	}
	l := s.customerLanguage(r, c)
	ctx, cancel := context.WithTimeout(r.Context(), checkinTimeout)
	defer cancel()
	res, err := s.Lifecycle.Checkin(ctx, c.ID, workflows.CheckinAnswer{CheckinKey: claims.CheckinKey, Happy: claims.Happy})
	switch {
	case errors.Is(err, lifecycleclient.ErrNoWorkflow):
		s.Logger.Info("check-in answer without a workflow", "customer_id", c.ID, "checkin", claims.CheckinKey)
		s.message(w, http.StatusNotFound, l, l.QuestionClosed)
		return
	case errors.Is(err, lifecycleclient.ErrRefused):
		s.Logger.Info("check-in answer refused by the workflow", "customer_id", c.ID, "checkin", claims.CheckinKey, "error", err.Error())
		s.message(w, http.StatusConflict, l, l.QuestionRefused)
		return
	case err != nil:
		s.Logger.Error("check-in answer not recorded", "customer_id", c.ID, "checkin", claims.CheckinKey, "error", err.Error())
		s.tryAgain(w, l)
		return
	}
	answer := l.answer(res.Message)
	switch {
	case answer != "":
	case res.AlreadyAnswered:
		answer = l.CheckinAgain
	case claims.Happy:
		answer = l.CheckinHappy
	default:
		answer = l.CheckinUnhappy
	}
	s.Logger.Info("check-in answered", "customer_id", c.ID, "checkin", claims.CheckinKey,
		"happy", claims.Happy, "already_answered", res.AlreadyAnswered)
	s.render(w, http.StatusOK, "checkin", view{language: l, Title: l.Checkin, Answer: answer, Accepted: true})
}

// maskEmail shows enough of an address for its owner to recognise it: a***@example.com,
// j***@bücher.example.
func maskEmail(email string) string { return lifecycle.MaskEmail(email) }

// firstName is the name a page addresses the customer by; empty without one, and the page then
// leaves the address out.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}
