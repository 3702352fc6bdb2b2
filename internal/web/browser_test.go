package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tailorhq/tailor/internal/browsertest"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// browserPage is one page a customer opens from a link in an email, and the form on it.
type browserPage struct {
	name string
	link func(b *bundle) string
	// first, when set, is done at phone width before fill: a click of its own that loads a page.
	first  func(t *testing.T, page *browsertest.Page, locale, what string, shoot func(string))
	fill   []chromedp.Action[chromedp.Void] // what the customer changes before clicking
	button map[string]string                // locale -> the submit button's text
	shows  map[string][]string              // locale -> what the page shows before the click
	done   map[string]string                // locale -> what it shows after
	calls  []string                         // what the click did to the store and the workflow
}

var browserPages = []browserPage{
	{
		name: "preferences",
		link: func(b *bundle) string { return b.signer.Preferences("c1") },
		// First remove a learned colour with its button (removeBlue), then, as a customer would:
		// tick a colour chip, type one the shop does not sell, stop learning and untick the
		// seasonal selection.
		first: removeBlue,
		fill: []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(`input[name="color"][value="navy"] + span`)),
			chromedp.SetValue(chromedp.CSS("#colors"), "teal"),
			chromedp.Click(chromedp.CSS(`input[name="stop_learning"]`)),
			chromedp.Click(chromedp.CSS(`input[name="kind"][value="season"]`)),
		},
		button: map[string]string{"en": "Save", "nl": "Bewaren"},
		shows: map[string][]string{
			"en": {"Your preferences", "Kinds of bundles", "Offers on my bundle", "A seasonal selection chosen for me",
				"Everything we hold about you", "blue learned from your purchase of Chino on 3 March 2026", "Loyal customer"},
			"nl": {"Uw voorkeuren", "Kleuren", "Soorten bundels", "Aanbiedingen op mijn bundel", "Nieuwe bundels voor mij gekozen",
				"Alles wat we over u bewaren", "blauw geleerd van uw aankoop van Chino op 3 maart 2026", "Trouwe klant"},
		},
		done:  map[string]string{"en": "Saved. Your tailor knows your wishes now.", "nl": "Bewaard. Uw kleermaker kent nu uw wensen."},
		calls: []string{"Signal c1 preferences", "Signal c1 preferences"},
	},
	{
		name:   "unsubscribe",
		link:   func(b *bundle) string { return b.signer.Unsubscribe("c1") },
		button: map[string]string{"en": "Unsubscribe", "nl": "Uitschrijven"},
		shows: map[string][]string{
			"en": {"Unsubscribe a***@example.com from all marketing mail?"},
			"nl": {"a***@example.com uitschrijven voor alle marketingmail?"},
		},
		done:  map[string]string{"en": "You are unsubscribed", "nl": "U bent uitgeschreven"},
		calls: []string{"SetConsent c1 false unsubscribe-link", "Signal c1 consent"},
	},
	{
		name:   "interested",
		link:   func(b *bundle) string { return b.signer.Interested("c1", "customer/c1/sale/s1") },
		button: map[string]string{"en": "Yes, I'm interested", "nl": "Ja, interesse"},
		shows: map[string][]string{
			"en": {"Shall we put some aside for you, Ann?"},
			"nl": {"Zullen we iets voor u opzij leggen, Ann?"},
		},
		done:  map[string]string{"en": "We noted your interest", "nl": "Dank u, uw kleermaker regelt het."},
		calls: []string{"Interested c1 customer/c1/sale/s1"},
	},
	{
		name:   "checkin",
		link:   func(b *bundle) string { return b.signer.Checkin("c1", "customer/c1/checkin/p1", true) },
		button: map[string]string{"en": "Send my answer", "nl": "Mijn antwoord versturen"},
		shows: map[string][]string{
			"en": {"Ann, your answer: yes, it is what I hoped for."},
			"nl": {"Ann, uw antwoord: ja, het is wat ik had gehoopt."},
		},
		done:  map[string]string{"en": "We are glad your purchase is what you hoped for.", "nl": "Dank u, dat horen we graag."},
		calls: []string{"Checkin c1 customer/c1/checkin/p1 true"},
	},
}

// The widths a page is looked at: a phone and a desktop.
const (
	phoneWidth   = 375
	desktopWidth = 1280
)

// TestPagesInABrowser opens every page from a real signed link in headless Chromium, for a
// customer in each language with a telecom shop's labels: the page is in the customer's language,
// the button says so, clicking it (at phone width) reaches the store and the workflow, the answer
// shows, nothing overflows a phone's width and nothing logs an error. An expired link speaks the
// browser's language. Screenshots at both widths are saved (TAILOR_SCREENSHOTS, else the test's
// temp dir) and logged.
func TestPagesInABrowser(t *testing.T) {
	browsertest.Path(t) // skip (by hand) or fail (scripts/test.sh) before starting anything
	// The screenshots go to TAILOR_SCREENSHOTS when set (to look at them after the run), else to
	// the test's temp dir.
	shots := os.Getenv("TAILOR_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatalf("screenshots folder TAILOR_SCREENSHOTS=%s: %v", shots, err)
	}
	for _, tc := range []struct {
		locale, accept, expired string
	}{
		{locale: lifecycle.LocaleDutch, accept: "nl-BE,nl;q=0.9,en;q=0.5", expired: "Deze link is verlopen"},
		{locale: lifecycle.LocaleEnglish, accept: "en-GB,en;q=0.9,nl;q=0.2", expired: "This link has expired"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			b := setupIn(t, tc.locale, telecomWords)
			heldFor(b, "c1")
			b.customers.catalogue = lifecycle.Preferences{
				Colors:     []string{"black", "blue", "green", "grey", "navy", "white"},
				Sizes:      []string{"46", "48", "50", "52", "s", "m", "l", "xl"},
				Categories: []string{"data-bundle", "shirts", "trousers"},
			}
			b.lifecycle.result = workflows.InterestedResult{Accepted: true, Message: "Thank you! We noted your interest in “Sale” and will be in touch shortly."}
			b.lifecycle.checkinResult = workflows.CheckinResult{Message: "Thank you! We are glad your purchase is what you hoped for."}
			page := browsertest.Open(t, b.srv.URL+"/healthz")
			logged := logErrors(t, page)
			shoot := func(name string) {
				t.Helper()
				for _, width := range []int64{phoneWidth, desktopWidth} {
					view(t, page, width)
					t.Logf("screenshot: %s", page.Screenshot(t, shots, fmt.Sprintf("%s-%s-%d.png", tc.locale, name, width)))
				}
			}

			for _, p := range browserPages {
				link := b.path(p.link(b))
				what := fmt.Sprintf("%s page in %s (%s)", p.name, tc.locale, link)
				before := len(b.calls.all())

				view(t, page, desktopWidth)
				resp, err := chromedp.RunResponse(page.Ctx, chromedp.Navigate(link))
				if err != nil {
					t.Fatalf("open the %s: %v", what, err)
				}
				if resp.Status != http.StatusOK {
					t.Fatalf("the %s answered %d, want 200", what, resp.Status)
				}
				checkLanguage(t, page, tc.locale, what)
				text := bodyText(t, page, what)
				for _, want := range p.shows[tc.locale] {
					if !strings.Contains(text, want) {
						t.Errorf("the %s does not show %q; it shows:\n%s", what, want, text)
					}
				}
				button, err := chromedp.Run(page.Ctx, chromedp.Text(chromedp.CSS(`form button[type="submit"]`)))
				if err != nil {
					t.Fatalf("read the button of the %s: %v", what, err)
				}
				if button != p.button[tc.locale] {
					t.Errorf("the button of the %s says %q, want %q", what, button, p.button[tc.locale])
				}
				if got := b.calls.all()[before:]; len(got) != 0 {
					t.Errorf("opening the %s changed something: %v", what, got)
				}
				shoot(p.name)

				// The customer fills in and clicks on a phone.
				view(t, page, phoneWidth)
				fitsThePhone(t, page, what)
				if p.first != nil {
					p.first(t, page, tc.locale, what, shoot)
				}
				if len(p.fill) > 0 {
					if err := chromedp.Do(page.Ctx, p.fill...); err != nil {
						t.Fatalf("fill in the %s: %v", what, err)
					}
				}
				resp, err = chromedp.RunResponse(page.Ctx, chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
				if err != nil {
					t.Fatalf("click %q on the %s: %v", p.button[tc.locale], what, err)
				}
				if resp.Status != http.StatusOK {
					t.Errorf("clicking %q on the %s answered %d, want 200", p.button[tc.locale], what, resp.Status)
				}
				checkLanguage(t, page, tc.locale, what+" after the click")
				if text := bodyText(t, page, what); !strings.Contains(text, p.done[tc.locale]) {
					t.Errorf("after clicking %q the %s does not show %q; it shows:\n%s", p.button[tc.locale], what, p.done[tc.locale], text)
				}
				if got := b.calls.all()[before:]; !slices.Equal(got, p.calls) {
					t.Errorf("clicking %q on the %s did %v, want %v", p.button[tc.locale], what, got, p.calls)
				}
				fitsThePhone(t, page, what+" after the click")
				shoot(p.name + "-done")
			}

			// What the preference form sent: blue removed by its button; then the chip and the
			// colour typed added, learning stopped and the seasonal selection unticked in the
			// browser, the rest as it was.
			want := []workflows.PreferencesSignal{{
				Preferences: lifecycle.Preferences{Colors: []string{"green", "grey"}, Sizes: []string{"48"}, Categories: []string{"trousers"}},
				Kinds:       []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSale, lifecycle.KindSeason},
			}, {
				Preferences:  lifecycle.Preferences{Colors: []string{"green", "grey", "navy", "teal"}, Sizes: []string{"48"}, Categories: []string{"trousers"}},
				Kinds:        []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSale},
				StopLearning: true,
			}}
			if len(b.lifecycle.signals) < 2 || fmt.Sprint(b.lifecycle.signals[:2]) != fmt.Sprint(want) {
				t.Errorf("the preference form in %s signalled %+v, want %+v first", tc.locale, b.lifecycle.signals, want)
			}
			if len(b.lifecycle.requests) != 1 || len(b.lifecycle.answers) != 1 || !b.lifecycle.answers[0].Happy {
				t.Errorf("in %s the workflow got interest %+v and check-in %+v, want one each (a happy check-in)", tc.locale, b.lifecycle.requests, b.lifecycle.answers)
			}

			// An expired link names no customer to ask: the browser's language decides.
			expired := b.path(b.signer.Preferences("c1")) // signed now, valid for 24 hours
			*b.now = t0.Add(25 * time.Hour)
			before := len(b.calls.all())
			err := chromedp.Do(page.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": tc.accept}})
				return err
			}))
			if err != nil {
				t.Fatalf("set Accept-Language %q: %v", tc.accept, err)
			}
			view(t, page, desktopWidth)
			resp, err := chromedp.RunResponse(page.Ctx, chromedp.Navigate(expired))
			if err != nil {
				t.Fatalf("open the expired link %s: %v", expired, err)
			}
			what := fmt.Sprintf("expired link with Accept-Language %q", tc.accept)
			if resp.Status != http.StatusGone {
				t.Errorf("the %s answered %d, want 410", what, resp.Status)
			}
			checkLanguage(t, page, tc.locale, what)
			if h1, err := chromedp.Run(page.Ctx, chromedp.Text(chromedp.CSS("h1"))); err != nil || h1 != tc.expired {
				t.Errorf("the %s is titled %q (%v), want %q", what, h1, err, tc.expired)
			}
			if got := b.calls.all()[before:]; len(got) != 0 {
				t.Errorf("the %s changed something: %v", what, got)
			}
			fitsThePhone(t, page, what)
			shoot("expired")

			// The expired page's 410 is the one error the browser may log: it is the answer.
			errs := page.Errors()
			for _, e := range logged.all() {
				if e.source == string(cdplog.EntrySourceNetwork) && e.url == expired && strings.Contains(e.text, "410") {
					continue
				}
				errs = append(errs, fmt.Sprintf("%s %s: %s", e.source, e.url, e.text))
			}
			if len(errs) > 0 {
				t.Errorf("the browser logged errors on the pages in %s: %v", tc.locale, errs)
			}
		})
	}
}

// removeBlue clicks the remove button of the colour blue, learned from a purchase, on the
// preference page: the page says it is removed and lists it no more.
func removeBlue(t *testing.T, page *browsertest.Page, locale, what string, shoot func(string)) {
	t.Helper()
	resp, err := chromedp.RunResponse(page.Ctx, chromedp.Click(chromedp.CSS(`button.remove[value="colors/blue"]`)))
	if err != nil {
		t.Fatalf("click the remove button of blue on the %s: %v", what, err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("removing blue on the %s answered %d, want 200", what, resp.Status)
	}
	removed := map[string]string{"en": "Removed: “blue”. We no longer use it.", "nl": "Verwijderd: “blauw”. We gebruiken het niet meer."}[locale]
	text := bodyText(t, page, what)
	if !strings.Contains(text, removed) {
		t.Errorf("after removing blue the %s does not show %q; it shows:\n%s", what, removed, text)
	}
	if n, err := chromedp.Run(page.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('button.remove[value="colors/blue"]').length`)); err != nil || n != 0 {
		t.Errorf("after removing blue the %s still lists it (%d remove buttons, %v)", what, n, err)
	}
	fitsThePhone(t, page, what+" after removing blue")
	shoot("preferences-removed")
}

// view sets the viewport to width, as a phone (with the viewport meta tag honoured) below desktop
// width.
func view(t *testing.T, page *browsertest.Page, width int64) {
	t.Helper()
	action := chromedp.EmulateViewport(width, 900)
	if width < desktopWidth {
		action = chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(page.Ctx, action); err != nil {
		t.Fatalf("set the viewport to %d px: %v", width, err)
	}
}

func checkLanguage(t *testing.T, page *browsertest.Page, locale, what string) {
	t.Helper()
	lang, err := chromedp.Run(page.Ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		t.Fatalf("read <html lang> of the %s: %v", what, err)
	}
	if lang != locale {
		t.Errorf("the %s has <html lang=%q>, want %q", what, lang, locale)
	}
}

// bodyText is what a reader sees: the rendered text, white space collapsed.
func bodyText(t *testing.T, page *browsertest.Page, what string) string {
	t.Helper()
	text, err := chromedp.Run(page.Ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatalf("read the text of the %s: %v", what, err)
	}
	return strings.Join(strings.Fields(text), " ")
}

// fitsThePhone fails when the page is wider than the phone's viewport (a sideways scroll), or
// when an element sticks out past its right edge.
func fitsThePhone(t *testing.T, page *browsertest.Page, what string) {
	t.Helper()
	type overflow struct {
		Viewport, Scroll int
		Wide             []string
	}
	got, err := chromedp.Run(page.Ctx, chromedp.Evaluate[overflow](`(() => {
		const vw = document.documentElement.clientWidth;
		const wide = [...document.body.querySelectorAll("*")]
			.filter(e => e.getBoundingClientRect().right > vw + 0.5)
			.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + ": " + (e.innerText || "").slice(0, 40));
		return {Viewport: vw, Scroll: document.documentElement.scrollWidth, Wide: wide};
	})()`))
	if err != nil {
		t.Fatalf("measure the %s: %v", what, err)
	}
	if got.Scroll > got.Viewport || len(got.Wide) > 0 {
		t.Errorf("the %s overflows a %d px phone: %d px wide, sticking out: %v", what, got.Viewport, got.Scroll, got.Wide)
	}
}

type logEntry struct{ source, url, text string }

type logEntries struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *logEntries) all() []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logEntry(nil), l.entries...)
}

// logErrors records the browser's own error log (a refused resource, a Content-Security-Policy
// violation, a failed load), which browsertest's console listener does not see.
func logErrors(t *testing.T, page *browsertest.Page) *logEntries {
	t.Helper()
	l := &logEntries{}
	err := chromedp.Listen(page.Ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry.Level == cdplog.EntryLevelError {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.entries = append(l.entries, logEntry{string(e.Entry.Source), e.Entry.URL, e.Entry.Text})
		}
	})
	if err != nil {
		t.Fatalf("listen to the browser's log: %v", err)
	}
	return l
}
