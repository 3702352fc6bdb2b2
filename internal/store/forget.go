package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// ForgetAction is what `starter forget` does to a table's rows of the forgotten customer.
type ForgetAction string

const (
	// ForgetDelete deletes the rows.
	ForgetDelete ForgetAction = "delete"
	// ForgetAnonymise keeps the rows for the reports' counts, with the customer id (and every key
	// or column that held it or the address) replaced by the forget's tombstone.
	ForgetAnonymise ForgetAction = "anonymise"
)

// ForgetPlan is the decision for every table with a customer_id column. Forget finds those tables
// in information_schema, so a table added later is never skipped: one missing here is deleted
// from (ForgetDelete, the safe side for an erasure), and TestForgetPlanCoversEveryCustomerTable
// fails until someone decides for it here.
var ForgetPlan = map[string]ForgetAction{
	// Reports count sends, opens and clicks, revenue credited to an email, and what became of
	// campaign follow-ups: those stay, anonymous (anonymiseSQL).
	"send_log":          ForgetAnonymise,
	"email_events":      ForgetAnonymise,
	"attributions":      ForgetAnonymise,
	"followup_outcomes": ForgetAnonymise,
	// Everything else about the customer goes.
	"preferences":        ForgetDelete,
	"purchases":          ForgetDelete,
	"wishes":             ForgetDelete,
	"outbox":             ForgetDelete,
	"customer_notes":     ForgetDelete,
	"customer_segments":  ForgetDelete,
	"signal_outbox":      ForgetDelete,
	"handoffs":           ForgetDelete,
	"customer_data_keys": ForgetDelete,
	"reply_addresses":    ForgetDelete,
	// The HTTP API's record of each event applied (migration 0024): its event id (the shop's, often
	// naming the customer), its result (which repeats the id) and its fingerprint (a hash of the
	// event, customer id and address included). A batch retried after the forget applies the event
	// again, and the event layer refuses it: the customer is forgotten.
	"api_events": ForgetDelete,
}

// anonymiseSQL rewrites one table's rows of customer $1 ($2: lifecycle.SendKeyPrefix of the
// customer, $3: the tombstone, $4: lifecycle.SendKeyPrefix of the tombstone). The tombstone takes
// the customer's place wherever the id was, inside keys too (a confirmation's key holds the offer's
// key), so the reports, which rebuild keys from customer_id, count these rows as one anonymous
// customer's. Free text that could quote the address or a link (provider errors, bounce reasons,
// clicked URLs, provider message ids) is emptied; purchase ids (the shop's order lines) become
// random. An event's dedupe key is rehashed: a redelivery of it names the customer and is dropped
// as a forgotten customer's (RecordEmailEvent).
var anonymiseSQL = map[string]string{
	"send_log": `UPDATE send_log SET customer_id = $3, key = replace(key, $2, $4), provider_message_id = '', error = ''
		WHERE customer_id = $1`,
	"email_events": `UPDATE email_events SET customer_id = $3, send_key = replace(send_key, $2, $4),
		dedupe_key = $3 || '/' || md5(dedupe_key), email = '', sg_message_id = '', url = '', reason = ''
		WHERE customer_id = $1 OR starts_with(send_key, $2)`,
	"attributions": `UPDATE attributions SET customer_id = $3, send_key = replace(send_key, $2, $4),
		purchase_id = $3 || '/' || gen_random_uuid()
		WHERE customer_id = $1`,
	"followup_outcomes": `UPDATE followup_outcomes SET customer_id = $3, key = replace(key, $2, $4)
		WHERE customer_id = $1`,
}

// Forgotten is what Forget did.
type Forgotten struct {
	// Tombstone replaced the customer id in the rows kept for counts: "forgotten-" and random hex,
	// made anew for each forget, so nothing leads back to the id.
	Tombstone string
	// Existed is false when no customers row was left (a second forget, or an unknown id).
	Existed bool
	// Rows counts the rows deleted or anonymised, by table.
	Rows map[string]int64
	// Scrubbed counts, by table, the rows kept with the words that named the customer replaced
	// (shopify_webhook_deliveries: entries of skipped).
	Scrubbed map[string]int64
	// InFlightUntil is when the lease of an owed signal a relay had claimed before the erasure runs
	// out (zero when none was claimed): that relay's SignalWithStart may still reach Temporal until
	// then and start a new run, so the workflow is terminated once more after it.
	InFlightUntil time.Time
}

// ForgetIDHash is how forgotten_customers names a customer: SHA-256 of "tailor-forgotten:" + id.
func ForgetIDHash(customerID string) []byte {
	sum := sha256.Sum256([]byte("tailor-forgotten:" + customerID))
	return sum[:]
}

// Forget erases the customer from PostgreSQL in one transaction: the customer is recorded as
// forgotten (by hash), the data key of the customer's Temporal payloads is destroyed, every table
// with a customer_id column is deleted from or anonymised (ForgetPlan), and the tables that hold the
// customer's address instead (customers, suppressions, rejected_email_events) lose those rows.
// It is idempotent: forgetting again removes whatever a late write added, and an unknown id is
// recorded as forgotten all the same (Existed tells).
func (s *DB) Forget(ctx context.Context, customerID string) (Forgotten, error) {
	return s.forget(ctx, customerID, true)
}

// ForgetPreview is what Forget would do, counted in a transaction that is rolled back.
func (s *DB) ForgetPreview(ctx context.Context, customerID string) (Forgotten, error) {
	return s.forget(ctx, customerID, false)
}

// errPreview rolls a preview's transaction back.
var errPreview = errors.New("preview: roll back")

func (s *DB) forget(ctx context.Context, customerID string, commit bool) (Forgotten, error) {
	if customerID == "" {
		return Forgotten{}, errors.New("forget: the customer id is empty")
	}
	tomb := make([]byte, 8)
	if _, err := rand.Read(tomb); err != nil {
		return Forgotten{}, fmt.Errorf("forget %s: tombstone: %w", customerID, err)
	}
	out := Forgotten{Tombstone: "forgotten-" + hex.EncodeToString(tomb), Rows: map[string]int64{}, Scrubbed: map[string]int64{}}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockCustomerKey(ctx, tx, customerID); err != nil {
			return err
		}
		var inFlight *time.Time
		if err := tx.QueryRow(ctx, `SELECT max(leased_until) FROM signal_outbox
			WHERE customer_id = $1 AND delivered_at IS NULL AND leased_until > now()`, customerID).Scan(&inFlight); err != nil {
			return fmt.Errorf("signals in flight: %w", err)
		}
		if inFlight != nil {
			out.InFlightUntil = *inFlight
		}
		if _, err := tx.Exec(ctx, `INSERT INTO forgotten_customers (id_hash) VALUES ($1) ON CONFLICT DO NOTHING`,
			ForgetIDHash(customerID)); err != nil {
			return err
		}
		// Every address the customer had: the current one and those older emails went to.
		rows, err := tx.Query(ctx, `
			SELECT lower(btrim(email)) FROM customers WHERE id = $1
			UNION SELECT lower(btrim(to_email)) FROM outbox WHERE customer_id = $1
			UNION SELECT email FROM email_events WHERE customer_id = $1`, customerID)
		if err != nil {
			return err
		}
		emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		emails = slices.DeleteFunc(emails, func(e string) bool { return e == "" })

		tables, err := customerTables(ctx, tx)
		if err != nil {
			return err
		}
		for _, table := range tables {
			var tag pgconn.CommandTag
			if ForgetPlan[table] == ForgetAnonymise {
				tag, err = tx.Exec(ctx, anonymiseSQL[table], customerID, lifecycle.SendKeyPrefix(customerID), out.Tombstone, lifecycle.SendKeyPrefix(out.Tombstone))
			} else {
				tag, err = tx.Exec(ctx, `DELETE FROM `+pgx.Identifier{table}.Sanitize()+` WHERE customer_id = $1`, customerID)
			}
			if err != nil {
				return fmt.Errorf("table %s: %w", table, err)
			}
			out.Rows[table] = tag.RowsAffected()
		}
		// The tables that hold the customer by address or by id under another name.
		tag, err := tx.Exec(ctx, `DELETE FROM customers WHERE id = $1`, customerID)
		if err != nil {
			return fmt.Errorf("table customers: %w", err)
		}
		out.Existed = tag.RowsAffected() == 1
		out.Rows["customers"] = tag.RowsAffected()
		// The suppression itself outlives the customer, as a hash of the address (migration 0021):
		// the same address under a new id must not be mailed again.
		if _, err = tx.Exec(ctx, `INSERT INTO erased_suppressions (email_sha256, reason, created_at)
			SELECT sha256(convert_to(email, 'UTF8')), reason, created_at FROM suppressions WHERE email = ANY($1)
			ON CONFLICT (email_sha256) DO NOTHING`, emails); err != nil {
			return fmt.Errorf("table erased_suppressions: %w", err)
		}
		if tag, err = tx.Exec(ctx, `DELETE FROM suppressions WHERE email = ANY($1)`, emails); err != nil {
			return fmt.Errorf("table suppressions: %w", err)
		}
		out.Rows["suppressions"] = tag.RowsAffected()
		// Events about the address that named no customer (mail Tailor did not send).
		if tag, err = tx.Exec(ctx, `DELETE FROM email_events WHERE email = ANY($1)`, emails); err != nil {
			return fmt.Errorf("table email_events: %w", err)
		}
		out.Rows["email_events"] += tag.RowsAffected()
		// API events recorded before migration 0024 name no customer: those whose event id (which
		// their stored result repeats) holds the id go too. Losing one only means that a retry of it
		// is applied again, which every event type makes harmless.
		if tag, err = tx.Exec(ctx, `DELETE FROM api_events WHERE customer_id IS NULL AND strpos(lower(event_id), lower($1)) > 0`,
			customerID); err != nil {
			return fmt.Errorf("table api_events: %w", err)
		}
		out.Rows["api_events"] += tag.RowsAffected()
		// A Shopify delivery's record lists what it skipped in words, which may quote the customer
		// (an order whose customer was refused names it and the address it gave). The record stays,
		// so that a redelivery is still recognised; each entry that names the id or an address is
		// replaced. A match inside a longer id (forgetting c1 scrubs an entry naming c12) only costs
		// the shop that entry's words.
		if tag, err = tx.Exec(ctx, `UPDATE shopify_webhook_deliveries
			SET skipped = ARRAY(SELECT CASE WHEN `+namesCustomer("s")+` THEN $3 ELSE s END FROM unnest(skipped) WITH ORDINALITY u(s, n) ORDER BY n)
			WHERE EXISTS (SELECT 1 FROM unnest(skipped) s WHERE `+namesCustomer("s")+`)`,
			customerID, emails, ErasedSkipped); err != nil {
			return fmt.Errorf("table shopify_webhook_deliveries: %w", err)
		}
		out.Scrubbed["shopify_webhook_deliveries"] = tag.RowsAffected()
		// Refused webhook events are raw JSON: any that quotes an address or the id (as a JSON string).
		if tag, err = tx.Exec(ctx, `DELETE FROM rejected_email_events
			WHERE strpos(raw, to_json($1::text)::text) > 0 OR EXISTS (SELECT 1 FROM unnest($2::text[]) e WHERE strpos(lower(raw), e) > 0)`,
			customerID, emails); err != nil {
			return fmt.Errorf("table rejected_email_events: %w", err)
		}
		out.Rows["rejected_email_events"] = tag.RowsAffected()
		if !commit {
			return errPreview
		}
		return nil
	})
	if !commit && errors.Is(err, errPreview) {
		err = nil
	}
	if err != nil {
		return Forgotten{}, fmt.Errorf("forget customer %s: %w", customerID, err)
	}
	return out, nil
}

// ErasedSkipped replaces an entry of a Shopify delivery's skipped list that named a forgotten
// customer or their address.
const ErasedSkipped = "(erased: named a customer forgotten with starter forget)"

// namesCustomer is the SQL condition that the text column col holds the customer id $1 or one of
// the addresses $2 (lower case), ignoring case.
func namesCustomer(col string) string {
	return `(strpos(lower(` + col + `), lower($1)) > 0 OR EXISTS (SELECT 1 FROM unnest($2::text[]) e WHERE strpos(lower(` + col + `), e) > 0))`
}

// customerTables lists the tables of the current schema with a customer_id column, in the order
// they must be emptied: referencing tables before the ones they reference (attributions before
// purchases is not needed since 0019 dropped that reference; the order is by name otherwise).
func customerTables(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT table_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'customer_id'
		  AND table_name IN (SELECT table_name FROM information_schema.tables
		                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
		ORDER BY table_name`)
	if err != nil {
		return nil, fmt.Errorf("list the tables with a customer_id: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CustomerTables lists the tables with a customer_id column, for the test that every one of them
// has a decision in ForgetPlan.
func (s *DB) CustomerTables(ctx context.Context) ([]string, error) {
	var out []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = customerTables(ctx, tx)
		return err
	})
	return out, err
}

// IsForgotten reports whether `starter forget` erased the customer.
func (s *DB) IsForgotten(ctx context.Context, customerID string) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM forgotten_customers WHERE id_hash = $1)`,
		ForgetIDHash(customerID)).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("is customer %s forgotten: %w", customerID, err)
	}
	return found, nil
}

// CustomerDataKey returns the customer's wrapped data key: lifecycle.ErrNotFound when there is none
// yet, lifecycle.ErrForgotten when the customer was forgotten.
func (s *DB) CustomerDataKey(ctx context.Context, customerID string) (lifecycle.WrappedDataKey, error) {
	var k lifecycle.WrappedDataKey
	var forgotten bool
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(k.id, ''), coalesce(k.master_key_id, ''), coalesce(k.wrapped, ''::bytea), coalesce(k.created_at, now()),
		       EXISTS (SELECT 1 FROM forgotten_customers WHERE id_hash = $2)
		FROM (SELECT 1) one LEFT JOIN customer_data_keys k ON k.customer_id = $1`,
		customerID, ForgetIDHash(customerID)).Scan(&k.ID, &k.MasterKeyID, &k.Wrapped, &k.CreatedAt, &forgotten)
	switch {
	case err != nil:
		return lifecycle.WrappedDataKey{}, fmt.Errorf("load the data key of customer %s: %w", customerID, err)
	case forgotten:
		return lifecycle.WrappedDataKey{}, fmt.Errorf("data key of customer %s: %w", customerID, lifecycle.ErrForgotten)
	case k.ID == "":
		return lifecycle.WrappedDataKey{}, notFound("data key of customer", customerID)
	}
	k.CustomerID = customerID
	return k, nil
}

// CreateCustomerDataKey stores k unless the customer has a data key already, and returns the one
// stored: another process may have made one first, and every process must then use that one.
// lifecycle.ErrForgotten when the customer was forgotten.
func (s *DB) CreateCustomerDataKey(ctx context.Context, k lifecycle.WrappedDataKey) (lifecycle.WrappedDataKey, error) {
	if k.CustomerID == "" || !strings.HasPrefix(k.ID, "dk-") {
		return lifecycle.WrappedDataKey{}, fmt.Errorf("store data key %q of customer %q: a data key needs an id dk-… and a customer", k.ID, k.CustomerID)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockCustomerKey(ctx, tx, k.CustomerID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO customer_data_keys (id, customer_id, master_key_id, wrapped)
			SELECT $1, $2, $3, $4
			WHERE NOT EXISTS (SELECT 1 FROM forgotten_customers WHERE id_hash = $5)
			ON CONFLICT (customer_id) DO NOTHING`,
			k.ID, k.CustomerID, k.MasterKeyID, k.Wrapped, ForgetIDHash(k.CustomerID))
		return err
	})
	if err != nil {
		return lifecycle.WrappedDataKey{}, fmt.Errorf("store the data key of customer %s: %w", k.CustomerID, err)
	}
	return s.CustomerDataKey(ctx, k.CustomerID)
}

// lockCustomerKey serialises making a customer's data key with forgetting the customer, for the
// transaction: without it a key made while the forget runs could commit after the forget deleted
// the keys, and outlive it.
func lockCustomerKey(ctx context.Context, tx pgx.Tx, customerID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('tailor-data-key:' || $1, 0))`, customerID)
	return err
}

// DataKey returns the wrapped data key with this id: lifecycle.ErrNotFound when there is none,
// which is what a forgotten customer's key becomes.
func (s *DB) DataKey(ctx context.Context, id string) (lifecycle.WrappedDataKey, error) {
	k := lifecycle.WrappedDataKey{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT customer_id, master_key_id, wrapped, created_at FROM customer_data_keys WHERE id = $1`, id).
		Scan(&k.CustomerID, &k.MasterKeyID, &k.Wrapped, &k.CreatedAt)
	if isNoRows(err) {
		return lifecycle.WrappedDataKey{}, notFound("data key", id)
	}
	if err != nil {
		return lifecycle.WrappedDataKey{}, fmt.Errorf("load data key %s: %w", id, err)
	}
	return k, nil
}

// refuseForgotten fails the import when the temporary table import_customers holds a customer
// `starter forget` erased: a forgotten id is not taken again, whoever sends it.
func refuseForgotten(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `
		SELECT i.id FROM import_customers i
		JOIN forgotten_customers f ON f.id_hash = sha256(convert_to('tailor-forgotten:' || i.id, 'UTF8'))
		ORDER BY i.id COLLATE "C"`)
	if err != nil {
		return fmt.Errorf("check for forgotten customers: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check for forgotten customers: %w", err)
	}
	if len(ids) > 0 {
		return fmt.Errorf("the file holds %s, erased with `starter forget`: Tailor does not take a forgotten customer's id again; "+
			"remove them from the file (a customer who comes back gets a new id): %w", strings.Join(ids, ", "), lifecycle.ErrForgotten)
	}
	return nil
}
