package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// Every kind of note a customer can have is listed in words on the preference page, in both
// languages: the answers that arrive as email replies (feedback, check-in) too, not a format
// verb left unfilled.
func TestPreferencePageShowsEveryNoteKind(t *testing.T) {
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		t.Run(locale, func(t *testing.T) {
			b := setupIn(t, locale, telecomWords)
			heldFor(b, "c1")
			h := b.customers.held["c1"]
			h.Notes = nil
			for _, k := range store.NoteKinds {
				h.Notes = append(h.Notes, store.Note{ID: "n-" + string(k), CustomerID: "c1", Kind: k, Text: "text of " + string(k), OccurredAt: at})
			}
			b.customers.held["c1"] = h
			r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
			require.Equal(t, http.StatusOK, r.status, r.body)
			for _, k := range store.NoteKinds {
				assert.Regexp(t, `\S: text of `+string(k)+` \(5 `, r.body, "the %s page lists the %s note in a sentence", locale, k)
			}
			assert.NotContains(t, r.body, "%!", "the %s page has an unfilled format verb", locale)
		})
	}
}
