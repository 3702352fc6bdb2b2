package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// Every table with a customer_id column has a decision in ForgetPlan, and every decision names a
// table that exists: a new table holding customers fails here until someone decides whether
// forgetting deletes or anonymises its rows.
func TestForgetPlanCoversEveryCustomerTable(t *testing.T) {
	b := setup(t)
	tables, err := b.s.CustomerTables(b.ctx)
	require.NoError(t, err)
	require.NotEmpty(t, tables)
	for _, table := range tables {
		_, ok := store.ForgetPlan[table]
		require.True(t, ok, "table %s has a customer_id column but no decision in store.ForgetPlan (delete or anonymise)", table)
	}
	for table := range store.ForgetPlan {
		require.Contains(t, tables, table, "store.ForgetPlan decides for table %s, which has no customer_id column (renamed or dropped?)", table)
	}
}

// forgetCustomersCSV has the customer to forget, with an id and an address found nowhere else, and
// one to keep.
const forgetCustomersCSV = `id,name,email,locale,timezone,colors,sizes,categories
zoe-7c1f,Zoe Quist,Zoe.Quist-7c1f@example.org,nl,Europe/Amsterdam,blue,32,trousers
ann-keep,Ann Keep,ann.keep@example.org,en,Europe/London,grey,34,shirts
`

// seedEverywhere gives the customer a row in every table that can hold one, as the worker, the
// webhooks and the event layer write them, with the id and address wherever they would appear.
func seedEverywhere(t *testing.T, b bundle, id, email string, at time.Time) {
	t.Helper()
	sale := lifecycle.SendKey(id, lifecycle.KindSale, "summer")
	offer := lifecycle.SendKey(id, lifecycle.KindOffer, "fit")
	confirmation := lifecycle.SendKey(id, lifecycle.KindConfirmation, offer)
	season := lifecycle.SendKey(id, lifecycle.KindSeason, "autumn")
	purchase := "order-" + id + ":TR-BLU-32"
	statements := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO purchases (id, customer_id, sku, wanted_color, purchased_at) VALUES ($1, $2, 'TR-BLU-32', 'grey', $3)`, []any{purchase, id, at}},
		{`INSERT INTO wishes (id, customer_id, product, color, size, created_at) VALUES ($1, $2, 'trousers-chino', 'grey', '32', $3)`, []any{purchase, id, at}},
		// opened_at and clicked_at: what RecordEmailEvent keeps of the events below (migration 0016).
		{`INSERT INTO send_log (key, customer_id, kind, subject, status, provider_message_id, error, created_at, sent_at, opened_at, clicked_at)
			VALUES ($1, $2, 'sale', 'Summer sale', 'sent', 'sg-' || $2, 'bounced: ' || $3, $4, $4, $4, $4),
			       ($5, $2, 'offer', 'A better fit', 'sent', '', '', $4, $4, NULL, NULL),
			       ($6, $2, 'confirmation', 'Your offer', 'sent', '', '', $4, $4, NULL, NULL)`, []any{sale, id, email, at, offer, confirmation}},
		{`INSERT INTO outbox (key, customer_id, to_email, to_name, subject, html, text, created_at)
			VALUES ($1, $2, $3, 'Zoe', 'Summer sale', 'Dear ' || $3, '', $4)`, []any{sale, id, email, at}},
		{`INSERT INTO email_events (dedupe_key, send_key, customer_id, kind, sg_message_id, email, event, occurred_at, url)
			VALUES ('ev-open-' || $2, $1, $2, 'sale', 'sg-' || $2, $3, 'open', $4, ''),
			       ('ev-click-' || $2, $1, $2, 'sale', 'sg-' || $2, $3, 'click', $4, 'https://shop.example/p?c=' || $2),
			       ('ev-other-' || $2, '', '', '', '', $3, 'bounce', $4, '')`, []any{sale, id, email, at}},
		{`INSERT INTO suppressions (email, reason, created_at) VALUES (lower($1), 'bounce', $2)`, []any{email, at}},
		{`INSERT INTO customer_notes (id, customer_id, kind, text, occurred_at) VALUES ('note-' || $1, $1, 'complaint', 'Zip broke', $2)`, []any{id, at}},
		// The customer's exit words are in the typed reasons (and their sentence): the traces of
		// the id below find them there until forget erases the row.
		{`INSERT INTO customer_segments (customer_id, segment, reasons, typed_reasons, computed_at, changed_at)
			VALUES ($1, 'leaver', ARRAY['said they are leaving: moving in with ' || $1], jsonb_build_array(jsonb_build_object('code', 'exit', 'exit_words', 'moving in with ' || $1)), $2, $2)`, []any{id, at}},
		{`INSERT INTO followup_outcomes (key, customer_id, kind, outcome, reason, decided_at) VALUES ($1, $2, 'season', 'deferred', 'min_gap', $3)`, []any{season, id, at}},
		{`INSERT INTO rejected_email_events (dedupe_key, reason, raw) VALUES ('raw-' || $1, 'undecodable', '{"email":"' || $2 || '","customer_id":"' || $1 || '"')`, []any{id, email}},
		{`INSERT INTO signal_outbox (event_id, customer_id, signal, payload) VALUES ('consent/' || $1 || '/1', $1, 'consent', '{"Granted":false}')`, []any{id}},
		{`INSERT INTO attributions (purchase_id, customer_id, send_key, kind, campaign, clicked, revenue_cents, purchased_at)
			VALUES ($1, $2, $3, 'sale', 'summer', true, 7995, $4)`, []any{purchase, id, sale, at}},
		{`INSERT INTO handoffs (id, customer_id, kind, what, created_at) VALUES ('handoff/' || $1 || '/fit', $1, 'offer', 'call about the fit', $2)`, []any{id, at}},
		{`INSERT INTO reply_addresses (ref, customer_id, send_key, kind) VALUES ('ref' || md5($1), $1, $2, 'exit')`, []any{id, lifecycle.SendKey(id, lifecycle.KindExit, "leaving")}},
		{`INSERT INTO customer_data_keys (id, customer_id, master_key_id, wrapped) VALUES ('dk-' || md5($1), $1, 'm1', '\x00')`, []any{id}},
	}
	for _, s := range statements {
		_, err := b.db.Exec(b.ctx, s.sql, s.args...)
		require.NoError(t, err, "seed %s: %s", id, s.sql)
	}
}

// traces counts, per table and column, the rows whose text (any text, varchar, json, array or
// bytea column of any table, found in information_schema) holds needle, case-insensitively but
// in bytea.
func traces(t *testing.T, b bundle, needle string) map[string]int {
	t.Helper()
	rows, err := b.db.Query(b.ctx, `
		SELECT c.table_name::text, c.column_name::text, c.data_type::text FROM information_schema.columns c
		JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND tb.table_type = 'BASE TABLE'
		  AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea')
		ORDER BY 1, 2`)
	require.NoError(t, err)
	columns, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([3]string, error) {
		var tc [3]string
		return tc, r.Scan(&tc[0], &tc[1], &tc[2])
	})
	require.NoError(t, err)
	require.NotEmpty(t, columns)
	found := map[string]int{}
	for _, tc := range columns {
		table, column := pgx.Identifier{tc[0]}.Sanitize(), pgx.Identifier{tc[1]}.Sanitize()
		match := fmt.Sprintf(`strpos(lower(%s::text), lower($1)) > 0`, column)
		if tc[2] == "bytea" { // its text form is hex: compare the bytes
			match = fmt.Sprintf(`position(convert_to($1, 'UTF8') IN %s) > 0`, column)
		}
		var n int
		require.NoError(t, b.db.QueryRow(b.ctx, `SELECT count(*) FROM `+table+` WHERE `+match, needle).Scan(&n), "search %s.%s", tc[0], tc[1])
		if n > 0 {
			found[tc[0]+"."+tc[1]] = n
		}
	}
	return found
}

// After Forget no row of any table holds the customer's id or address, while the other customer's
// rows are all there (so the search can fail), and the report counts the same as before.
func TestForgetLeavesNoTraceOfTheCustomer(t *testing.T) {
	b := setup(t)
	b.importProducts(t, productsCSV)
	b.importCustomers(t, forgetCustomersCSV)
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	const zoe, zoeEmail = "zoe-7c1f", "Zoe.Quist-7c1f@example.org"
	const ann, annEmail = "ann-keep", "ann.keep@example.org"
	seedEverywhere(t, b, zoe, zoeEmail, at)
	seedEverywhere(t, b, ann, annEmail, at)
	zoeAPIEvents := seedThroughEntryPoints(t, b, zoe, "Zoe Quist", zoeEmail, 7001)
	annAPIEvents := seedThroughEntryPoints(t, b, ann, "Ann Keep", annEmail, 7002)
	annSkipped := shopifySkipped(t, b, "delivery-7002")
	require.Contains(t, strings.Join(shopifySkipped(t, b, "delivery-7001"), "\n"), zoeEmail, "the skipped order names the address")

	tables, err := b.s.CustomerTables(b.ctx)
	require.NoError(t, err)
	for _, table := range tables {
		var n int
		require.NoError(t, b.db.QueryRow(b.ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` WHERE customer_id = $1`, zoe).Scan(&n))
		require.Positive(t, n, "seedEverywhere gives %s no row in %s: add one, so this test shows forget erases it", zoe, table)
	}
	require.NotEmpty(t, traces(t, b, zoe), "before forget, %s is found", zoe)
	exitWords := "moving in with " + zoe // seedEverywhere's exit words
	require.Contains(t, traces(t, b, exitWords), "customer_segments.typed_reasons", "before forget, the exit words are in the typed segment reasons")
	annBefore := traces(t, b, ann)
	annEmailBefore := traces(t, b, annEmail)
	query := store.ReportQuery{Since: at.Add(-time.Hour), Until: at.Add(time.Hour), By: store.ByKind}
	reportBefore, err := b.s.Report(b.ctx, query)
	require.NoError(t, err)
	var total store.ReportCounts
	for _, g := range reportBefore {
		total.Sent += g.Sent
		total.Opened += g.Opened
		total.Clicked += g.Clicked
		total.OffersAccepted += g.OffersAccepted
		total.RevenueCents += g.RevenueCents
	}
	require.Equal(t, store.ReportCounts{Sent: 4, Opened: 2, Clicked: 2, OffersAccepted: 2, RevenueCents: 2 * 7995}, total,
		"the two customers' sale and offer emails, opened and clicked, the offers accepted and the sales credited: %+v", reportBefore)
	// Rows of a customer; an email event about the address alone (customer_id '') goes.
	customerRows := func(table string) int {
		var n int
		require.NoError(t, b.db.QueryRow(b.ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` WHERE customer_id <> ''`).Scan(&n))
		return n
	}
	countsBefore := map[string]int{}
	for table, action := range store.ForgetPlan {
		if action == store.ForgetAnonymise {
			countsBefore[table] = customerRows(table)
		}
	}

	preview, err := b.s.ForgetPreview(b.ctx, zoe)
	require.NoError(t, err)
	require.True(t, preview.Existed)
	require.NotEmpty(t, traces(t, b, zoe), "a preview changes nothing")

	forgotten, err := b.s.Forget(b.ctx, zoe)
	require.NoError(t, err)
	require.True(t, forgotten.Existed)
	require.Equal(t, preview.Rows, forgotten.Rows, "the preview counts what forget does")
	require.Equal(t, preview.Scrubbed, forgotten.Scrubbed, "the preview counts what forget scrubs")
	require.Equal(t, map[string]int64{"shopify_webhook_deliveries": 1}, forgotten.Scrubbed)
	require.NotContains(t, forgotten.Tombstone, zoe)

	require.Zero(t, apiEventsLeft(t, b, zoeAPIEvents), "the API's records of %s's events %v (a fingerprint hashes the id and address)", zoe, zoeAPIEvents)
	require.Equal(t, len(annAPIEvents), apiEventsLeft(t, b, annAPIEvents), "the API's records of %s's events", ann)
	require.Equal(t, []string{store.ErasedSkipped}, shopifySkipped(t, b, "delivery-7001"),
		"the Shopify delivery stays recorded (a redelivery is recognised), the part naming %s scrubbed", zoeEmail)
	require.Equal(t, annSkipped, shopifySkipped(t, b, "delivery-7002"))
	require.Empty(t, traces(t, b, zoe), "rows still holding the id %s after forget", zoe)
	require.Empty(t, traces(t, b, zoeEmail), "rows still holding the address %s after forget", zoeEmail)
	require.Empty(t, traces(t, b, exitWords), "rows still holding the customer's exit words after forget")
	require.Equal(t, annBefore, traces(t, b, ann), "the other customer's rows are untouched")
	require.Equal(t, annEmailBefore, traces(t, b, annEmail), "the other customer's address is untouched")

	for table, n := range countsBefore {
		require.Equal(t, n, customerRows(table), "anonymised table %s keeps its rows", table)
	}
	reportAfter, err := b.s.Report(b.ctx, query)
	require.NoError(t, err)
	require.Equal(t, reportBefore, reportAfter, "the report counts the forgotten customer's emails, opens, clicks, accepted offers and revenue as before")
	require.NotEmpty(t, reportAfter)

	// The address's suppression outlives the customer, hashed: the same address under a new id is
	// still not mailed.
	suppressed, err := b.s.IsSuppressed(b.ctx, "  "+strings.ToUpper(zoeEmail))
	require.NoError(t, err)
	require.True(t, suppressed, "%s stays suppressed after forget", zoeEmail)
	b.importCustomers(t, "id,name,email,locale,timezone,colors,sizes,categories\nzoe-new,Zoe Q,"+zoeEmail+",nl,Europe/Amsterdam,,,\n")
	again0, err := b.s.Customer(b.ctx, "zoe-new")
	require.NoError(t, err)
	require.True(t, again0.Suppressed, "a new customer with a forgotten customer's suppressed address is suppressed")
	held, err := b.s.Held(b.ctx, "zoe-new")
	require.NoError(t, err)
	require.True(t, held.Customer.Suppressed, "the preference page says so too")
	other, err := b.s.IsSuppressed(b.ctx, "someone.else@example.org")
	require.NoError(t, err)
	require.False(t, other)

	forgottenNow, err := b.s.IsForgotten(b.ctx, zoe)
	require.NoError(t, err)
	require.True(t, forgottenNow)
	keptNow, err := b.s.IsForgotten(b.ctx, ann)
	require.NoError(t, err)
	require.False(t, keptNow)

	// Forgetting again is harmless and finds nothing left.
	again, err := b.s.Forget(b.ctx, zoe)
	require.NoError(t, err)
	require.False(t, again.Existed)
	for table, n := range again.Rows {
		require.Zero(t, n, "a second forget found rows of %s in %s", zoe, table)
	}
	for table, n := range again.Scrubbed {
		require.Zero(t, n, "a second forget scrubbed rows naming %s in %s", zoe, table)
	}
}

// A forgotten customer does not come back: the import refuses the id, no data key is made for
// it, and a late webhook event naming it is dropped.
func TestForgottenCustomerIsRefused(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, forgetCustomersCSV)
	_, err := b.s.Forget(b.ctx, "zoe-7c1f")
	require.NoError(t, err)

	_, err = b.s.ImportCustomers(b.ctx, strings.NewReader(forgetCustomersCSV))
	require.ErrorIs(t, err, lifecycle.ErrForgotten, "importing a forgotten id")
	require.ErrorContains(t, err, "zoe-7c1f")
	require.Equal(t, 1, b.count(t, "customers"), "nothing of the refused file was imported")

	_, err = b.s.CreateCustomerDataKey(b.ctx, lifecycle.WrappedDataKey{ID: "dk-" + strings.Repeat("ab", 16), CustomerID: "zoe-7c1f", MasterKeyID: "m1", Wrapped: []byte{1}})
	require.ErrorIs(t, err, lifecycle.ErrForgotten, "a data key for a forgotten customer")
	require.Zero(t, b.count(t, "customer_data_keys"))

	for _, tc := range []struct {
		customer string
		recorded bool
	}{{"zoe-7c1f", false}, {"ann-keep", true}} {
		recorded, err := b.s.RecordEmailEvent(b.ctx, store.EmailEvent{DedupeKey: "late-" + tc.customer, CustomerID: tc.customer,
			SendKey: lifecycle.SendKey(tc.customer, lifecycle.KindSale, "summer"), Email: tc.customer + "@example.org", Event: "open", OccurredAt: time.Now()})
		require.NoError(t, err, "late event for %s", tc.customer)
		require.Equal(t, tc.recorded, recorded, "late event for %s recorded", tc.customer)
	}
}

// CustomerDataKey and CreateCustomerDataKey: one key per customer, whoever makes it first.
func TestCustomerDataKeys(t *testing.T) {
	b := setup(t)
	_, err := b.s.CustomerDataKey(b.ctx, "c1")
	require.True(t, errors.Is(err, lifecycle.ErrNotFound), "no key yet: %v", err)
	first := lifecycle.WrappedDataKey{ID: "dk-" + strings.Repeat("01", 16), CustomerID: "c1", MasterKeyID: "m1", Wrapped: []byte("one")}
	second := lifecycle.WrappedDataKey{ID: "dk-" + strings.Repeat("02", 16), CustomerID: "c1", MasterKeyID: "m1", Wrapped: []byte("two")}
	got, err := b.s.CreateCustomerDataKey(b.ctx, first)
	require.NoError(t, err)
	require.Equal(t, first.ID, got.ID)
	got, err = b.s.CreateCustomerDataKey(b.ctx, second)
	require.NoError(t, err)
	require.Equal(t, first.ID, got.ID, "the key stored first wins")
	require.Equal(t, []byte("one"), got.Wrapped)
	byID, err := b.s.DataKey(b.ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, "c1", byID.CustomerID)
	_, err = b.s.DataKey(b.ctx, second.ID)
	require.True(t, errors.Is(err, lifecycle.ErrNotFound), "the losing key was never stored: %v", err)

	_, err = b.s.Forget(b.ctx, "c1")
	require.NoError(t, err)
	_, err = b.s.DataKey(b.ctx, first.ID)
	require.True(t, errors.Is(err, lifecycle.ErrNotFound), "forget destroys the key: %v", err)
	_, err = b.s.CustomerDataKey(b.ctx, "c1")
	require.ErrorIs(t, err, lifecycle.ErrForgotten)
}

// A data key made while the customer is being forgotten never outlives the forget.
func TestDataKeyMadeDuringForgetDoesNotSurvive(t *testing.T) {
	b := setup(t)
	for i := range 20 {
		customer := fmt.Sprintf("race-%d", i)
		key := lifecycle.WrappedDataKey{ID: fmt.Sprintf("dk-%032x", i), CustomerID: customer, MasterKeyID: "m1", Wrapped: []byte{1}}
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = b.s.CreateCustomerDataKey(b.ctx, key) })
		wg.Go(func() {
			_, err := b.s.Forget(b.ctx, customer)
			require.NoError(t, err, "forget %s", customer)
		})
		wg.Wait()
		_, err := b.s.DataKey(b.ctx, key.ID)
		require.ErrorIs(t, err, lifecycle.ErrNotFound, "the key of %s outlived the forget", customer)
	}
}

// A signal a relay had claimed (leased) before the erasure may still be delivered until the lease
// ends: Forget says until when, so the caller can end a run it starts (internal/erasure).
func TestForgetReportsASignalInFlight(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, forgetCustomersCSV)
	_, err := b.db.Exec(b.ctx, `INSERT INTO signal_outbox (event_id, customer_id, signal, payload, leased_until)
		VALUES ('consent/zoe-7c1f/1', 'zoe-7c1f', 'consent', '{"Granted":false}', now() + interval '20 seconds'),
		       ('consent/ann-keep/1', 'ann-keep', 'consent', '{"Granted":false}', now() + interval '40 seconds')`)
	require.NoError(t, err)
	f, err := b.s.Forget(b.ctx, "zoe-7c1f")
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(20*time.Second), f.InFlightUntil, 5*time.Second, "zoe's lease, not ann's")

	none, err := b.s.Forget(b.ctx, "ann-never")
	require.NoError(t, err)
	require.True(t, none.InFlightUntil.IsZero(), "no signal in flight: %v", none.InFlightUntil)
}
