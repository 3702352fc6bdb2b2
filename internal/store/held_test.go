package store_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

func preferencesSignal(customerID, eventID string) store.OwedSignal {
	return store.OwedSignal{EventID: eventID, CustomerID: customerID, Signal: "preferences", Payload: []byte(`{}`)}
}

// A customer who stopped learning teaches nothing by buying; the purchase, its wish and the
// signal it owes are recorded as before. Learning again lets the next purchase teach.
func TestStoppedLearningIsHonouredByPurchases(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, customersCSV) // c1 states blue, navy, 32
	b.importProducts(t, productsCSV)
	before, err := b.s.Preferences(b.ctx, "c1")
	require.NoError(t, err)

	require.NoError(t, b.s.SetLearningOwing(b.ctx, "c1", true, preferencesSignal("c1", "preferences/c1/1")))
	stoppedAt, err := b.s.LearningStopped(b.ctx, "c1")
	require.NoError(t, err)
	require.False(t, stoppedAt.IsZero(), "learning stopped is stored")
	// Stopping again keeps the first time.
	require.NoError(t, b.s.SetLearningOwing(b.ctx, "c1", true, preferencesSignal("c1", "preferences/c1/2")))
	again, err := b.s.LearningStopped(b.ctx, "c1")
	require.NoError(t, err)
	assert.True(t, again.Equal(stoppedAt), "stopping twice keeps %s, got %s", stoppedAt, again)

	_, prefs, err := b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "p1", CustomerID: "c1", SKU: "SH-WHT-M", WantedColor: "Green", At: segmentNow})
	require.NoError(t, err)
	assert.Equal(t, before, prefs, "a purchase after learning stopped teaches nothing")
	stored, err := b.s.Preferences(b.ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, before, stored)
	wishes, err := b.s.OpenWishes(b.ctx, "shirt-oxford", "green", "m", time.Time{})
	require.NoError(t, err)
	assert.Len(t, wishes, 1, "the colour the customer wanted is their own word: the wish opens")
	n, _, err := b.s.OwedSignals(b.ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "each learning change owes its signal")

	require.NoError(t, b.s.SetLearningOwing(b.ctx, "c1", false, preferencesSignal("c1", "preferences/c1/3")))
	_, prefs, err = b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "p2", CustomerID: "c1", SKU: "TR-GRY-32", At: segmentNow})
	require.NoError(t, err)
	assert.Contains(t, prefs.Colors, "grey", "learning again: the next purchase teaches")
	assert.Contains(t, prefs.Categories, "trousers")

	err = b.s.SetLearningOwing(b.ctx, "nobody", true, preferencesSignal("nobody", "preferences/nobody/1"))
	assert.ErrorIs(t, err, lifecycle.ErrNotFound)
}

// The segment facts carry the flag, and the classifier then uses only what the customer stated.
func TestSegmentFactsCarryStoppedLearning(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, segmentCustomersCSV)
	b.importProducts(t, productsCSV)
	b.addPurchase(t, "a-p1", "a-full", "TR-BLU-32", segmentNow.Add(-10*segmentDay))
	b.addPurchase(t, "a-p2", "a-full", "SH-WHT-M", segmentNow.Add(-5*segmentDay))
	require.NoError(t, b.s.SetLearningOwing(b.ctx, "a-full", true, preferencesSignal("a-full", "preferences/a-full/1")))

	facts, err := b.s.SegmentFactsPage(b.ctx, "", 10, segmentNow, segmentLookback)
	require.NoError(t, err)
	for _, f := range facts {
		assert.Equal(t, f.CustomerID == "a-full", f.LearningStopped, "learning stopped of %s", f.CustomerID)
		if f.CustomerID == "a-full" {
			seg, reasons := lifecycle.ClassifySegment(f, segmentNow, lifecycle.DefaultSegmentPolicy())
			assert.Equal(t, lifecycle.SegmentNone, seg, "facts %+v", f)
			assert.Equal(t, []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonLearningStopped}}, reasons)
		}
	}
}

func TestHeld(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, customersCSV)
	b.importProducts(t, productsCSV)
	b.addPurchase(t, "p1", "c1", "TR-BLU-32", segmentNow.Add(-3*segmentDay))
	_, _, err := b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "p2", CustomerID: "c1", SKU: "SH-WHT-M", WantedColor: "Green", At: segmentNow.Add(-segmentDay)})
	require.NoError(t, err)
	b.addNote(t, "n1", "c1", store.NoteComplaint, "late delivery", segmentNow)
	b.addSendLog(t, "c1", lifecycle.KindSale, "customer/c1/sale/s1", segmentNow.Add(-2*segmentDay))
	b.addEmailEvent(t, "e1", "c1", "customer/c1/sale/s1", "sale", "open", segmentNow.Add(-2*segmentDay))
	b.addEmailEvent(t, "e2", "c1", "customer/c1/sale/s1", "sale", "open", segmentNow.Add(-segmentDay)) // the same email
	b.addEmailEvent(t, "e3", "c1", "customer/c1/sale/s1", "sale", "click", segmentNow.Add(-segmentDay))
	loyal := []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonPurchases, Purchases: 2, Days: 365}}
	_, err = b.s.SaveSegment(b.ctx, "c1", lifecycle.SegmentLoyal, loyal, segmentNow)
	require.NoError(t, err)

	h, err := b.s.Held(b.ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, "Ann de Vries", h.Customer.Name)
	assert.True(t, h.LearningStoppedAt.IsZero())
	assert.Equal(t, lifecycle.Preferences{Colors: []string{"blue", "green", "navy", "white"}, Sizes: []string{"32", "m"}, Categories: []string{"shirts", "trousers"}}, h.Preferences)
	require.Len(t, h.Purchases, 2)
	assert.Equal(t, "p2", h.Purchases[0].ID, "the latest first")
	assert.Equal(t, lifecycle.Preferences{Colors: []string{"green", "white"}, Sizes: []string{"m"}, Categories: []string{"shirts"}}, h.Purchases[0].Taught())
	require.Len(t, h.Wishes, 1)
	assert.Equal(t, store.HeldWish{ProductName: "Oxford shirt", Color: "green", Size: "m", CreatedAt: h.Wishes[0].CreatedAt}, h.Wishes[0])
	require.Len(t, h.Notes, 1)
	assert.Equal(t, "late delivery", h.Notes[0].Text)
	assert.Equal(t, store.Engagement{Sent: 1, Opened: 1, Clicked: 1, LastOpenedAt: h.Emails.LastOpenedAt}, h.Emails)
	assert.True(t, h.Emails.LastOpenedAt.Equal(segmentNow.Add(-segmentDay)), "last opened %s", h.Emails.LastOpenedAt)
	assert.Equal(t, lifecycle.SegmentLoyal, h.Segment.Segment)
	assert.Equal(t, []string{"2 purchases in 365 days"}, h.Segment.Reasons)
	assert.Equal(t, loyal, h.Segment.TypedReasons)

	empty, err := b.s.Held(b.ctx, "c2")
	require.NoError(t, err)
	assert.Empty(t, empty.Purchases)
	assert.True(t, empty.Segment.ComputedAt.IsZero(), "no segment computed yet")

	_, err = b.s.Held(b.ctx, "nobody")
	assert.ErrorIs(t, err, lifecycle.ErrNotFound)
}

func TestCatalogueChoices(t *testing.T) {
	b := setup(t)
	b.importProducts(t, productsCSV)
	got, err := b.s.CatalogueChoices(b.ctx)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Preferences{Colors: []string{"blue", "grey", "white"}, Sizes: []string{"32", "34", "m"}, Categories: []string{"shirts", "trousers"}}, got)
}

// Every table with a customer_id column, read from the migrated schema, is in the export: a new
// table cannot be left out silently. And a customer's rows come back from each table they are in,
// while another customer's do not.
func TestExportCoversEveryCustomerTable(t *testing.T) {
	b := setup(t)
	rows, err := b.db.Query(b.ctx, `
		SELECT DISTINCT table_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'customer_id'
		ORDER BY 1`)
	require.NoError(t, err)
	withCustomerID, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, withCustomerID, "information_schema lists the tables")
	exported := store.ExportTables()
	for _, table := range withCustomerID {
		assert.True(t, slices.Contains(exported, table),
			"table %s has a customer_id column but `starter export` leaves it out: add it to exportTables in internal/store/export.go (and to the README's export section)", table)
	}
	assert.Contains(t, exported, "customers")

	b.importCustomers(t, customersCSV)
	b.importProducts(t, productsCSV)
	b.addPurchase(t, "p1", "c1", "TR-BLU-32", segmentNow)
	b.addPurchase(t, "p2", "c2", "SH-WHT-M", segmentNow)
	b.addNote(t, "n1", "c1", store.NoteReferral, "Bob", segmentNow)
	require.NoError(t, b.s.Suppress(b.ctx, "ANN@example.com", "bounce", segmentNow))
	got, err := b.s.Export(b.ctx, "c1")
	require.NoError(t, err)
	for _, table := range exported {
		_, ok := got[table]
		assert.True(t, ok, "the export has a key for table %s, even when empty", table)
	}
	for table, want := range map[string]int{"customers": 1, "preferences": 1, "purchases": 1, "customer_notes": 1, "suppressions": 1, "wishes": 0} {
		assert.Len(t, got[table], want, "rows of c1 in %s: %s", table, got[table])
	}
	var purchase struct {
		ID         string `json:"id"`
		CustomerID string `json:"customer_id"`
		SKU        string `json:"sku"`
	}
	require.NoError(t, json.Unmarshal(got["purchases"][0], &purchase))
	assert.Equal(t, "c1", purchase.CustomerID, "only c1's purchase")
	assert.Equal(t, "p1", purchase.ID)

	_, err = b.s.Export(b.ctx, "nobody")
	assert.ErrorIs(t, err, lifecycle.ErrNotFound)
}
