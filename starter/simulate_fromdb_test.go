package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/simulation"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// A scenario without a customer block, for a customer read with --from-db.
const fromDBScenario = `description: a stored customer's autumn
catalogue:
  products:
    - {sku: TR-BLUE-52, product: classic-trousers, name: Classic trousers, category: trousers, color: blue, size: "52", price: "89.00", stock: 5}
    - {sku: SU-GREY-48, product: suit, name: Suit forty-eight, category: suits, color: grey, size: "48", price: "399.00", stock: 2, collections: [autumn]}
    - {sku: SU-GREY-50, product: suit, name: Suit fifty, category: suits, color: grey, size: "50", price: "399.00", stock: 2, collections: [autumn]}
events:
  - day: 0
    at: "12:30"
    purchase: {sku: TR-BLUE-52}
  - day: 10
    season: {collection: autumn}
expect:
  - {email: season, day: 10, at: "11:00"}
`

// simulateEnv runs `starter simulate args...` with env as the environment.
func simulateEnv(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, append([]string{"simulate"}, args...), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// dbSnapshot is everything --from-db could conceivably change.
type dbSnapshot struct {
	Counts      map[string]int
	Customer    lifecycle.Customer
	Preferences lifecycle.Preferences
	Products    []lifecycle.Product
}

func TestSimulateFromDB(t *testing.T) {
	st, dbURL := storetest.New(t)
	ctx := t.Context()
	_, err := st.ImportProducts(ctx, strings.NewReader(`sku,product,name,category,color,size,price,stock,collections
TR-BLUE-52,classic-trousers,Classic trousers,trousers,blue,52,89.00,5,
TR-GREY-52,classic-trousers,Classic trousers,trousers,grey,52,89.00,0,
SU-GREY-52,suit,Stored suit,suits,grey,52,399.00,2,autumn
`))
	require.NoError(t, err)
	_, err = st.ImportCustomers(ctx, strings.NewReader(`id,name,email,locale,timezone,colors,sizes,categories,consent
ines,Ines Vos,ines@example.com,en,Europe/Amsterdam,grey,48,suits,true
`))
	require.NoError(t, err)

	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	snapshot := func() dbSnapshot {
		t.Helper()
		s := dbSnapshot{Counts: map[string]int{}}
		for _, table := range []string{"customers", "preferences", "products", "purchases", "wishes", "send_log", "outbox", "suppressions"} {
			var n int
			require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n), table)
			s.Counts[table] = n
		}
		s.Customer, err = st.Customer(ctx, "ines")
		require.NoError(t, err)
		s.Preferences, err = st.Preferences(ctx, "ines")
		require.NoError(t, err)
		s.Products, err = st.AllProducts(ctx)
		require.NoError(t, err)
		return s
	}
	before := snapshot()
	require.Equal(t, 0, before.Counts["send_log"])

	dir := t.TempDir()
	scenario := filepath.Join(dir, "stored.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte(fromDBScenario), 0o644))
	env := map[string]string{"DATABASE_URL": dbURL}
	where := describeDatabase(dbURL)

	code, stdout, stderr := simulateEnv(t, env, "--scenario", scenario, "--from-db", "ines")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for _, want := range []string{
		"Customer ines: Ines Vos <ines@example.com>, locale en, time zone Europe/Amsterdam\n",
		"  from the database at " + where + ", read-only (marketing consent yes; colors grey; sizes 48; categories suits)\n",
		// The event's local time is Amsterdam's.
		"0    Mon 2026-01-05 12:30 CET  event      purchase  p1: TR-BLUE-52",
		"Expectations: 1 passed, 0 failed",
	} {
		require.Contains(t, stdout, want)
	}
	require.NotContains(t, stdout, "Catalogue:", "the scenario's catalogue is used")

	// The season email shows the suit in the stored size 48 (the purchase adds 52, which has no
	// suit), not the one in 50, and goes to the stored address.
	code, stdout, stderr = simulateEnv(t, env, "--scenario", scenario, "--from-db", "ines", "--json")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var res simulation.Result
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, simulation.CustomerView{ID: "ines", Name: "Ines Vos", Email: "ines@example.com", Locale: "en", Timezone: "Europe/Amsterdam"}, res.Customer)
	require.Contains(t, res.CustomerFrom, "the database at "+where)
	require.Len(t, res.Emails, 1)
	require.Equal(t, "ines@example.com", res.Emails[0].To)
	require.Contains(t, res.Emails[0].Text, "Ines")
	require.Contains(t, res.Emails[0].Text, "Suit forty-eight")
	require.NotContains(t, res.Emails[0].Text, "Suit fifty")

	// With a customer block as well, the database wins and the output says so.
	withCustomer := filepath.Join(dir, "with-customer.yaml")
	require.NoError(t, os.WriteFile(withCustomer, []byte(fromDBScenario+`customer:
  id: someone-else
  email: else@example.com
  timezone: Asia/Tokyo
`), 0o644))
	code, stdout, stderr = simulateEnv(t, env, "--scenario", withCustomer, "--from-db", "ines")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	require.Contains(t, stdout, "Customer ines: Ines Vos <ines@example.com>, locale en, time zone Europe/Amsterdam\n")
	require.Contains(t, stdout, "; the scenario's customer block (line 15) is ignored\n")
	require.NotContains(t, stdout, "else@example.com")

	// Without a catalogue block, the database's products in stock are the catalogue; restocking
	// one changes only the in-memory copy.
	noCatalogue := filepath.Join(dir, "no-catalogue.yaml")
	require.NoError(t, os.WriteFile(noCatalogue, []byte(`events:
  - {day: 0, purchase: {sku: TR-BLUE-52}}
  - {day: 5, restock: {sku: SU-GREY-52, quantity: 4}}
  - {day: 10, season: {collection: autumn}}
expect:
  - {email: season, day: 10}
`), 0o644))
	code, stdout, stderr = simulateEnv(t, env, "--scenario", noCatalogue, "--from-db", "ines", "--json")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	res = simulation.Result{}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, "the 2 product(s) in stock in the database at "+where, res.CatalogueFrom)
	require.Len(t, res.Emails, 1)
	require.Contains(t, res.Emails[0].Text, "Stored suit")
	code, stdout, _ = simulateEnv(t, env, "--scenario", noCatalogue, "--from-db", "ines")
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "Catalogue: the 2 product(s) in stock in the database at "+where+"\n")
	// TR-GREY-52 is out of stock, so not in the copied catalogue.
	require.NoError(t, os.WriteFile(noCatalogue, []byte("events: [{day: 0, restock: {sku: TR-GREY-52, quantity: 1}}]\n"), 0o644))
	code, _, stderr = simulateEnv(t, env, "--scenario", noCatalogue, "--from-db", "ines")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `restock on day 0: SKU "TR-GREY-52" is not in the catalogue`)

	require.Equal(t, before, snapshot(), "--from-db must not write to the database")
}

func TestSimulateFromDBErrors(t *testing.T) {
	_, dbURL := storetest.New(t)
	where := describeDatabase(dbURL)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "stored.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte(fromDBScenario), 0o644))

	code, _, stderr := simulateEnv(t, map[string]string{"DATABASE_URL": dbURL}, "--scenario", scenario, "--from-db", "ghost")
	require.Equal(t, exitFailed, code)
	require.Contains(t, stderr, `no customer "ghost" in the database at `+where)

	closed := "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	code, _, stderr = simulateEnv(t, map[string]string{"DATABASE_URL": closed}, "--scenario", scenario, "--from-db", "ines")
	require.Equal(t, exitFailed, code)
	require.Contains(t, stderr, "--from-db ines: cannot reach PostgreSQL at 127.0.0.1:1/none (DATABASE_URL)")
	require.NotContains(t, stderr, "secret")

	// Without --from-db a scenario needs its customer block; with it, the id is required.
	code, _, stderr = simulateEnv(t, nil, "--scenario", scenario)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "line 1: customer is missing: declare one (id, email, ...) or read one from the database with starter simulate --from-db ID")
	code, _, stderr = simulateEnv(t, nil, "--scenario", scenario, "--from-db", " ")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "missing --from-db ID")

	code, stdout, _ := simulateEnv(t, nil, "--help")
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "--from-db ID")
}
