package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A products import that brings a SKU back in stock starts its restock campaign, as `starter
// restock` does: the customer who wished for it gets the restock email. Importing the same stock
// again starts nothing; --no-restock starts nothing.
func TestImportProductsStartsRestock(t *testing.T) {
	shop := newTestShop(t, "", `id,name,email,locale,timezone,colors,sizes
c-01,One,c1@example.com,en,Europe/Amsterdam,,50
`)
	srv, ctx := shop.srv, context.Background()
	mailer := &countingMailer{}
	startWorker(t, srv.Client, shop.activities(t, mailer))
	starter := shop.starter(t)
	dir := t.TempDir()
	products := func(grey, blue int) string {
		t.Helper()
		path := filepath.Join(dir, "products.csv")
		require.NoError(t, os.WriteFile(path, []byte(`sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,`+itoa(blue)+`,
TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,`+itoa(grey)+`,
`), 0o600))
		return path
	}
	campaignID := regexp.MustCompile(`started campaign (campaign/restock/TR-GREY-50/\S+)`)

	out := starter("import", "products", products(0, 5))
	require.Equal(t, "imported 2 products\n", out, "new SKUs are not back in stock")
	starter("purchase", "--customer", "c-01", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "o-1")

	// Grey comes back: its campaign starts, once the import committed, and reaches c-01's wish.
	out = starter("import", "products", products(3, 5))
	require.Contains(t, out, "imported 2 products\nback in stock: TR-GREY-50 (now 3); started campaign campaign/restock/TR-GREY-50/", out)
	require.NotContains(t, out, "TR-BLUE-50", "blue was in stock already:\n%s", out)
	m := campaignID.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Eventually(t, func() bool {
		return slices.ContainsFunc(mailer.sent(), func(k string) bool { return strings.HasPrefix(k, "customer/c-01/restock/") })
	}, 20*time.Second, 100*time.Millisecond, "no restock email to c-01 after campaign %s; sent %v", m[1], mailer.sent())
	desc, err := srv.Client.DescribeWorkflowExecution(ctx, m[1], "")
	require.NoError(t, err)
	require.Equal(t, "Campaign", desc.GetWorkflowExecutionInfo().GetType().GetName())

	// The same stock again did not rise: nothing starts.
	out = starter("import", "products", products(3, 5))
	require.Equal(t, "imported 2 products\n", out)

	// Sold out, then back with --no-restock: said, and no campaign.
	starter("import", "products", products(0, 5))
	out = starter("import", "--no-restock", "products", products(2, 5))
	require.Equal(t, "imported 2 products\nback in stock: TR-GREY-50; no restock campaign started (--no-restock)\n", out)
}

func itoa(n int) string { return strconv.Itoa(n) }
