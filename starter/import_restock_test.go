package main

import (
	"bytes"
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

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
)

// A products import that brings a SKU back in stock starts its restock campaign, as `starter
// restock` does: the customer who wished for it gets the restock email. Importing the same stock
// again starts nothing; --no-restock starts nothing.
func TestImportProductsStartsRestock(t *testing.T) {
	srv := temporaltest.Start(t)
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader(`id,name,email,locale,timezone,colors,sizes
c-01,One,c1@example.com,en,Europe/Amsterdam,,50
`))
	require.NoError(t, err)
	signer, err := links.New([]byte("test-secret-test-secret-test-secret!"), "https://shop.example", 0, nil)
	require.NoError(t, err)
	mailer := &countingMailer{}
	startWorker(t, srv.Client, &activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: signer,
		Audience: st, Reacher: lifecycleclient.New(srv.Client)})

	env := map[string]string{"TEMPORAL_ADDRESS": srv.HostPort, "DATABASE_URL": dbURL}
	starter := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		code := run(ctx, args, &out, &errOut, func(k string) string { return env[k] })
		require.Equal(t, exitOK, code, "starter %v\nstdout:\n%s\nstderr:\n%s", args, out.String(), errOut.String())
		return out.String()
	}
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
