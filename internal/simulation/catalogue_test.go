package simulation_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/simulation"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// seedStore imports the scenario's customer and products into a fresh database the way the
// starter's imports would, one product per import so that creation order (newest first in
// emails) is the catalogue's order.
func seedStore(t *testing.T, sc *simulation.Scenario) *store.DB {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	c, p := sc.Customer, sc.Preferences
	_, err := st.ImportCustomers(ctx, strings.NewReader(csvOf(
		[]string{"id", "name", "email", "locale", "timezone", "colors", "sizes", "categories", "consent"},
		[]string{c.ID, c.Name, c.Email, c.Locale, c.Timezone, strings.Join(p.Colors, ";"), strings.Join(p.Sizes, ";"),
			strings.Join(p.Categories, ";"), strconv.FormatBool(c.MarketingConsent)})))
	require.NoError(t, err)
	for _, pr := range sc.Products {
		_, err := st.ImportProducts(ctx, strings.NewReader(csvOf(
			[]string{"sku", "product", "name", "category", "color", "size", "price", "stock", "collections"},
			[]string{pr.SKU, pr.Product, pr.Name, pr.Category, pr.Color, pr.Size,
				fmt.Sprintf("%d.%02d", pr.PriceCents/100, pr.PriceCents%100), strconv.Itoa(pr.Stock), strings.Join(pr.Collections, ";")})))
		require.NoError(t, err, "import %s", pr.SKU)
	}
	return st
}

func csvOf(rows ...[]string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows)
	return b.String()
}

// The in-memory catalogue must behave like the PostgreSQL store, or simulations would tell a
// different story than production: the same scenarios, run against both, print the same
// timeline and send the same emails, byte for byte.
func TestCatalogueMatchesStore(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.yaml"))
	require.NoError(t, err)
	more, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	for _, file := range append(files, more...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			sc := load(t, file)
			memory := run(t, sc, simulation.Options{})
			db := run(t, sc, simulation.Options{Shop: seedStore(t, sc)})

			require.Equal(t, len(memory.Emails), len(db.Emails), "%s: number of emails", file)
			for i := range memory.Emails {
				require.Equal(t, memory.Emails[i], db.Emails[i], "%s: email %d", file, i)
			}
			require.Equal(t, memory.Timeline, db.Timeline, "%s: timeline", file)
			require.Equal(t, memory.Stage, db.Stage)
			require.Equal(t, memory.Checks, db.Checks)
		})
	}
}

// Product queries, including those no scenario reaches yet, answer the same from both.
func TestCatalogueProductsMatchStore(t *testing.T) {
	sc := load(t, "testdata/year.yaml")
	st := seedStore(t, sc)
	cat := simulation.NewCatalogue(sc, time.Now)
	ctx := context.Background()
	for _, sku := range []string{"TR-GREY-50", "SH-BLUE-50"} {
		_, err := st.Restock(ctx, sku, 2)
		require.NoError(t, err)
		_, err = cat.Restock(ctx, sku, 2)
		require.NoError(t, err)
	}
	for _, q := range []lifecycle.ProductQuery{
		{},
		{Limit: 2},
		{Category: " Trousers "},
		{Category: "trousers", Colors: []string{"GREY", "blue"}, Sizes: []string{"50"}},
		{Collection: "autumn"},
		{Collection: " winter "},
		{Collection: "Autumn"},
		{Colors: []string{"navy"}},
		{Sizes: []string{"48", "52"}},
		{Category: "shoes"},
	} {
		want, err := st.Products(ctx, q)
		require.NoError(t, err)
		got, err := cat.Products(ctx, q)
		require.NoError(t, err)
		require.Equal(t, skus(want), skus(got), "query %+v", q)
		require.Equal(t, want, got, "query %+v", q)
	}
}

func skus(ps []lifecycle.Product) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.SKU)
	}
	return out
}

// Purchases, wishes and the send log keep the store's idempotency.
func TestCatalogueIdempotency(t *testing.T) {
	sc := load(t, filepath.Join(scenarioDir, "tailor.yaml"))
	at := sc.Start
	cat := simulation.NewCatalogue(sc, func() time.Time { return at })
	ctx := context.Background()

	p := lifecycle.Purchase{ID: "p1", CustomerID: "david", SKU: "TR-BLUE-50", WantedColor: "Grey"}
	_, prefs, err := cat.RecordPurchase(ctx, p)
	require.NoError(t, err)
	require.Equal(t, []string{"blue", "grey"}, prefs.Colors)
	_, again, err := cat.RecordPurchase(ctx, p)
	require.NoError(t, err)
	require.Equal(t, prefs, again)
	_, _, err = cat.RecordPurchase(ctx, lifecycle.Purchase{ID: "p1", CustomerID: "david", SKU: "TR-GREY-50"})
	require.ErrorContains(t, err, `purchase id "p1" is already used for customer david buying TR-BLUE-50`)
	_, _, err = cat.RecordPurchase(ctx, lifecycle.Purchase{ID: "p2", CustomerID: "david", SKU: "NOPE"})
	require.ErrorIs(t, err, lifecycle.ErrNotFound)

	wishes, err := cat.OpenWishes(ctx, "classic-trousers", "grey", "50", at.Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, wishes, 1)
	require.NoError(t, cat.CloseWish(ctx, "david", "p1"))
	require.NoError(t, cat.CloseWish(ctx, "david", "p1"), "closing twice is a no-op")
	require.ErrorIs(t, cat.CloseWish(ctx, "david", "p9"), lifecycle.ErrNotFound)
	wishes, err = cat.OpenWishes(ctx, "classic-trousers", "grey", "50", at.Add(-time.Hour))
	require.NoError(t, err)
	require.Empty(t, wishes)

	r, err := cat.ClaimSend(ctx, lifecycle.SendRecord{Key: "k", CustomerID: "david", Kind: lifecycle.KindSale, Subject: "s"})
	require.NoError(t, err)
	require.Equal(t, lifecycle.SendClaimed, r.Status)
	require.NoError(t, cat.MarkSent(ctx, "k", "m1", at))
	require.NoError(t, cat.MarkFailed(ctx, "k", "late refusal"))
	r, err = cat.ClaimSend(ctx, lifecycle.SendRecord{Key: "k", CustomerID: "david", Kind: lifecycle.KindSale, Subject: "other"})
	require.NoError(t, err)
	require.Equal(t, lifecycle.SendRecord{Key: "k", CustomerID: "david", Kind: lifecycle.KindSale, Subject: "s",
		Status: lifecycle.SendSent, MessageID: "m1", CreatedAt: at, SentAt: at}, r, "a sent key stays sent")
	require.ErrorIs(t, cat.MarkSent(ctx, "unknown", "m", at), lifecycle.ErrNotFound)
}

// Data bundles have a category but no colour or size: the catalogue stores, finds and learns from
// them as the database does.
func TestCatalogueDataBundlesMatchStore(t *testing.T) {
	sc := load(t, "testdata/usage-phase.yaml")
	st := seedStore(t, sc)
	cat := simulation.NewCatalogue(sc, func() time.Time { return sc.Start })
	ctx := context.Background()
	for _, q := range []lifecycle.ProductQuery{
		{Category: "data-bundle"},
		{Category: " Data-Bundle "},
		{Category: "data-bundle", Limit: 1},
		{Category: "data-bundle", Sizes: []string{"50"}},
	} {
		want, err := st.Products(ctx, q)
		require.NoError(t, err)
		got, err := cat.Products(ctx, q)
		require.NoError(t, err)
		require.Equal(t, want, got, "query %+v", q)
	}
	got, err := cat.Products(ctx, lifecycle.ProductQuery{Category: "data-bundle"})
	require.NoError(t, err)
	require.Equal(t, []string{"DATA-5GB", "DATA-1GB"}, skus(got), "newest first")

	purchase := lifecycle.Purchase{ID: "p1", CustomerID: "lies", SKU: "DATA-1GB", At: sc.Start}
	wantProduct, wantPrefs, err := st.RecordPurchase(ctx, purchase)
	require.NoError(t, err)
	product, prefs, err := cat.RecordPurchase(ctx, purchase)
	require.NoError(t, err)
	require.Equal(t, wantProduct, product)
	require.Equal(t, wantPrefs, prefs)
	require.Equal(t, lifecycle.Preferences{Colors: []string{}, Sizes: []string{}, Categories: []string{"data-bundle"}}, prefs,
		"a bundle teaches the category, and no empty colour or size")
}
