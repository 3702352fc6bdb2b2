package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// exportTable is one table that holds a customer's rows and how to find them ($1 is the customer
// id) in a stable order.
type exportTable struct {
	name, where, order string
	// row is the JSON of one row (alias t); empty means every column (to_jsonb(t)).
	row string
}

// customerEmail is the customer's address as suppressions keep it.
const customerEmail = `(SELECT lower(btrim(email)) FROM customers WHERE id = $1)`

// exportTables are the tables `starter export` reads, each under its own name. Every table with a
// customer_id column must be here: TestExportCoversEveryCustomerTable reads them from
// information_schema and fails on one that is missing. suppressions and rejected_email_events
// hold no customer id but the customer's address, shopify_webhook_deliveries may name either in
// the words of what a delivery skipped. Left out, holding no customer's data: products,
// shopify_inventory_items, sending_pause, schema_migrations.
var exportTables = []exportTable{
	{"customers", "id = $1", "id", ""},
	{"preferences", "customer_id = $1", "customer_id", ""},
	{"purchases", "customer_id = $1", "purchased_at, id", ""},
	{"wishes", "customer_id = $1", "created_at, id", ""},
	{"customer_notes", "customer_id = $1", "occurred_at, id", ""},
	{"customer_segments", "customer_id = $1", "customer_id", ""},
	{"send_log", "customer_id = $1", "created_at, key", ""},
	{"outbox", "customer_id = $1", "created_at, key", ""},
	{"email_events", "customer_id = $1", "occurred_at, dedupe_key", ""},
	{"followup_outcomes", "customer_id = $1", "decided_at, key", ""},
	{"attributions", "customer_id = $1", "purchased_at, purchase_id", ""},
	{"handoffs", "customer_id = $1", "created_at, id", ""},
	{"signal_outbox", "customer_id = $1", "seq", ""},
	{"reply_addresses", "customer_id = $1", "created_at, ref", ""},
	// The HTTP API events about the customer (since migration 0024 records whom).
	{"api_events", "customer_id = $1", "received_at, event_id", ""},
	// That a data key encrypts the customer's Temporal payloads, and since when; not the wrapped
	// key itself, a secret of the shop's (README, Forgetting a customer).
	{"customer_data_keys", "customer_id = $1", "created_at", "jsonb_build_object('id', t.id, 'master_key_id', t.master_key_id, 'created_at', t.created_at)"},
	{"suppressions", "email = " + customerEmail, "email", ""},
	{"erased_suppressions", "email_sha256 = sha256(convert_to(" + customerEmail + ", 'UTF8'))", "created_at", ""},
	{"rejected_email_events", "strpos(lower(raw), " + customerEmail + ") > 0", "received_at, dedupe_key", ""},
	{"shopify_webhook_deliveries", "EXISTS (SELECT 1 FROM unnest(t.skipped) s WHERE strpos(lower(s), lower($1)) > 0 OR strpos(lower(s), " + customerEmail + ") > 0)",
		"received_at, webhook_id", ""},
}

// ExportTables names the tables Export reads, in the order it reads them.
func ExportTables() []string {
	names := make([]string, len(exportTables))
	for i, t := range exportTables {
		names[i] = t.name
	}
	return names
}

// Export reads every row PostgreSQL holds about the customer, per table (ExportTables; every one
// present, empty when it holds none), each row as a JSON object of its columns, in one
// consistent snapshot. An unknown customer is an error wrapping lifecycle.ErrNotFound.
func (s *DB) Export(ctx context.Context, customerID string) (map[string][]json.RawMessage, error) {
	out := make(map[string][]json.RawMessage, len(exportTables))
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)`, customerID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return notFound("customer", customerID)
		}
		for _, t := range exportTables {
			// The table names and conditions are the constants above, never input.
			row := t.row
			if row == "" {
				row = "to_jsonb(t)"
			}
			rows, err := tx.Query(ctx, `SELECT `+row+` FROM `+t.name+` t WHERE `+t.where+` ORDER BY `+t.order, customerID)
			if err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
			list, err := pgx.CollectRows(rows, pgx.RowTo[json.RawMessage])
			if err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
			out[t.name] = append([]json.RawMessage{}, list...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export customer %s: %w", customerID, err)
	}
	return out, nil
}
