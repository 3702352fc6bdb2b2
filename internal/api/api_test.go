package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

const (
	testToken  = "9f2c4e7a1b8d3f6059e1c7a24b6d8f03"
	otherToken = "c3a81f5e92d7b4066e1f8a3c5d2b9e71"
)

func newTestHandler(t testing.TB, ev Events, l Ledger, logger *slog.Logger) http.Handler {
	t.Helper()
	h, err := New(Config{Tokens: [][]byte{[]byte(testToken), []byte(otherToken)}}, Deps{Events: ev, Ledger: l, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func post(t testing.TB, h http.Handler, token, body string) (*httptest.ResponseRecorder, Response) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, EventsPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp Response
	if rec.Code != http.StatusUnauthorized && strings.Contains(rec.Body.String(), `"results"`) {
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer %q does not decode: %v", rec.Body.String(), err)
		}
	}
	return rec, resp
}

func TestNewRefusesNoTokens(t *testing.T) {
	for _, tokens := range [][][]byte{nil, {}, {[]byte("")}} {
		if _, err := New(Config{Tokens: tokens}, Deps{Events: &fakeEvents{}, Ledger: newMemLedger()}); err == nil {
			t.Errorf("New with tokens %q: no error, the API would be served open", tokens)
		}
	}
}

func TestEveryPathNeedsAToken(t *testing.T) {
	ev := &fakeEvents{}
	h := newTestHandler(t, ev, newMemLedger(), nil)
	body := `{"events":[{"id":"e1","type":"stock","sku":"S1","stock":3}]}`
	cases := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"events without a header", "POST", EventsPath, "", 401},
		{"events with a wrong token", "POST", EventsPath, "Bearer " + strings.Repeat("x", len(testToken)), 401},
		{"events with the token's prefix", "POST", EventsPath, "Bearer " + testToken[:20], 401},
		{"events with the token and more", "POST", EventsPath, "Bearer " + testToken + "0", 401},
		{"events with basic auth", "POST", EventsPath, "Basic " + testToken, 401},
		{"events with the scheme only", "POST", EventsPath, "Bearer ", 401},
		{"document without a header", "GET", OpenAPIPath, "", 401},
		{"unknown path without a header", "GET", Prefix + "nothing", "", 401},
		{"events with the first token", "POST", EventsPath, "Bearer " + testToken, 200},
		{"events with the second token", "POST", EventsPath, "bearer " + otherToken, 200},
		{"document with a token", "GET", OpenAPIPath, "Bearer " + testToken, 200},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(body))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, c.want, rec.Body)
		}
		if c.want == 401 && strings.Contains(rec.Body.String(), "openapi") {
			t.Errorf("%s: a caller without a token got the document", c.name)
		}
	}
	// Two authorized batches carried event e1: the first applied it, the second got its result.
	if got := ev.count(); got != 1 {
		t.Errorf("event e1 applied %d times, want once", got)
	}
}

func TestTokensNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ev := &fakeEvents{fail: func(any) error { return errors.New("temporal unreachable") }}
	h := newTestHandler(t, ev, newMemLedger(), logger)
	post(t, h, testToken, `{"events":[{"id":"e1","type":"stock","sku":"S1","stock":3}]}`)
	post(t, h, otherToken[:10]+"wrong", `{"events":[]}`)
	if logs.Len() == 0 {
		t.Fatal("nothing was logged: the test would not see a token in the log")
	}
	for _, tok := range []string{testToken, otherToken[:10]} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the log holds token %s...: %s", tok[:4], logs.String())
		}
	}
}

func TestInvalidEventsHaveFieldPaths(t *testing.T) {
	order := `{"id":"e-o","type":"order","order_id":"o1","customer_id":"c1","ordered_at":"2026-06-01T10:00:00Z","lines":[{"sku":"S1"}]}`
	with := func(old, new string) string { return strings.Replace(order, old, new, 1) }
	cases := []struct {
		name, event, path, problem string
	}{
		{"line without sku", with(`{"sku":"S1"}`, `{"price_cents":10}`), "events[3].lines[0].sku", "required"},
		{"second line bad sku", with(`[{"sku":"S1"}]`, `[{"sku":"S1"},{"sku":"a/b"}]`), "events[3].lines[1].sku", `must not contain "/"`},
		{"no lines", with(`[{"sku":"S1"}]`, `[]`), "events[3].lines", "at least 1"},
		{"time not RFC 3339", with(`2026-06-01T10:00:00Z`, `2026-06-01 10:00`), "events[3].ordered_at", "RFC 3339"},
		{"time out of range", with(`2026-06-01T10:00:00Z`, `1900-06-01T10:00:00Z`), "events[3].ordered_at", "out of range"},
		{"customer id with control character", with(`"c1"`, `"c\u00011"`), "events[3].customer_id", "control character"},
		{"customer id too long", with(`"c1"`, `"`+strings.Repeat("c", 129)+`"`), "events[3].customer_id", "at most 128"},
		{"order id too long for its lines", with(`"o1"`, `"`+strings.Repeat("o", 127)+`"`), "events[3].order_id", "too long"},
		{"negative price", with(`{"sku":"S1"}`, `{"sku":"S1","price_cents":-1}`), "events[3].lines[0].price_cents", "out of range"},
		{"fractional price", with(`{"sku":"S1"}`, `{"sku":"S1","price_cents":1.5}`), "events[3].lines[0].price_cents", "whole number"},
		{"price as string", with(`{"sku":"S1"}`, `{"sku":"S1","price_cents":"10"}`), "events[3].lines[0].price_cents", "must be a number"},
		{"wanted colour on two lines", with(`{"sku":"S1"}`, `{"sku":"S1","wanted_color":"blue\nred"}`), "events[3].lines[0].wanted_color", "one line"},
		{"unknown field", with(`"order_id"`, `"extra":1,"order_id"`), "events[3].extra", "unknown field"},
		{"unknown type", `{"id":"e","type":"refund"}`, "events[3].type", "unknown event type"},
		{"no type", `{"id":"e"}`, "events[3].type", "required"},
		{"not an object", `[1]`, "events[3]", "must be an object"},
		{"no id", `{"type":"stock","sku":"S1","stock":1}`, "events[3].id", "required"},
		{"stock negative", `{"id":"e","type":"stock","sku":"S1","stock":-1}`, "events[3].stock", "out of range"},
		{"stock over int32", `{"id":"e","type":"stock","sku":"S1","stock":2147483648}`, "events[3].stock", "out of range"},
		{"stock image_url relative", `{"id":"e","type":"stock","sku":"S1","stock":1,"image_url":"/img/s1.jpg"}`, "events[3].image_url", "must be an absolute URL"},
		{"stock url not http", `{"id":"e","type":"stock","sku":"S1","stock":1,"url":"javascript:alert(1)"}`, "events[3].url", "must be an absolute URL"},
		{"usage limit 0", `{"id":"e","type":"usage","customer_id":"c1","metric":"data_mb","used":1,"limit":0,"at":"2026-06-01T10:00:00Z"}`, "events[3].limit", "above 0"},
		{"usage huge", `{"id":"e","type":"usage","customer_id":"c1","metric":"data_mb","used":1e300,"limit":1,"at":"2026-06-01T10:00:00Z"}`, "events[3].used", "out of range"},
		{"usage bad date", `{"id":"e","type":"usage","customer_id":"c1","metric":"data_mb","used":1,"limit":2,"at":"2026-06-01T10:00:00Z","contract_ends":"31-01-2027"}`, "events[3].contract_ends", "not a date"},
		{"usage blank metric", `{"id":"e","type":"usage","customer_id":"c1","metric":"  ","used":1,"limit":2,"at":"2026-06-01T10:00:00Z"}`, "events[3].metric", "required"},
		{"customer bad email", `{"id":"e","type":"customer","customer_id":"c1","email":"Ann <ann@example.com>","locale":"en","timezone":"UTC"}`, "events[3].email", "not a valid address"},
		{"customer bad locale", `{"id":"e","type":"customer","customer_id":"c1","email":"ann@example.com","locale":"fr","timezone":"UTC"}`, "events[3].locale", "unknown locale"},
		{"customer bad zone", `{"id":"e","type":"customer","customer_id":"c1","email":"ann@example.com","locale":"en","timezone":"Mars/Olympus"}`, "events[3].timezone", "unknown time zone"},
		{"customer colour with semicolon", `{"id":"e","type":"customer","customer_id":"c1","email":"ann@example.com","locale":"en","timezone":"UTC","colors":["navy","red;blue"]}`, "events[3].colors[1]", `";"`},
		{"customer name too long", `{"id":"e","type":"customer","customer_id":"c1","email":"ann@example.com","locale":"en","timezone":"UTC","name":"` + strings.Repeat("n", 201) + `"}`, "events[3].name", "at most 200"},
		{"consent not bool", `{"id":"e","type":"consent","customer_id":"c1","granted":"yes"}`, "events[3].granted", "true or false"},
		{"consent invalid UTF-8 source", "{\"id\":\"e\",\"type\":\"consent\",\"customer_id\":\"c1\",\"granted\":true,\"source\":\"\xff\"}", "events[3]", "not valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := &fakeEvents{}
			h := newTestHandler(t, ev, newMemLedger(), nil)
			good := `{"id":"g%d","type":"stock","sku":"S1","stock":1}`
			body := fmt.Sprintf(`{"events":[`+good+`,`+good+`,`+good+`,%s,`+good+`]}`, 0, 1, 2, c.event, 4)
			rec, resp := post(t, h, testToken, body)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("event %s: status %d, want 422: %s", c.event, rec.Code, rec.Body)
			}
			if resp.Applied != 4 || resp.Invalid != 1 || ev.count() != 4 {
				t.Errorf("event %s: applied %d (fake saw %d), invalid %d; want the 4 valid events applied and 1 invalid", c.event, resp.Applied, ev.count(), resp.Invalid)
			}
			r := resp.Results[3]
			found := false
			for _, p := range r.Problems {
				if p.Path == c.path && strings.Contains(p.Problem, c.problem) {
					found = true
				}
			}
			if r.Status != StatusInvalid || !found {
				t.Errorf("event %s: result %+v, want status invalid with %s: ...%s...", c.event, r, c.path, c.problem)
			}
		})
	}
}

func TestRetriedBatchGetsTheSameResults(t *testing.T) {
	var failStock atomic.Bool
	failStock.Store(true)
	ev := &fakeEvents{fail: func(v any) error {
		switch v := v.(type) {
		case Stock:
			if failStock.Load() {
				return errors.New("temporal unreachable")
			}
		case Usage:
			if v.CustomerID == "ghost" {
				return &RejectedError{Field: "customer_id", Problem: `"ghost": no such customer, send a customer event first`}
			}
		}
		return nil
	}}
	h := newTestHandler(t, ev, newMemLedger(), nil)
	batch := `{"events":[
		{"id":"o1","type":"order","order_id":"1001","customer_id":"c1","ordered_at":"2026-06-01T12:00:00+02:00","lines":[{"sku":"S1"},{"sku":"S2","wanted_color":"blue"}]},
		{"id":"s1","type":"stock","sku":"S1","stock":5},
		{"id":"u1","type":"usage","customer_id":"ghost","metric":"data_mb","used":1,"limit":2,"at":"2026-06-01T10:00:00Z"}]}`

	rec, first := post(t, h, testToken, batch)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("first try: status %d, want 422 (one rejected event): %s", rec.Code, rec.Body)
	}
	wantStatus := []string{StatusApplied, StatusFailed, StatusInvalid}
	for i, r := range first.Results {
		if r.Status != wantStatus[i] {
			t.Errorf("first try, event %d: %+v, want %s", i, r, wantStatus[i])
		}
	}
	if p := first.Results[2].Problems; len(p) != 1 || p[0].Path != "events[2].customer_id" {
		t.Errorf("rejected event's problems %+v, want one at events[2].customer_id", p)
	}
	if got := ev.count(); got != 1 {
		t.Fatalf("after the first try %d events applied, want 1 (the order)", got)
	}
	o := ev.applied[0].(Order)
	if o.PurchaseID(1) != "1001-2" || o.OrderedAt.Location().String() != "UTC" || o.OrderedAt.Hour() != 10 {
		t.Errorf("order as applied: %+v, want purchase ids 1001-N and the time in UTC", o)
	}

	// The same batch, spaced and ordered differently: the order is not applied again.
	failStock.Store(false)
	again := strings.ReplaceAll(strings.Replace(batch, `"order_id":"1001","customer_id":"c1"`, `"customer_id": "c1", "order_id": "1001"`, 1), "12:00:00+02:00", "10:00:00Z")
	rec, second := post(t, h, testToken, again)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("retry: status %d, want 422: %s", rec.Code, rec.Body)
	}
	if !reflect.DeepEqual(second.Results[0], first.Results[0]) || second.Results[1].Status != StatusApplied ||
		!reflect.DeepEqual(second.Results[2], first.Results[2]) {
		t.Errorf("retry results %+v, want the order's and usage's as before (%+v) and the stock applied", second.Results, first.Results)
	}
	if got := ev.count(); got != 2 {
		t.Errorf("after the retry %d events applied, want 2 (the order once, the stock now)", got)
	}
	rec, third := post(t, h, testToken, again)
	if !reflect.DeepEqual(third, second) || ev.count() != 2 {
		t.Errorf("third try: %d %+v (applied %d), want exactly the second's results and nothing applied", rec.Code, third, ev.count())
	}

	// The same id with another event is refused, and nothing is applied.
	rec, reused := post(t, h, testToken, `{"events":[{"id":"s1","type":"stock","sku":"S1","stock":6}]}`)
	if rec.Code != http.StatusUnprocessableEntity || reused.Results[0].Problems[0].Path != "events[0].id" || ev.count() != 2 {
		t.Errorf("reused id: %d %+v, applied %d; want 422 at events[0].id and nothing applied", rec.Code, reused, ev.count())
	}
}

func TestFailedEventAnswers503(t *testing.T) {
	ev := &fakeEvents{fail: func(any) error { return errors.New("dial tcp 10.0.0.1:7233: connection refused") }}
	h := newTestHandler(t, ev, newMemLedger(), nil)
	rec, resp := post(t, h, testToken, `{"events":[{"id":"e1","type":"consent","customer_id":"c1","granted":true}]}`)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || resp.Failed != 1 {
		t.Fatalf("status %d, Retry-After %q, %+v; want 503 with Retry-After and one failed", rec.Code, rec.Header().Get("Retry-After"), resp)
	}
	if strings.Contains(rec.Body.String(), "10.0.0.1") {
		t.Errorf("the answer leaks the internal error: %s", rec.Body)
	}
}

func TestBodyLimits(t *testing.T) {
	h := newTestHandler(t, &fakeEvents{}, newMemLedger(), nil)
	ev := `{"id":"e%d","type":"stock","sku":"S1","stock":1}`
	many := make([]string, MaxEvents+1)
	for i := range many {
		many[i] = fmt.Sprintf(ev, i)
	}
	cases := []struct {
		name, body string
		want       int
	}{
		{"too many events", `{"events":[` + strings.Join(many, ",") + `]}`, 413},
		{"too many bytes", `{"events":[{"id":"` + strings.Repeat("x", MaxBodyBytes) + `"}]}`, 413},
		{"not JSON", `events: []`, 400},
		{"no events", `{}`, 400},
		{"unknown top-level field", `{"events":[],"dry_run":true}`, 400},
		{"two objects", `{"events":[]} {"events":[]}`, 400},
		{"empty batch", `{"events":[]}`, 200},
		{"most events", `{"events":[` + strings.Join(many[:MaxEvents], ",") + `]}`, 200},
	}
	for _, c := range cases {
		rec, _ := post(t, h, testToken, c.body)
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d: %.200s", c.name, rec.Code, c.want, rec.Body)
		}
	}
}

// countingReader counts reads of a request body.
type countingReader struct{ reads atomic.Int32 }

func (r *countingReader) Read(p []byte) (int, error) { r.reads.Add(1); return 0, io.EOF }

func TestConcurrencyBound(t *testing.T) {
	ev := &fakeEvents{block: make(chan struct{}), entered: make(chan struct{})}
	h, err := New(Config{Tokens: [][]byte{[]byte(testToken)}, MaxConcurrent: 2}, Deps{Events: ev, Ledger: newMemLedger()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 2)
	for i := range 2 {
		go func() {
			rec, _ := post(t, h, testToken, fmt.Sprintf(`{"events":[{"id":"e%d","type":"stock","sku":"S1","stock":1}]}`, i))
			done <- rec.Code
		}()
		<-ev.entered // the batch holds its slot
	}
	body := &countingReader{}
	req := httptest.NewRequest(http.MethodPost, EventsPath, body)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("third batch while 2 are handled: status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if n := body.reads.Load(); n != 0 {
		t.Errorf("the refused batch's body was read %d times, want 0", n)
	}
	close(ev.block)
	for range 2 {
		if code := <-done; code != 200 {
			t.Errorf("a held batch answered %d, want 200", code)
		}
	}
	// The slots are free again.
	if rec, _ := post(t, h, testToken, `{"events":[]}`); rec.Code != 200 {
		t.Errorf("after the held batches finished: status %d, want 200", rec.Code)
	}
}

// A batch's applied events are delivered once, after all are applied and before the answer, with
// their customers in the order applied; a stock count, an invalid event and a failed one add none.
func TestBatchDeliveredOnceAfterItsEvents(t *testing.T) {
	ev := &fakeEvents{fail: func(v any) error {
		if c, ok := v.(Consent); ok && c.CustomerID == "down" {
			return errors.New("postgres unreachable")
		}
		return nil
	}}
	h := newTestHandler(t, ev, newMemLedger(), nil)
	_, resp := post(t, h, testToken, `{"events":[
		{"id":"o1","type":"order","order_id":"1","customer_id":"c2","ordered_at":"2026-06-01T10:00:00Z","lines":[{"sku":"S1"}]},
		{"id":"s1","type":"stock","sku":"S1","stock":5},
		{"id":"o2","type":"order","order_id":"2","customer_id":"c1","ordered_at":"2026-06-01T10:00:00Z","lines":[{"sku":"S1"}]},
		{"id":"x1","type":"order","customer_id":"c3"},
		{"id":"k1","type":"consent","customer_id":"down","granted":false},
		{"id":"u1","type":"usage","customer_id":"c2","metric":"data_mb","used":1,"limit":2,"at":"2026-06-01T10:00:00Z"}]}`)
	if resp.Applied != 4 || resp.Invalid != 1 || resp.Failed != 1 {
		t.Fatalf("results %+v, want 4 applied, 1 invalid, 1 failed", resp)
	}
	want := [][]string{{"c2", "c1", "c2"}}
	if !reflect.DeepEqual(ev.told, want) {
		t.Errorf("Deliver called with %v, want %v", ev.told, want)
	}

	ev.told = nil
	post(t, h, testToken, `{"events":[{"id":"s2","type":"stock","sku":"S1","stock":4}]}`)
	if len(ev.told) != 0 {
		t.Errorf("a batch of a stock count only: Deliver called with %v, want no call", ev.told)
	}
}
