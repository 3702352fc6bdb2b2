package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// The segment recompute's store, as the activities declare it.
var _ activities.SegmentStore = (*store.DB)(nil)

const segmentCustomersCSV = `id,name,email,locale,timezone,colors,sizes
a-full,Ann,ann@example.com,en,Europe/Amsterdam,,
b-exit,Bob,bob@example.com,en,Europe/Amsterdam,,
c-never,Cem,cem@example.com,en,Europe/Amsterdam,,
d-exit-never,Dee,dee@example.com,en,Europe/Amsterdam,,
Z-upper,Zoe,zoe@example.com,en,Europe/Amsterdam,,
`

// segmentNow is the "as of" time of the facts tests; the lookback is a year.
var segmentNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	segmentDay      = 24 * time.Hour
	segmentLookback = 365 * segmentDay
)

func (b bundle) addPurchase(t *testing.T, id, customerID, sku string, at time.Time) {
	t.Helper()
	_, _, err := b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: id, CustomerID: customerID, SKU: sku, At: at})
	require.NoError(t, err, "purchase %s", id)
}

func (b bundle) addEmailEvent(t *testing.T, dedupe, customerID, sendKey, kind, event string, at time.Time) {
	t.Helper()
	_, err := b.s.RecordEmailEvent(b.ctx, store.EmailEvent{
		DedupeKey: dedupe, SendKey: sendKey, CustomerID: customerID, Kind: kind,
		Email: customerID + "@example.com", Event: event, OccurredAt: at,
	})
	require.NoError(t, err, "email event %s", dedupe)
}

// addSendLog puts a send-log row for key; a zero at leaves it claimed, not sent.
func (b bundle) addSendLog(t *testing.T, customerID string, kind lifecycle.Kind, key string, at time.Time) {
	t.Helper()
	_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: customerID, Kind: kind, Subject: "s", CreatedAt: at})
	require.NoError(t, err, "claim %s", key)
	if !at.IsZero() {
		require.NoError(t, b.s.MarkSent(b.ctx, key, "m-"+key, at), "mark %s sent", key)
	}
}

func (b bundle) addNote(t *testing.T, id, customerID string, kind store.NoteKind, text string, at time.Time) {
	t.Helper()
	_, _, err := b.s.AddNote(b.ctx, store.Note{ID: id, CustomerID: customerID, Kind: kind, Text: text, OccurredAt: at})
	require.NoError(t, err, "note %s", id)
}

func TestSegmentFactsPage(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, segmentCustomersCSV)
	b.importProducts(t, productsCSV) // TR-BLU-32 79.95, SH-WHT-M 49.00
	now := segmentNow
	ago := func(d time.Duration) time.Time { return now.Add(-d) }

	// a-full: every source, with rows just outside the window, in the future or of other kinds.
	b.addPurchase(t, "a-p1", "a-full", "TR-BLU-32", ago(10*segmentDay))
	b.addPurchase(t, "a-p2", "a-full", "SH-WHT-M", ago(100*segmentDay))
	b.addPurchase(t, "a-old", "a-full", "TR-BLU-32", ago(400*segmentDay)) // before the window: not counted
	b.addPurchase(t, "a-late", "a-full", "SH-WHT-M", now.Add(time.Hour))  // after now: not seen at all
	saleKey := lifecycle.SendKey("a-full", lifecycle.KindSale, "sale/trousers/open-20")
	b.addEmailEvent(t, "a-open-1", "a-full", "customer/a-full/season/autumn", "season", "open", ago(3*segmentDay))
	b.addEmailEvent(t, "a-open-1b", "a-full", "customer/a-full/season/autumn", "season", "open", ago(2*segmentDay)) // same email
	b.addEmailEvent(t, "a-open-2", "a-full", saleKey, "sale", "open", ago(4*segmentDay))
	b.addEmailEvent(t, "a-open-old", "a-full", "customer/a-full/season/old", "season", "open", ago(400*segmentDay))
	b.addEmailEvent(t, "a-click-1", "a-full", "customer/a-full/season/autumn", "season", "click", ago(3*segmentDay))
	b.addEmailEvent(t, "a-click-1b", "a-full", "customer/a-full/season/autumn", "season", "click", ago(3*segmentDay-time.Minute))
	b.addEmailEvent(t, "a-click-sale", "a-full", saleKey, "sale", "click", ago(4*segmentDay))
	b.addEmailEvent(t, "a-bounce", "a-full", saleKey, "sale", "bounce", ago(4*segmentDay))
	b.addEmailEvent(t, "other-click", "b-exit", "customer/b-exit/sale/x", "sale", "click", ago(4*segmentDay))
	// Accepted offers: two sent confirmations in the window, one of a sale offer.
	b.addSendLog(t, "a-full", lifecycle.KindConfirmation, lifecycle.SendKey("a-full", lifecycle.KindConfirmation, saleKey), ago(5*segmentDay))
	b.addSendLog(t, "a-full", lifecycle.KindConfirmation, lifecycle.SendKey("a-full", lifecycle.KindConfirmation,
		lifecycle.SendKey("a-full", lifecycle.KindOffer, "data_mb/2026-05")), ago(6*segmentDay))
	b.addSendLog(t, "a-full", lifecycle.KindConfirmation, lifecycle.SendKey("a-full", lifecycle.KindConfirmation,
		lifecycle.SendKey("a-full", lifecycle.KindSale, "sale/shirts/open-10")), time.Time{}) // claimed, never sent
	b.addSendLog(t, "a-full", lifecycle.KindConfirmation, lifecycle.SendKey("a-full", lifecycle.KindConfirmation,
		lifecycle.SendKey("a-full", lifecycle.KindSale, "sale/old/open-10")), ago(400*segmentDay))
	b.addSendLog(t, "a-full", lifecycle.KindSale, saleKey, ago(7*segmentDay)) // the offer itself is no acceptance
	b.addNote(t, "a-ref-1", "a-full", store.NoteReferral, "brought Bob", ago(200*segmentDay))
	b.addNote(t, "a-ref-2", "a-full", store.NoteReferral, "brought Cem", ago(500*segmentDay)) // referrals count whenever
	b.addNote(t, "a-ref-future", "a-full", store.NoteReferral, "", now.Add(segmentDay))
	b.addNote(t, "a-exit-old", "a-full", store.NoteExit, "too expensive", ago(20*segmentDay)) // bought again since
	b.addNote(t, "a-complaint", "a-full", store.NoteComplaint, "late delivery", ago(1*segmentDay))

	// b-exit: the latest exit note after the last purchase gives the reason.
	b.addPurchase(t, "b-p1", "b-exit", "SH-WHT-M", ago(30*segmentDay))
	b.addNote(t, "b-exit-1", "b-exit", store.NoteExit, "other shop", ago(3*segmentDay))
	b.addNote(t, "b-exit-2", "b-exit", store.NoteExit, "moving abroad", ago(2*segmentDay))

	// d-exit-never: an exit without any purchase.
	b.addNote(t, "d-exit", "d-exit-never", store.NoteExit, "just looking", ago(2*segmentDay))

	want := []lifecycle.SegmentFacts{
		{CustomerID: "Z-upper"},
		{
			CustomerID: "a-full", Purchases: 2, LastPurchaseAt: ago(10 * segmentDay), MonetaryCents: 7995 + 4900,
			Opens: 2, Clicks: 2, Accepted: 2, SaleResponses: 2, Referrals: 2,
		},
		{CustomerID: "b-exit", Purchases: 1, LastPurchaseAt: ago(30 * segmentDay), MonetaryCents: 4900, Clicks: 1, SaleResponses: 1,
			Exited: true, ExitReason: "moving abroad"},
		{CustomerID: "c-never"},
		{CustomerID: "d-exit-never", Exited: true, ExitReason: "just looking"},
	}

	// Pages of two in byte order ("Z" < "a"), then an empty page.
	var got []lifecycle.SegmentFacts
	after := ""
	for range 10 {
		page, err := b.s.SegmentFactsPage(b.ctx, after, 2, now, segmentLookback)
		require.NoError(t, err, "page after %q", after)
		for i := range page {
			page[i].LastPurchaseAt = page[i].LastPurchaseAt.UTC()
		}
		got = append(got, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].CustomerID
	}
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i], got[i], "facts of %s", want[i].CustomerID)
	}

	_, err := b.s.SegmentFactsPage(b.ctx, "", 0, now, segmentLookback)
	require.ErrorContains(t, err, "limit must be positive")
	_, err = b.s.SegmentFactsPage(b.ctx, "", 10, now, 0)
	require.ErrorContains(t, err, "lookback")
}

func TestSaveSegment(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, segmentCustomersCSV)
	t1 := segmentNow
	t2 := t1.Add(segmentDay)
	t3 := t2.Add(segmentDay)
	purchases := func(n int) []lifecycle.SegmentReason {
		return []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonPurchases, Purchases: n, Days: 365}}
	}
	referrals := func(n int) []lifecycle.SegmentReason {
		return []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonReferrals, Referrals: n}}
	}

	steps := []struct {
		name        string
		customer    string
		segment     lifecycle.Segment
		reasons     []lifecycle.SegmentReason
		at          time.Time
		wantChanged bool
	}{
		{"first segment", "a-full", lifecycle.SegmentLoyal, purchases(2), t1, true},
		{"none for a new customer is no change", "c-never", lifecycle.SegmentNone,
			[]lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonNothingBought}}, t1, false},
		{"the same segment again", "a-full", lifecycle.SegmentLoyal, purchases(3), t2, false},
		{"a new segment", "a-full", lifecycle.SegmentAmbassador, referrals(1), t3, true},
		{"an older recompute finishing late", "a-full", lifecycle.SegmentShopper,
			[]lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonToWinOver, Purchases: 1, Days: 365}}, t1, false},
		{"no reasons", "b-exit", lifecycle.SegmentLeaver, nil, t1, true},
	}
	for _, s := range steps {
		changed, err := b.s.SaveSegment(b.ctx, s.customer, s.segment, s.reasons, s.at)
		require.NoError(t, err, s.name)
		require.Equal(t, s.wantChanged, changed, s.name)
	}

	got, err := b.s.Segment(b.ctx, "a-full")
	require.NoError(t, err)
	require.Equal(t, lifecycle.SegmentAmbassador, got.Segment, "the late older recompute must not win")
	require.Equal(t, []string{"referred 1 customers"}, got.Reasons)
	require.Equal(t, referrals(1), got.TypedReasons)
	require.True(t, got.ComputedAt.Equal(t3), "computed at %s", got.ComputedAt)
	require.True(t, got.ChangedAt.Equal(t3), "changed at %s", got.ChangedAt)

	// The same segment keeps its changed_at.
	_, err = b.s.SaveSegment(b.ctx, "a-full", lifecycle.SegmentAmbassador, referrals(2), t3.Add(segmentDay))
	require.NoError(t, err)
	got, err = b.s.Segment(b.ctx, "a-full")
	require.NoError(t, err)
	require.True(t, got.ChangedAt.Equal(t3), "changed at %s", got.ChangedAt)
	require.True(t, got.ComputedAt.Equal(t3.Add(segmentDay)), "computed at %s", got.ComputedAt)
	require.Equal(t, referrals(2), got.TypedReasons, "the reasons are refreshed")

	none, err := b.s.Segment(b.ctx, "b-exit")
	require.NoError(t, err)
	require.Equal(t, []string{}, none.Reasons)
	require.Equal(t, []lifecycle.SegmentReason{}, none.TypedReasons, "saved without reasons: an empty list, not a row from before typed reasons")

	_, err = b.s.Segment(b.ctx, "d-exit-never")
	require.ErrorIs(t, err, lifecycle.ErrNotFound)
	_, err = b.s.SaveSegment(b.ctx, "nobody", lifecycle.SegmentLoyal, nil, t1)
	require.ErrorIs(t, err, lifecycle.ErrNotFound)

	current, err := b.s.CurrentSegments(b.ctx, []string{"a-full", "b-exit", "c-never", "d-exit-never", "nobody"})
	require.NoError(t, err)
	require.Equal(t, map[string]lifecycle.Segment{
		"a-full": lifecycle.SegmentAmbassador, "b-exit": lifecycle.SegmentLeaver, "c-never": lifecycle.SegmentNone,
	}, current)

	counts, err := b.s.CountSegments(b.ctx)
	require.NoError(t, err)
	require.Equal(t, map[lifecycle.Segment]int{
		lifecycle.SegmentAmbassador: 1, lifecycle.SegmentLeaver: 1, lifecycle.SegmentNone: 1,
	}, counts.Counts)
	require.Equal(t, 2, counts.NotComputed, "d-exit-never and Z-upper")
	require.True(t, counts.LastComputedAt.Equal(t3.Add(segmentDay)), "last computed %s", counts.LastComputedAt)
}

func TestAddNote(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, segmentCustomersCSV)
	at := segmentNow

	first := store.Note{ID: "n1", CustomerID: "a-full", Kind: store.NoteReferral, Text: "brought Bob", OccurredAt: at}
	got, added, err := b.s.AddNote(b.ctx, first)
	require.NoError(t, err)
	require.True(t, added)
	got.OccurredAt = got.OccurredAt.UTC()
	require.Equal(t, first, got)

	again := first
	again.Text, again.OccurredAt = "brought Bob again", at.Add(time.Hour)
	got, added, err = b.s.AddNote(b.ctx, again)
	require.NoError(t, err)
	require.False(t, added, "the same id twice")
	require.Equal(t, "brought Bob", got.Text, "the first note stays")
	require.True(t, got.OccurredAt.Equal(at))
	require.Equal(t, 1, b.count(t, "customer_notes"))

	bad := []struct {
		name string
		note store.Note
		want string
	}{
		{"id of another customer", store.Note{ID: "n1", CustomerID: "b-exit", Kind: store.NoteReferral, OccurredAt: at}, "already used"},
		{"id of another kind", store.Note{ID: "n1", CustomerID: "a-full", Kind: store.NoteExit, OccurredAt: at}, "already used"},
		{"unknown kind", store.Note{ID: "n2", CustomerID: "a-full", Kind: "praise", OccurredAt: at}, `kind "praise"`},
		{"empty id", store.Note{CustomerID: "a-full", Kind: store.NoteExit, OccurredAt: at}, "empty note id"},
		{"no time", store.Note{ID: "n3", CustomerID: "a-full", Kind: store.NoteExit}, "no time"},
	}
	for _, tt := range bad {
		_, _, err := b.s.AddNote(b.ctx, tt.note)
		require.ErrorContains(t, err, tt.want, tt.name)
	}
	_, _, err = b.s.AddNote(b.ctx, store.Note{ID: "n4", CustomerID: "nobody", Kind: store.NoteExit, OccurredAt: at})
	require.ErrorIs(t, err, lifecycle.ErrNotFound)
	require.Equal(t, 1, b.count(t, "customer_notes"), "no bad note stored")
}

// Every kind of typed reason comes back as it was saved, numbers and the customer's own words
// (quotes and all) included, beside its English sentence; a row saved before the reasons were
// typed (migration 0023) comes back with its sentences only.
func TestSegmentReasonsRoundTrip(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, segmentCustomersCSV)
	every := []lifecycle.SegmentReason{
		{Code: lifecycle.SegmentReasonExit, ExitWords: `moving to "Gent", sorry — ça va`},
		{Code: lifecycle.SegmentReasonLearningStopped},
		{Code: lifecycle.SegmentReasonNothingBought},
		{Code: lifecycle.SegmentReasonNoPurchaseSince, Days: 400, LeaverAfterDays: 365},
		{Code: lifecycle.SegmentReasonReferrals, Referrals: 2},
		{Code: lifecycle.SegmentReasonBuysAndResponds, Purchases: 4, Responses: 3, Days: 365},
		{Code: lifecycle.SegmentReasonSaleResponses, SaleResponses: 3, Responses: 5},
		{Code: lifecycle.SegmentReasonPurchases, Purchases: 2, Days: 365},
		{Code: lifecycle.SegmentReasonSpent, Cents: 31250, Days: 365},
		{Code: lifecycle.SegmentReasonToWinOver, Days: 365},
	}
	require.Len(t, every, len(lifecycle.SegmentReasonCodes), "one reason of every code")
	for i, r := range every {
		at := segmentNow.Add(time.Duration(i) * time.Minute)
		_, err := b.s.SaveSegment(b.ctx, "a-full", lifecycle.SegmentLeaver, []lifecycle.SegmentReason{r}, at)
		require.NoError(t, err, "save %+v", r)
		got, err := b.s.Segment(b.ctx, "a-full")
		require.NoError(t, err)
		require.Equal(t, []lifecycle.SegmentReason{r}, got.TypedReasons, "reason %s", r.Code)
		require.Equal(t, []string{r.String()}, got.Reasons, "reason %s", r.Code)
		held, err := b.s.Held(b.ctx, "a-full")
		require.NoError(t, err)
		require.Equal(t, got, held.Segment, "the preference page reads the same segment")
	}

	// As the recompute saved rows before migration 0023: sentences, no typed reasons.
	_, err := b.db.Exec(b.ctx, `INSERT INTO customer_segments (customer_id, segment, reasons, computed_at, changed_at)
		VALUES ('b-exit', 'loyal', '{"2 purchases in 365 days"}', $1, $1)`, segmentNow)
	require.NoError(t, err)
	old, err := b.s.Segment(b.ctx, "b-exit")
	require.NoError(t, err)
	require.Equal(t, []string{"2 purchases in 365 days"}, old.Reasons)
	require.Nil(t, old.TypedReasons, "a row from before typed reasons has none")
	held, err := b.s.Held(b.ctx, "b-exit")
	require.NoError(t, err)
	require.Equal(t, old, held.Segment)
}
