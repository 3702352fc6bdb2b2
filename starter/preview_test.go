package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/browsertest"
	"github.com/tailorhq/tailor/internal/sendgrid/sink"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

const previewProducts = `sku,product,name,category,color,size,price,stock,collections,image_url,url
TR-GREY-50,trousers,Classic trousers,trousers,grey,50,89,3,Autumn,https://cdn.shop.example/tr-grey-50.jpg,https://shop.example/p/classic-trousers
CH-NAVY-50,chinos,Chinos,trousers,navy,50,69,2,Autumn,,
TR-GREY-46,trousers,Classic trousers,trousers,grey,46,89,3,Autumn,,
`

const previewCustomers = `id,name,email,locale,timezone,colors,sizes,categories,consent
ann,Ann de Vries,ann@example.com,nl,Europe/Amsterdam,grey;navy,50,trousers,true
bob,Bob,bob@example.com,en,Europe/London,grey,50,trousers,false
`

// previewShop is a database with a small catalogue and two customers, and a starter whose clock
// stands still, so that two renderings sign the same links.
type previewShop struct {
	dbURL string
	env   map[string]string
	now   time.Time
}

func newPreviewShop(t *testing.T) *previewShop {
	t.Helper()
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportProducts(ctx, strings.NewReader(previewProducts))
	require.NoError(t, err)
	_, err = st.ImportCustomers(ctx, strings.NewReader(previewCustomers))
	require.NoError(t, err)
	return &previewShop{dbURL: dbURL, now: time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC), env: map[string]string{
		"DATABASE_URL":        dbURL,
		"LINK_SECRET":         "9f3c1a7e5b2d8064c1e9a3f7b5d2e8c04a6f1b3d9e7c5a2f",
		"PUBLIC_BASE_URL":     "https://tailor.shop.example",
		"MAIL_FROM":           "Atelier Verhoeven <atelier@shop.example>",
		"SHOP_POSTAL_ADDRESS": "Oude Markt 12, 3000 Leuven, België",
		"SHOP_ACCENT_COLOR":   "#6d3b2a",
	}}
}

func (s *previewShop) run(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, now: func() time.Time { return s.now }, getenv: func(k string) string { return s.env[k] }}
	defer a.close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	code := a.main(ctx, args)
	require.Equal(t, want, code, "starter %v\nstdout:\n%s\nstderr:\n%s", args, out.String(), errOut.String())
	return out.String(), errOut.String()
}

// rows counts what a send, a decision or an owed signal would have written.
func (s *previewShop) rows(t *testing.T) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	counts := map[string]int{}
	for _, table := range []string{"send_log", "outbox", "signal_outbox", "followup_outcomes", "email_events", "products", "customers"} {
		var n int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n), "count %s", table)
		counts[table] = n
	}
	return counts
}

// `starter preview` renders what the customer would get now, with the worker's code and
// configuration, and changes nothing; --png takes pictures of it in Chromium.
func TestPreview(t *testing.T) {
	s := newPreviewShop(t)
	before := s.rows(t)
	dir := t.TempDir()

	out, _ := s.run(t, exitOK, "preview", "--customer", "ann", "--kind", "sale", "--category", "Trousers", "--discount", "20", "--until", "2026-10-31", "--out", dir)
	for _, want := range []string{
		"sale email of customer ann (key customer/ann/sale/sale/trousers/20261031-20)",
		"To: Ann de Vries <ann@example.com>", "Subject: ", "List-Unsubscribe: <https://tailor.shop.example/u/",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
	} {
		assert.Contains(t, out, want, "preview of ann's sale")
	}
	html, err := os.ReadFile(filepath.Join(dir, "ann-sale.html"))
	require.NoError(t, err)
	text, err := os.ReadFile(filepath.Join(dir, "ann-sale.txt"))
	require.NoError(t, err)
	for _, want := range []string{
		`src="https://cdn.shop.example/tr-grey-50.jpg"`, `alt="Classic trousers, grijs"`, `href="https://shop.example/p/classic-trousers"`,
		"Oude Markt 12, 3000 Leuven, België", "Atelier Verhoeven", "#6d3b2a", "Chinos", "text-decoration:line-through",
	} {
		assert.Contains(t, string(html), want, "ann-sale.html")
	}
	assert.NotContains(t, string(html), "TR-GREY-46", "a size ann does not wear")
	assert.Contains(t, string(text), "Beste Ann de Vries,", "ann-sale.txt")
	assert.Contains(t, string(text), "€\u00a071,20 (was €\u00a089,00)", "ann-sale.txt: the sale price")
	assert.Equal(t, before, s.rows(t), "preview changed the database")

	// Without --out: the text part on the terminal. Bob has no consent: shown, and said.
	out, _ = s.run(t, exitOK, "preview", "--customer", "bob", "--kind", "season", "--collection", "Autumn")
	assert.Contains(t, out, "NOT SENT NOW: no marketing consent", "bob's season preview")
	assert.Contains(t, out, "Dear Bob,", "bob's season preview: the text part")

	// Nothing to show is an error that says why.
	_, stderr := s.run(t, exitFailed, "preview", "--customer", "ann", "--kind", "sale", "--category", "shoes", "--discount", "20")
	assert.Contains(t, stderr, "customer ann would get no sale email now: sale on shoes: not a category the customer bought or likes")
	_, stderr = s.run(t, exitFailed, "preview", "--customer", "nobody", "--kind", "season")
	assert.Contains(t, stderr, `no customer "nobody": check the id`)

	// Mistakes on the command line, all at once.
	_, stderr = s.run(t, exitUsage, "preview", "--kind", "bogus", "--sku", "X", "--png")
	for _, want := range []string{"missing --customer ID", `--kind "bogus" cannot be previewed`, "--sku is for --kind restock", "--png needs --out DIR"} {
		assert.Contains(t, stderr, want, "preview with bad flags")
	}
	assert.Equal(t, before, s.rows(t), "preview changed the database")

	t.Run("png", func(t *testing.T) {
		s.env["CHROMIUM_PATH"] = browsertest.Path(t)
		out, _ := s.run(t, exitOK, "preview", "--customer", "ann", "--kind", "restock", "--sku", "TR-GREY-50", "--out", dir, "--png")
		for _, width := range []string{"375", "800"} {
			path := filepath.Join(dir, "ann-restock-"+width+".png")
			assert.Contains(t, out, "wrote "+path)
			png, err := os.ReadFile(path)
			require.NoError(t, err, "the picture at %s px", width)
			assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "%s is a PNG", path)
		}
	})
}

// `starter test-send` sends the preview's rendering through the real mailer (here the local
// SendGrid-compatible sink) to any address, "[test]" in the subject, touching no send log,
// workflow or report, and with no customer id for the provider's events to land on.
func TestTestSend(t *testing.T) {
	s := newPreviewShop(t)
	snk, url := sink.Start(t, "SG.test-key")
	s.env["SENDGRID_API_KEY"], s.env["SENDGRID_BASE_URL"] = "SG.test-key", url
	before := s.rows(t)
	dir := t.TempDir()
	args := []string{"--customer", "ann", "--kind", "season", "--collection", "Autumn"}
	s.run(t, exitOK, append([]string{"preview", "--out", dir}, args...)...)
	preview, err := os.ReadFile(filepath.Join(dir, "ann-season.html"))
	require.NoError(t, err)

	out, _ := s.run(t, exitOK, append([]string{"test-send", "--to", "marketing@shop.example"}, args...)...)
	assert.Contains(t, out, "sent test test/ann/season/20261005T093000.000Z")
	msgs := snk.Messages()
	require.Len(t, msgs, 1, "the sink's messages")
	m := msgs[0]
	assert.Equal(t, "marketing@shop.example", m.To)
	assert.True(t, strings.HasPrefix(m.Subject, "[test] "), "subject %q", m.Subject)
	assert.Equal(t, "atelier@shop.example", m.From)
	assert.Empty(t, m.CustomerID, "no customer id for the provider's events")
	assert.Equal(t, "test/ann/season/20261005T093000.000Z", m.Key)
	assert.Equal(t, string(preview), m.HTML, "test-send sends what preview showed")
	assert.NotContains(t, m.Headers, "List-Unsubscribe", "no one-click unsubscribe on a test copy: it would act for the customer")
	assert.NotContains(t, m.Headers, "List-Unsubscribe-Post")
	assert.Equal(t, before, s.rows(t), "test-send changed the database")

	_, stderr := s.run(t, exitUsage, append([]string{"test-send", "--to", "not an address"}, args...)...)
	assert.Contains(t, stderr, "--to")
	assert.Len(t, snk.Messages(), 1, "a refused command sends nothing")
}
