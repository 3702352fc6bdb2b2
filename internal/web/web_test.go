package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/web"
	"github.com/tailorhq/tailor/workflows"
)

var (
	secret = []byte("web-test-secret-0123456789abcdef-0123")
	t0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

const base = "https://shop.example.com"

// calls records, in order, every effect the pages had.
type calls struct {
	mu  sync.Mutex
	log []string
}

func (c *calls) add(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, fmt.Sprintf(format, args...))
}

func (c *calls) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

type fakeCustomers struct {
	calls     *calls
	customers map[string]lifecycle.Customer
	prefs     map[string]lifecycle.Preferences
	fail      error                              // returned by SetConsent when set
	owed      map[string]lifecycle.ConsentChange // consent signals owed, as the store keeps them
	// held is the rest of what the store holds (purchases, notes, ...); the customer and the
	// preferences come from the maps above.
	held      map[string]store.Held
	catalogue lifecycle.Preferences // the catalogue's colours, sizes and categories
}

// fakeEvents is the event layer as the pages see it: the change in the store (fakeCustomers), then
// the signal, which stays owed when it fails.
type fakeEvents struct {
	customers *fakeCustomers
	lifecycle *fakeLifecycle
	fail      error // returned by Preferences when set: the store is down
	owedPrefs []workflows.PreferencesSignal
}

func (f *fakeEvents) Consent(ctx context.Context, c events.Consent) (events.Result, error) {
	if err := f.customers.SetConsent(ctx, c.CustomerID, c.Granted, c.Source); err != nil {
		return events.Result{}, err
	}
	res := events.Result{New: true}
	ch := f.customers.owed[c.CustomerID]
	if err := f.lifecycle.Signal(ctx, ch.CustomerID, workflows.SignalConsent, workflows.ConsentSignal{Granted: ch.Granted, Source: ch.Source, At: ch.At}); err != nil {
		res.DeliveryError = err
		return res, nil
	}
	delete(f.customers.owed, c.CustomerID)
	res.Delivered = true
	return res, nil
}

func (f *fakeEvents) Preferences(ctx context.Context, p events.Preferences) (events.Result, error) {
	if f.fail != nil {
		return events.Result{}, f.fail
	}
	// The event layer stores the learning choice with the signal, as store.SetLearningOwing does.
	h := f.customers.held[p.CustomerID]
	h.LearningStoppedAt = time.Time{}
	if p.Signal.StopLearning {
		h.LearningStoppedAt = t0
	}
	if f.customers.held == nil {
		f.customers.held = map[string]store.Held{}
	}
	f.customers.held[p.CustomerID] = h
	res := events.Result{New: true}
	if err := f.lifecycle.Signal(ctx, p.CustomerID, workflows.SignalPreferences, p.Signal); err != nil {
		f.owedPrefs = append(f.owedPrefs, p.Signal)
		res.DeliveryError = err
		return res, nil
	}
	res.Delivered = true
	return res, nil
}

func (f *fakeCustomers) Customer(_ context.Context, id string) (lifecycle.Customer, error) {
	c, ok := f.customers[id]
	if !ok {
		return lifecycle.Customer{}, fmt.Errorf("customer %s: %w", id, lifecycle.ErrNotFound)
	}
	return c, nil
}

func (f *fakeCustomers) Preferences(_ context.Context, id string) (lifecycle.Preferences, error) {
	if _, ok := f.customers[id]; !ok {
		return lifecycle.Preferences{}, fmt.Errorf("customer %s: %w", id, lifecycle.ErrNotFound)
	}
	return f.prefs[id], nil
}

func (f *fakeCustomers) Held(_ context.Context, id string) (store.Held, error) {
	c, ok := f.customers[id]
	if !ok {
		return store.Held{}, fmt.Errorf("customer %s: %w", id, lifecycle.ErrNotFound)
	}
	h := f.held[id]
	h.Customer, h.Preferences = c, f.prefs[id]
	return h, nil
}

func (f *fakeCustomers) CatalogueChoices(context.Context) (lifecycle.Preferences, error) {
	return f.catalogue, nil
}

func (f *fakeCustomers) SetConsent(_ context.Context, id string, consent bool, source string) error {
	if f.fail != nil {
		return f.fail
	}
	c, ok := f.customers[id]
	if !ok {
		return fmt.Errorf("customer %s: %w", id, lifecycle.ErrNotFound)
	}
	f.calls.add("SetConsent %s %t %s", id, consent, source)
	c.MarketingConsent = consent
	f.customers[id] = c
	if f.owed == nil {
		f.owed = map[string]lifecycle.ConsentChange{}
	}
	f.owed[id] = lifecycle.ConsentChange{CustomerID: id, Granted: consent, Source: source, At: t0}
	return nil
}

type fakeLifecycle struct {
	calls      *calls
	signals    []any
	signalErr  error
	failures   int // the first failures signals fail
	result     workflows.InterestedResult
	interested error
	requests   []workflows.InterestedRequest
	status     workflows.Status
	statusErr  error

	checkinResult workflows.CheckinResult
	checkinErr    error
	answers       []workflows.CheckinAnswer
}

func (f *fakeLifecycle) Status(_ context.Context, id string) (workflows.Status, error) {
	if f.statusErr != nil {
		return workflows.Status{}, f.statusErr
	}
	return f.status, nil
}

func (f *fakeLifecycle) Signal(_ context.Context, id, name string, payload any) error {
	if f.signalErr != nil {
		return f.signalErr
	}
	if f.failures > 0 {
		f.failures--
		return errors.New("frontend unavailable")
	}
	f.calls.add("Signal %s %s", id, name)
	f.signals = append(f.signals, payload)
	return nil
}

func (f *fakeLifecycle) Interested(_ context.Context, id string, req workflows.InterestedRequest) (workflows.InterestedResult, error) {
	if f.interested != nil {
		return workflows.InterestedResult{}, f.interested
	}
	f.calls.add("Interested %s %s", id, req.OfferKey)
	f.requests = append(f.requests, req)
	return f.result, nil
}

func (f *fakeLifecycle) Checkin(_ context.Context, id string, a workflows.CheckinAnswer) (workflows.CheckinResult, error) {
	if f.checkinErr != nil {
		return workflows.CheckinResult{}, f.checkinErr
	}
	f.calls.add("Checkin %s %s %t", id, a.CheckinKey, a.Happy)
	f.answers = append(f.answers, a)
	return f.checkinResult, nil
}

type bundle struct {
	srv       *httptest.Server
	signer    *links.Signer
	now       *time.Time
	calls     *calls
	customers *fakeCustomers
	lifecycle *fakeLifecycle
	events    *fakeEvents
}

func setup(t *testing.T) *bundle {
	t.Helper()
	now := t0
	signer, err := links.New(secret, base, 24*time.Hour, func() time.Time { return now })
	require.NoError(t, err)
	c := &calls{}
	b := &bundle{
		signer: signer,
		now:    &now,
		calls:  c,
		customers: &fakeCustomers{
			calls: c,
			customers: map[string]lifecycle.Customer{
				"c1": {ID: "c1", Name: "Ann de Vries", Email: "ann@example.com", MarketingConsent: true},
			},
			prefs: map[string]lifecycle.Preferences{
				"c1": {Colors: []string{"blue", "grey"}, Sizes: []string{"48"}, Categories: []string{"trousers"}},
			},
		},
		lifecycle: &fakeLifecycle{calls: c},
	}
	b.events = &fakeEvents{customers: b.customers, lifecycle: b.lifecycle}
	b.srv = httptest.NewServer(web.New(web.Deps{
		Links:     signer,
		Customers: b.customers,
		Events:    b.events,
		Lifecycle: b.lifecycle,
		Routes: map[string]http.Handler{
			"POST /webhooks/sendgrid": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		},
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// path turns a link made by the signer into a URL on the test server.
func (b *bundle) path(link string) string {
	return b.srv.URL + strings.TrimPrefix(link, base)
}

// noRedirects is a client without cookies that does not follow redirects, like a mail provider's.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, target string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, string(raw)}
}

func assertPageHeaders(t *testing.T, r response, what string) {
	t.Helper()
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"), what)
	assert.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"), what)
	assert.Empty(t, r.header.Get("Location"), "%s: never a redirect", what)
	assert.Empty(t, r.header.Get("Set-Cookie"), "%s: no cookies", what)
}

var oneClick = url.Values{"List-Unsubscribe": {"One-Click"}}

func TestHealthz(t *testing.T) {
	b := setup(t)
	r := do(t, http.MethodGet, b.srv.URL+"/healthz", nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "ok\n", r.body)
}

func TestExtraRoutesAreMounted(t *testing.T) {
	b := setup(t)
	r := do(t, http.MethodPost, b.srv.URL+"/webhooks/sendgrid", url.Values{})
	assert.Equal(t, http.StatusNoContent, r.status)
}

func TestUnsubscribeConfirmationPageChangesNothing(t *testing.T) {
	b := setup(t)
	r := do(t, http.MethodGet, b.path(b.signer.Unsubscribe("c1")), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assertPageHeaders(t, r, "GET /u/")
	assert.Contains(t, r.body, "Unsubscribe <strong>a***@example.com</strong> from all marketing mail?")
	assert.NotContains(t, r.body, "ann@example.com", "the address is masked")
	assert.Contains(t, r.body, `<form method="post">`)
	assert.Contains(t, r.body, `name="List-Unsubscribe" value="One-Click"`)
	assert.NotContains(t, r.body, "http://", "no external assets")
	assert.Empty(t, b.calls.all(), "GET must change nothing")
}

func TestOneClickUnsubscribe(t *testing.T) {
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
	}{
		{"RFC 8058 urlencoded", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"},
		{"RFC 8058 multipart", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--xyz--\r\n"},
		{"empty body", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			target := b.path(b.signer.Unsubscribe("c1"))
			for range 2 { // idempotent: the second POST answers the same
				req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(tc.body))
				require.NoError(t, err)
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				resp, err := noRedirects.Do(req)
				require.NoError(t, err)
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r := response{resp.StatusCode, resp.Header, string(raw)}
				require.Equal(t, http.StatusOK, r.status, r.body)
				assertPageHeaders(t, r, "POST /u/")
				assert.Contains(t, r.body, "You are unsubscribed")
			}
			assert.Equal(t, []string{
				"SetConsent c1 false unsubscribe-link", "Signal c1 consent",
				"SetConsent c1 false unsubscribe-link", "Signal c1 consent",
			}, b.calls.all(), "consent is withdrawn in the store before the workflow is signalled")
			assert.Equal(t, workflows.ConsentSignal{Granted: false, Source: web.ConsentSource, At: t0}, b.lifecycle.signals[0])
			assert.Empty(t, b.customers.owed, "nothing stays owed once delivered")
		})
	}
}

// The signal stays owed (the worker delivers it), and the store already stops the mail: the
// customer is unsubscribed, and told so.
func TestUnsubscribeWhenTheWorkflowCannotBeReached(t *testing.T) {
	b := setup(t)
	b.lifecycle.signalErr = errors.New("frontend down")
	r := do(t, http.MethodPost, b.path(b.signer.Unsubscribe("c1")), oneClick)
	assert.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "You are unsubscribed")
	assert.Equal(t, []string{"SetConsent c1 false unsubscribe-link"}, b.calls.all(), "the store already stops the mail")
	assert.Equal(t, map[string]lifecycle.ConsentChange{"c1": {CustomerID: "c1", Granted: false, Source: web.ConsentSource, At: t0}},
		b.customers.owed, "the signal stays owed")
}

// On the real store: a one-click unsubscribe whose signal fails leaves it owed, and the next click
// (or the worker's relay) delivers the first withdrawal, then the second, in order.
func TestUnsubscribeOwesTheSignalUntilDelivered(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes\nc1,Ann,ann@example.com,en,Europe/London,,\n"))
	require.NoError(t, err)
	signer, err := links.New(secret, base, 24*time.Hour, func() time.Time { return t0 })
	require.NoError(t, err)
	lc := &fakeLifecycle{calls: &calls{}, failures: 1}
	srv := httptest.NewServer(web.New(web.Deps{Links: signer, Customers: st, Events: events.New(st, lc, nil), Lifecycle: lc}))
	t.Cleanup(srv.Close)
	link := srv.URL + strings.TrimPrefix(signer.Unsubscribe("c1"), base)
	owed := func() int {
		n, _, err := st.OwedSignals(ctx)
		require.NoError(t, err)
		return n
	}

	r := do(t, http.MethodPost, link, oneClick)
	require.Equal(t, http.StatusOK, r.status, r.body)
	c, err := st.Customer(ctx, "c1")
	require.NoError(t, err)
	assert.False(t, c.MarketingConsent, "consent withdrawn in the store")
	assert.Empty(t, lc.signals, "the first signal failed")
	require.Equal(t, 1, owed(), "the failed signal stays owed")

	r = do(t, http.MethodPost, link, oneClick)
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Len(t, lc.signals, 2, "the owed withdrawal, then the second click's")
	sig, ok := lc.signals[0].(workflows.ConsentSignal)
	require.True(t, ok, "a consent signal, got %T", lc.signals[0])
	assert.False(t, sig.Granted)
	assert.Equal(t, web.ConsentSource, sig.Source)
	assert.Zero(t, owed(), "nothing owed once delivered")
}

func TestBadLinksChangeNothing(t *testing.T) {
	b := setup(t)
	foreignSigner, err := links.New([]byte("another-shop-secret-0123456789abcdef"), base, time.Hour, nil)
	require.NoError(t, err)
	unsub := b.signer.Unsubscribe("c1")
	tok := strings.TrimPrefix(unsub, base+"/u/")
	payload, sig, _ := strings.Cut(tok, ".")
	tampered := payload[:len(payload)-2] + flip(payload[len(payload)-2:len(payload)-1]) + payload[len(payload)-1:] + "." + sig

	type link struct {
		name   string
		path   string // under the server
		expire bool   // move the clock past the expiry first
		status int
		title  string
	}
	var cases []link
	for _, p := range []string{"u", "p", "i", "c"} {
		cases = append(cases,
			link{name: p + " tampered", path: "/" + p + "/" + tampered, status: http.StatusBadRequest, title: "This link is not valid"},
			link{name: p + " garbage", path: "/" + p + "/not-a-token", status: http.StatusBadRequest, title: "This link is not valid"},
		)
	}
	cases = append(cases,
		link{name: "foreign", path: strings.TrimPrefix(foreignSigner.Unsubscribe("c1"), base), status: http.StatusBadRequest, title: "This link is not valid"},
		link{name: "unsubscribe token on the preference page", path: "/p/" + tok, status: http.StatusBadRequest, title: "This link is not valid"},
		link{name: "preference token on the unsubscribe page", path: strings.Replace(strings.TrimPrefix(b.signer.Preferences("c1"), base), "/p/", "/u/", 1), status: http.StatusBadRequest, title: "This link is not valid"},
		link{name: "unsubscribe token as interest", path: "/i/" + tok, status: http.StatusBadRequest, title: "This link is not valid"},
		link{name: "interest token as check-in", path: strings.Replace(strings.TrimPrefix(b.signer.Interested("c1", "customer/c1/sale/s1"), base), "/i/", "/c/", 1), status: http.StatusBadRequest, title: "This link is not valid"},
		link{name: "check-in token as interest", path: strings.Replace(strings.TrimPrefix(b.signer.Checkin("c1", "customer/c1/checkin/p1", true), base), "/c/", "/i/", 1), status: http.StatusBadRequest, title: "This link is not valid"},
		link{name: "expired unsubscribe", path: "/u/" + tok, expire: true, status: http.StatusGone, title: "This link has expired"},
		link{name: "expired preferences", path: strings.TrimPrefix(b.signer.Preferences("c1"), base), expire: true, status: http.StatusGone, title: "This link has expired"},
		link{name: "expired interest", path: strings.TrimPrefix(b.signer.Interested("c1", "customer/c1/sale/s1"), base), expire: true, status: http.StatusGone, title: "This link has expired"},
		link{name: "expired check-in", path: strings.TrimPrefix(b.signer.Checkin("c1", "customer/c1/checkin/p1", false), base), expire: true, status: http.StatusGone, title: "This link has expired"},
	)
	for _, tc := range cases {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(tc.name+" "+method, func(t *testing.T) {
				*b.now = t0
				if tc.expire {
					*b.now = t0.Add(25 * time.Hour)
				}
				var form url.Values
				if method == http.MethodPost {
					form = url.Values{"List-Unsubscribe": {"One-Click"}, "colors": {"red"}, "kind": {"sale"}}
				}
				r := do(t, method, b.srv.URL+tc.path, form)
				assert.Equal(t, tc.status, r.status, "%s %s: %s", method, tc.path, r.body)
				assert.Contains(t, r.body, tc.title)
				assertPageHeaders(t, r, tc.name)
				if tc.expire {
					assert.Contains(t, r.body, "link to your preferences", "an expired link points to the preference page")
				}
				assert.Empty(t, b.calls.all(), "%s %s must change nothing", method, tc.path)
			})
		}
	}
}

func flip(s string) string {
	if s == "A" {
		return "B"
	}
	return "A"
}

func TestUnknownCustomer(t *testing.T) {
	b := setup(t)
	for _, link := range []string{b.signer.Unsubscribe("gone"), b.signer.Preferences("gone"), b.signer.Interested("gone", "customer/gone/sale/s1"), b.signer.Checkin("gone", "customer/gone/checkin/p1", true)} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := do(t, method, b.path(link), url.Values{"kind": {"sale"}})
			assert.Equal(t, http.StatusNotFound, r.status, "%s %s", method, link)
			assert.Contains(t, r.body, "We do not know this address any more")
		}
	}
	assert.Empty(t, b.calls.all())
}

func TestPreferencePageShowsTheWorkflowsChoices(t *testing.T) {
	b := setup(t)
	b.lifecycle.status = workflows.Status{Kinds: []lifecycle.Kind{lifecycle.KindRestock}, Paused: true}
	r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `name="kind" value="restock" checked`)
	assert.NotContains(t, r.body, `name="kind" value="sale" checked`)
	assert.Contains(t, r.body, `name="paused" value="on" checked`)
}

func TestPreferencePage(t *testing.T) {
	b := setup(t)
	b.customers.catalogue = lifecycle.Preferences{Colors: []string{"blue", "navy"}, Sizes: []string{"l", "50", "48", "m"}, Categories: []string{"shirts", "trousers"}}
	r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assertPageHeaders(t, r, "GET /p/")
	for _, want := range []string{
		// The catalogue's values and the customer's own ("grey" is not in the catalogue), theirs ticked.
		`name="color" value="blue" checked><span>blue</span>`,
		`name="color" value="grey" checked><span>grey</span>`,
		`name="color" value="navy"><span>navy</span>`,
		`name="category" value="shirts"><span>shirts</span>`,
		`name="category" value="trousers" checked><span>trousers</span>`,
		`<input type="text" id="colors" name="colors" value=""`,
		`name="kind" value="restock" checked`, `name="kind" value="sale" checked`, `name="kind" value="season" checked`,
		`name="paused" value="on">`,
		`name="stop_learning" value="on">`,
		`<button type="submit" id="save">Save</button>`,
		`form="prefs" name="remove" value="colors/grey" aria-label="Remove: grey">Remove</button>`,
	} {
		assert.Contains(t, r.body, want)
	}
	// Sizes as a size chart orders them: numbers, then letters from small to large.
	assert.Regexp(t, `(?s)value="48" checked.*value="50".*value="m"><span>M</span>.*value="l"`, r.body, "sizes in chart order")
	assert.NotContains(t, r.body, "Saved.")
	assert.Empty(t, b.calls.all())
}

func TestSavePreferences(t *testing.T) {
	b := setup(t)
	b.customers.catalogue = lifecycle.Preferences{Colors: []string{"grey", "navy"}}
	r := do(t, http.MethodPost, b.path(b.signer.Preferences("c1")), url.Values{
		"color":      {"navy", "Grey"},
		"colors":     {" Grey , teal\r\nGREY\n\n"},
		"size":       {"48"},
		"sizes":      {"50"},
		"categories": {""},
		"kind":       {"season", "restock"},
		"paused":     {"on"},
	})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "Saved.")
	assert.Contains(t, r.body, `name="color" value="teal" checked`, "a colour the catalogue does not have is kept, as a chip")
	assert.Contains(t, r.body, `name="color" value="navy" checked`)
	assert.Contains(t, r.body, `<input type="text" id="colors" name="colors" value=""`, "what was typed is a chip now")
	assert.Contains(t, r.body, `name="kind" value="restock" checked`)
	assert.Contains(t, r.body, `name="kind" value="sale">`)
	assert.Contains(t, r.body, `name="paused" value="on" checked`)
	assert.Equal(t, []string{"Signal c1 preferences"}, b.calls.all())
	assert.Equal(t, workflows.PreferencesSignal{
		Preferences: lifecycle.Preferences{Colors: []string{"grey", "navy", "teal"}, Sizes: []string{"48", "50"}, Categories: []string{}},
		Kinds:       []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSeason},
		Paused:      true,
	}, b.lifecycle.signals[0])
}

func TestPreferenceValidation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		form    url.Values
		problem string
	}{
		{"no kind and not paused", url.Values{"colors": {"blue"}}, "Choose at least one kind of email"},
		{"unknown kind", url.Values{"kind": {"sale", "spam"}}, "There is no kind of email called “spam”"},
		{"item too long", url.Values{"kind": {"sale"}, "colors": {strings.Repeat("x", 41)}}, "is longer than 40 characters"},
		{"control character", url.Values{"kind": {"sale"}, "sizes": {"4\x008"}}, "contains characters we cannot store"},
		{"line separator", url.Values{"kind": {"sale"}, "colors": {"blue\u2028grey"}}, "contains characters we cannot store"},
		{"ANSI escape", url.Values{"kind": {"sale"}, "colors": {"\x1b[31mred"}}, "contains characters we cannot store"},
		{"C1 control", url.Values{"kind": {"sale"}, "colors": {"r\u0085ed"}}, "contains characters we cannot store"},
		{"too many items", url.Values{"kind": {"sale"}, "categories": {strings.Repeat("a,b,c,d,e,f,g,h,i,j,", 4)}}, "at most 30 entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			r := do(t, http.MethodPost, b.path(b.signer.Preferences("c1")), tc.form)
			assert.Equal(t, http.StatusUnprocessableEntity, r.status, "form %v", tc.form)
			assert.Contains(t, r.body, "Nothing was saved")
			assert.Contains(t, r.body, tc.problem, "form %v", tc.form)
			assert.NotContains(t, r.body, "Saved.")
			assert.Empty(t, b.calls.all(), "form %v must not be signalled", tc.form)
		})
	}
}

// The workflow cannot be reached: the edit is recorded with its signal owed (the worker delivers
// it), so the page says saved. Only a store that fails gets 503, keeping what was typed.
func TestSavePreferencesWhenTheWorkflowCannotBeReached(t *testing.T) {
	b := setup(t)
	b.lifecycle.signalErr = errors.New("frontend down")
	r := do(t, http.MethodPost, b.path(b.signer.Preferences("c1")), url.Values{"kind": {"sale"}, "colors": {"Red"}})
	assert.Equal(t, http.StatusOK, r.status, r.body)
	require.Len(t, b.events.owedPrefs, 1, "the signal stays owed")
	assert.Equal(t, []string{"red"}, b.events.owedPrefs[0].Preferences.Colors)

	b.events.fail = errors.New("database down")
	r = do(t, http.MethodPost, b.path(b.signer.Preferences("c1")), url.Values{"kind": {"sale"}, "colors": {"Red"}})
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Contains(t, r.body, "We could not save this right now")
	assert.Contains(t, r.body, `name="colors" value="Red"`, "what the customer typed is kept")
}

func TestInterested(t *testing.T) {
	const offer = "customer/c1/sale/sale/trousers/20261201"
	for _, tc := range []struct {
		name    string
		result  workflows.InterestedResult
		err     error
		status  int
		message string
	}{
		{name: "accepted", result: workflows.InterestedResult{Accepted: true, Message: "We will bring the trousers on Friday."},
			status: http.StatusOK, message: "We will bring the trousers on Friday."},
		{name: "already accepted", result: workflows.InterestedResult{AlreadyAccepted: true, Message: "You told us already; see you Friday."},
			status: http.StatusOK, message: "You told us already; see you Friday."},
		{name: "not accepted", result: workflows.InterestedResult{Message: "This sale has ended."},
			status: http.StatusConflict, message: "This sale has ended."},
		{name: "no workflow", err: fmt.Errorf("record interest: %w", lifecycleclient.ErrNoWorkflow),
			status: http.StatusNotFound, message: "This offer is no longer open"},
		// What lifecycleclient returns when the workflow's validator rejects the offer key
		// (TestRefusedUpdateOnDevServer shows it on a real server).
		{name: "refused by the workflow", err: fmt.Errorf("record interest: %w (customer c1): %w", lifecycleclient.ErrRefused,
			temporal.NewApplicationError(`no offer "customer/c1/sale/sale/trousers/20261201" was sent to customer c1`, "")),
			status: http.StatusConflict, message: "This offer can no longer be accepted."},
		{name: "temporal down", err: context.DeadlineExceeded,
			status: http.StatusServiceUnavailable, message: "try the same link again"},
		{name: "temporal unavailable", err: serviceerror.NewUnavailable("frontend is restarting"),
			status: http.StatusServiceUnavailable, message: "try the same link again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			b.lifecycle.result, b.lifecycle.interested = tc.result, tc.err
			link := b.path(b.signer.Interested("c1", offer))

			page := do(t, http.MethodGet, link, nil)
			require.Equal(t, http.StatusOK, page.status, page.body)
			assertPageHeaders(t, page, "GET /i/")
			assert.Contains(t, page.body, "Yes, I'm interested")
			assert.Contains(t, page.body, "Ann")
			assert.Empty(t, b.calls.all(), "GET must change nothing")

			r := do(t, http.MethodPost, link, url.Values{})
			assert.Equal(t, tc.status, r.status, r.body)
			assert.Contains(t, r.body, tc.message)
			assertPageHeaders(t, r, "POST /i/")
			if tc.err == nil {
				assert.Equal(t, []workflows.InterestedRequest{{OfferKey: offer}}, b.lifecycle.requests)
			}
		})
	}
}

func TestCheckin(t *testing.T) {
	const key = "customer/c1/checkin/p1"
	for _, tc := range []struct {
		name    string
		happy   bool
		result  workflows.CheckinResult
		err     error
		status  int
		page    string // on the GET page
		message string // after the POST
	}{
		{name: "happy", happy: true, result: workflows.CheckinResult{Message: "Wonderful, enjoy them."},
			status: http.StatusOK, page: "yes, it is what I hoped for", message: "Wonderful, enjoy them."},
		{name: "unhappy", result: workflows.CheckinResult{Message: "Our service desk will call you tomorrow."},
			status: http.StatusOK, page: "no, not quite", message: "Our service desk will call you tomorrow."},
		{name: "unhappy without a message", status: http.StatusOK, page: "no, not quite", message: "Our service desk will get in touch"},
		{name: "already answered", happy: true, result: workflows.CheckinResult{AlreadyAnswered: true},
			status: http.StatusOK, page: "yes, it is what I hoped for", message: "Your first answer stands."},
		{name: "no workflow", happy: true, err: fmt.Errorf("record check-in: %w", lifecycleclient.ErrNoWorkflow),
			status: http.StatusNotFound, page: "yes, it is what I hoped for", message: "This question is no longer open"},
		{name: "refused by the workflow", happy: true, err: fmt.Errorf("record check-in: %w (customer c1): %w", lifecycleclient.ErrRefused,
			temporal.NewApplicationError(`no check-in "customer/c1/checkin/p1" was sent to customer c1`, "")),
			status: http.StatusConflict, page: "yes, it is what I hoped for", message: "This question is no longer open"},
		{name: "temporal down", err: context.DeadlineExceeded,
			status: http.StatusServiceUnavailable, page: "no, not quite", message: "try the same link again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			b.lifecycle.checkinResult, b.lifecycle.checkinErr = tc.result, tc.err
			link := b.path(b.signer.Checkin("c1", key, tc.happy))

			page := do(t, http.MethodGet, link, nil)
			require.Equal(t, http.StatusOK, page.status, page.body)
			assertPageHeaders(t, page, "GET /c/")
			assert.Contains(t, page.body, `<form method="post">`)
			assert.Contains(t, page.body, "Send my answer")
			assert.Contains(t, page.body, tc.page, "the page shows the answer of the link")
			assert.Contains(t, page.body, "Ann")
			assert.Empty(t, b.calls.all(), "GET must change nothing")

			r := do(t, http.MethodPost, link, url.Values{})
			assert.Equal(t, tc.status, r.status, r.body)
			assert.Contains(t, r.body, tc.message)
			assertPageHeaders(t, r, "POST /c/")
			if tc.err == nil {
				assert.Equal(t, []workflows.CheckinAnswer{{CheckinKey: key, Happy: tc.happy}}, b.lifecycle.answers)
			}
		})
	}
}
