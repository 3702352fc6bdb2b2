package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// noEnv is an empty environment: every test here runs without PostgreSQL or Temporal, and the
// defaults point at servers that a test must never reach.
func noEnv(string) string { return "" }

func runStarter(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code = run(ctx, args, &out, &errOut, noEnv)
	return code, out.String(), errOut.String()
}

func TestHelpOfEveryCommand(t *testing.T) {
	for _, c := range commands {
		for _, help := range []string{"--help", "-h"} {
			args := []string{c.name, help}
			if c.name == "import" {
				args = []string{c.name, "customers", help}
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := runStarter(t, args...)
				assert.Equal(t, exitOK, code, "starter %v: stderr %q", args, stderr)
				assert.Contains(t, stdout, "usage: starter "+c.name, "starter %v", args)
				assert.Empty(t, stderr, "starter %v", args)
			})
		}
	}
}

func TestHelpListsCommands(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"--help"}} {
		code, stdout, _ := runStarter(t, args...)
		assert.Equal(t, exitOK, code, "starter %v", args)
		for _, c := range commands {
			assert.Contains(t, stdout, c.name, "starter %v must list %s", args, c.name)
		}
		assert.Contains(t, stdout, "TEMPORAL_ADDRESS", "starter %v must list the environment", args)
	}
	code, stdout, _ := runStarter(t, "help", "sale")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "usage: starter sale --category CAT")
}

func TestFlagHelpShowsEachFlag(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"purchase":    {"-customer", "-sku", "-wanted-color", "-id"},
		"restock":     {"-sku", "-quantity"},
		"sale":        {"-category", "-discount", "-until"},
		"season":      {"-collection"},
		"unsubscribe": {"-customer"},
		"status":      {"-customer", "-json"},
		"outbox":      {"-customer"},
	} {
		_, stdout, _ := runStarter(t, cmd, "--help")
		for _, f := range flags {
			assert.Contains(t, stdout, f, "starter %s --help must describe %s", cmd, f)
		}
	}
}

func TestBadCommandLines(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // all must appear on stderr
	}{
		{"unknown command", []string{"refund"}, []string{`unknown command "refund"`, "starter help"}},
		{"purchase without customer", []string{"purchase", "--sku", "TR-1"}, []string{"missing --customer"}},
		{"purchase without sku", []string{"purchase", "--customer", "c1"}, []string{"missing --sku"}},
		{"purchase without anything", []string{"purchase"}, []string{"missing --customer", "missing --sku"}},
		{"purchase with empty id", []string{"purchase", "--customer", "c1", "--sku", "TR-1", "--id", ""}, []string{"missing --id"}},
		{"purchase with unknown flag", []string{"purchase", "--customer", "c1", "--sku", "TR-1", "--colour", "grey"}, []string{"--colour"}},
		{"purchase with stray argument", []string{"purchase", "--customer", "c1", "--sku", "TR-1", "grey"}, []string{`unexpected argument "grey"`}},
		{"export without customer", []string{"export", "--out", "x.json"}, []string{"missing --customer"}},
		{"export with a customer id that cannot be one", []string{"export", "--customer", "a/b"}, []string{"--customer"}},
		{"restock without quantity", []string{"restock", "--sku", "TR-1"}, []string{"missing --quantity"}},
		{"restock with quantity 0", []string{"restock", "--sku", "TR-1", "--quantity", "0"}, []string{"--quantity must be at least 1"}},
		{"restock with negative quantity", []string{"restock", "--sku", "TR-1", "--quantity", "-3"}, []string{"--quantity must be at least 1, got -3"}},
		{"restock with a word for quantity", []string{"restock", "--sku", "TR-1", "--quantity", "ten"}, []string{"--quantity"}},
		{"restock without sku", []string{"restock", "--quantity", "5"}, []string{"missing --sku"}},
		{"sale with discount 0", []string{"sale", "--category", "trousers", "--discount", "0"}, []string{"--discount must be between 1 and 90", "got 0"}},
		{"sale with discount 95", []string{"sale", "--category", "trousers", "--discount", "95"}, []string{"--discount must be between 1 and 90", "got 95"}},
		{"sale without discount", []string{"sale", "--category", "trousers"}, []string{"missing --discount"}},
		{"sale without category", []string{"sale", "--discount", "20"}, []string{"missing --category"}},
		{"sale until in the past", []string{"sale", "--category", "trousers", "--discount", "20", "--until", "2001-01-01"}, []string{"--until 2001-01-01 is in the past"}},
		{"sale until malformed", []string{"sale", "--category", "trousers", "--discount", "20", "--until", "31-12-2030"}, []string{`--until "31-12-2030" is not a date`}},
		{"sale until impossible date", []string{"sale", "--category", "trousers", "--discount", "20", "--until", "2030-02-30"}, []string{`--until "2030-02-30" is not a date`}},
		{"season without collection", []string{"season"}, []string{"missing --collection"}},
		{"unsubscribe without customer", []string{"unsubscribe"}, []string{"missing --customer"}},
		{"status without customer", []string{"status", "--json"}, []string{"missing --customer"}},
		{"outbox with stray argument", []string{"outbox", "c1"}, []string{`unexpected argument "c1"`}},
		{"setup with stray argument", []string{"setup", "now"}, []string{`unexpected argument "now"`}},
		{"import nothing", []string{"import"}, []string{"missing what to import"}},
		{"import invoices", []string{"import", "invoices", "invoices.csv"}, []string{`cannot import "invoices"`}},
		{"import without file", []string{"import", "customers"}, []string{"missing the CSV file"}},
		{"import two files", []string{"import", "customers", "a.csv", "b.csv"}, []string{`unexpected argument "b.csv"`}},
		{"import customers without restock", []string{"import", "--no-restock", "customers", "a.csv"}, []string{"--no-restock is for products"}},
		// Ids become send keys and workflow IDs; free text reaches subjects and the terminal.
		{"purchase for a customer id with a slash", []string{"purchase", "--customer", "a/restock/x", "--sku", "TR-1"}, []string{`--customer "a/restock/x": must not contain "/"`}},
		{"purchase with a sku with a newline", []string{"purchase", "--customer", "c1", "--sku", "TR-1\n"}, []string{`--sku "TR-1\n": must not`}},
		{"purchase with a purchase id with a slash", []string{"purchase", "--customer", "c1", "--sku", "TR-1", "--id", "x/restock/y"}, []string{`--id "x/restock/y": must not contain "/"`}},
		{"purchase with an escape in the wanted colour", []string{"purchase", "--customer", "c1", "--sku", "TR-1", "--wanted-color", "grey\x1b[2J"}, []string{`--wanted-color "grey\x1b[2J": must not contain the control character U+001B`}},
		{"purchase with every mistake at once", []string{"purchase", "--customer", "a/b", "--sku", "\x00"}, []string{`--customer "a/b"`, `--sku "\x00"`}},
		{"purchase with a customer id too long", []string{"purchase", "--customer", strings.Repeat("c", 129), "--sku", "TR-1"}, []string{"--customer", "is 129 bytes, at most 128"}},
		{"restock of a sku with an escape", []string{"restock", "--sku", "\x1b[31mTR", "--quantity", "1"}, []string{`--sku "\x1b[31mTR": must not contain the control character U+001B`}},
		{"sale of a category with a line break", []string{"sale", "--category", "trousers\r\nX", "--discount", "20"}, []string{`--category "trousers\r\nX": must be one line`}},
		{"season of a collection too long", []string{"season", "--collection", strings.Repeat("s", 65)}, []string{"--collection", "at most 64"}},
		{"unsubscribe a customer id with a slash", []string{"unsubscribe", "--customer", "a/b"}, []string{`--customer "a/b": must not contain "/"`}},
		{"consent for a customer id with a NUL", []string{"consent", "--customer", "c\x001", "--grant"}, []string{`--customer "c\x001": must not contain the control character U+0000`}},
		{"consent from a source with a line break", []string{"consent", "--customer", "c1", "--grant", "--source", "a\nb"}, []string{`--source "a\nb": must be one line`}},
		{"note for a customer id with a slash", []string{"note", "--customer", "a/b", "--kind", "exit"}, []string{`--customer "a/b": must not contain "/"`}},
		{"note with a note id with a slash", []string{"note", "--customer", "c1", "--kind", "exit", "--id", "T/1"}, []string{`--id "T/1": must not contain "/"`}},
		{"note with an escape in its text", []string{"note", "--customer", "c1", "--kind", "exit", "--text", "bye\x1b[2J"}, []string{`--text "bye\x1b[2J": must not contain the control character U+001B`}},
		{"note with a text too long", []string{"note", "--customer", "c1", "--kind", "exit", "--text", strings.Repeat("t", 2001)}, []string{"--text", "at most 2000"}},
		{"usage for a customer id with a slash", []string{"usage", "--customer", "a/b", "--metric", "data_mb", "--used", "1", "--limit", "2"}, []string{`--customer "a/b": must not contain "/"`}},
		{"usage of a metric with an escape", []string{"usage", "--customer", "c1", "--metric", "data\x1b", "--used", "1", "--limit", "2"}, []string{`--metric "data\x1b": must not contain`}},
		{"status of a customer id with a slash", []string{"status", "--customer", "a/b"}, []string{`--customer "a/b": must not contain "/"`}},
		{"explain a customer id with a newline", []string{"explain", "--customer", "c1\nc2"}, []string{`--customer "c1\nc2": must not contain the control character U+000A`}},
		{"outbox of a customer id with a slash", []string{"outbox", "--customer", "a/b"}, []string{`--customer "a/b": must not contain "/"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runStarter(t, tt.args...)
			require.Equal(t, exitUsage, code, "starter %q: stderr %q", tt.args, stderr)
			assert.Empty(t, stdout, "starter %q printed on stdout", tt.args)
			for _, want := range tt.want {
				assert.Contains(t, stderr, want, "starter %q", tt.args)
			}
			if tt.args[0] != "refund" {
				assert.Contains(t, stderr, "usage: starter "+tt.args[0], "starter %q must show its usage line", tt.args)
				assert.Contains(t, stderr, "--help", "starter %q must say what to run", tt.args)
			}
		})
	}
}

func TestSaleUntilToday(t *testing.T) {
	// Today is accepted; a check of the date must not reach the database first, so point
	// DATABASE_URL at a closed port and expect a runtime failure (1), not a usage error (2).
	now := time.Date(2030, 6, 15, 23, 30, 0, 0, time.UTC)
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, now: func() time.Time { return now }, getenv: func(name string) string {
		if name == "DATABASE_URL" {
			return "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
		}
		return ""
	}}
	defer a.close()
	code := a.main(context.Background(), []string{"sale", "--category", "trousers", "--discount", "20", "--until", "2030-06-15"})
	assert.Equal(t, exitFailed, code, "stderr %q", errOut.String())
	assert.Contains(t, errOut.String(), "DATABASE_URL")

	errOut.Reset()
	code = a.main(context.Background(), []string{"sale", "--category", "trousers", "--discount", "20", "--until", "2030-06-14"})
	assert.Equal(t, exitUsage, code, "yesterday must be refused: stderr %q", errOut.String())
}

func TestSaleID(t *testing.T) {
	until := time.Date(2026, 12, 1, 23, 59, 59, 0, time.UTC)
	assert.Equal(t, "sale/trousers/20261201-20", saleID("trousers", until, 20))
	assert.Equal(t, "sale/trousers/open-35", saleID("trousers", time.Time{}, 35))
}

func TestNewPurchaseID(t *testing.T) {
	a, b := newPurchaseID(), newPurchaseID()
	assert.Regexp(t, `^p-[0-9a-f]{16}$`, a)
	assert.NotEqual(t, a, b)
}

func TestDescribeDatabaseHidesPassword(t *testing.T) {
	got := describeDatabase("postgres://tailor:s3cret@db.example:5433/shop?sslmode=disable")
	assert.Equal(t, "db.example:5433/shop", got)
	assert.NotContains(t, got, "s3cret")
}

func sampleStatus() workflows.Status {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	return workflows.Status{
		CustomerID:    "c1",
		Stage:         workflows.StageFollowedUp,
		Preferences:   lifecycle.Preferences{Colors: []string{"blue", "grey"}, Sizes: []string{"32"}, Categories: []string{"trousers"}},
		ConsentSource: "preference-page", ConsentAt: at,
		Kinds:     []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSale},
		Goals:     []string{"sale:trousers"},
		Purchases: []workflows.PurchaseRecord{{ID: "p-1", SKU: "TR-BLU-32", Name: "Chino trousers", Color: "blue", Size: "32", At: at}},
		Wishes: []workflows.WishStatus{{
			Wish:      lifecycle.Wish{ID: "p-1", Name: "Chino trousers", Color: "grey", Size: "32", CreatedAt: at},
			ExpiresAt: at.AddDate(0, 0, 60),
		}},
		Pending: []workflows.PendingStatus{{Kind: lifecycle.KindSale, Key: "customer/c1/sale/sale/trousers/open-20", Due: at.AddDate(0, 0, 7)}},
		Emails:  []workflows.SentEmail{{Kind: lifecycle.KindRestock, Subject: "Your grey chinos are back", SentAt: at.Add(time.Hour)}},
		Decisions: []workflows.Decision{
			{At: at.Add(2 * time.Hour), Kind: lifecycle.KindSale, Outcome: workflows.OutcomeDeferred, Reason: "min_gap 7d", Until: at.AddDate(0, 0, 7)},
			{At: at.Add(3 * time.Hour), Outcome: workflows.OutcomeIgnored, Reason: "duplicate purchase"},
		},
	}
}

func TestStatusReport(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus()}, false, time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)))
	for _, want := range []string{
		"customer c1", "stage: followed-up", "colours blue, grey; sizes 32; categories trousers",
		"p-1", "TR-BLU-32",
		"consent last changed: 2026-03-01 09:30:00 UTC, by preference-page",
		"wants: restock, sale; paused: false",
		"goals reached (no more such offers): sale:trousers",
		"Chino trousers in grey, size 32", "expires 2026-04-30 09:30:00 UTC",
		"sale", "due 2026-03-08 09:30:00 UTC (in 6d 0h)",
		`2026-03-01 10:30:00 UTC  restock  "Your grey chinos are back"`,
		"deferred", "min_gap 7d (until 2026-03-08 09:30:00 UTC)", "ignored", "duplicate purchase",
	} {
		assert.Contains(t, out.String(), want)
	}

	out.Reset()
	require.NoError(t, writeStatusReport(&out, statusReport{Status: workflows.Status{CustomerID: "c2", Stage: workflows.StageNew}}, false, time.Now()))
	assert.Contains(t, out.String(), "emails sent: none")
	assert.Contains(t, out.String(), "pending follow-ups: none")
}

func TestStatusShowsCreditedPurchases(t *testing.T) {
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	credited := []store.Attribution{
		{PurchaseID: "p-2", CustomerID: "c1", SendKey: "customer/c1/sale/s1", Kind: lifecycle.KindSale, Campaign: "s1", Clicked: true, RevenueCents: 4905, PurchasedAt: at},
		{PurchaseID: "p-1", CustomerID: "c1", SendKey: "customer/c1/restock/p-0", Kind: lifecycle.KindRestock, RevenueCents: 7900, PurchasedAt: at.AddDate(0, 0, -1)},
	}
	var out bytes.Buffer
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus(), Attributed: credited}, false, at))
	for _, want := range []string{
		"purchases credited to an email:",
		"2026-03-03 10:00:00 UTC  p-2  49.05  sale     customer/c1/sale/s1 (clicked)",
		"p-1  79.00  restock  customer/c1/restock/p-0 (last email sent)",
	} {
		assert.Contains(t, out.String(), want)
	}

	out.Reset()
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus()}, false, at))
	assert.Contains(t, out.String(), "purchases credited to an email: none")

	out.Reset()
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus(), Attributed: credited}, true, at))
	var got struct {
		Attributed []struct {
			PurchaseID   string `json:"purchase_id"`
			SendKey      string `json:"send_key"`
			Clicked      bool   `json:"clicked"`
			RevenueCents int64  `json:"revenue_cents"`
		} `json:"attributed"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), "status --json output: %s", out.String())
	require.Len(t, got.Attributed, 2)
	assert.Equal(t, "p-2", got.Attributed[0].PurchaseID)
	assert.True(t, got.Attributed[0].Clicked)
	assert.Equal(t, int64(4905), got.Attributed[0].RevenueCents)
}

func TestStatusJSON(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus()}, true, time.Now()))
	var got struct {
		CustomerID string `json:"customer_id"`
		Stage      string `json:"stage"`
		Emails     []struct {
			Kind    string    `json:"kind"`
			Subject string    `json:"subject"`
			SentAt  time.Time `json:"sent_at"`
		} `json:"emails"`
		Pending []struct {
			Kind string    `json:"kind"`
			Due  time.Time `json:"due"`
		} `json:"pending"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), "status --json output: %s", out.String())
	assert.Equal(t, "c1", got.CustomerID)
	assert.Equal(t, "followed-up", got.Stage)
	require.Len(t, got.Emails, 1)
	assert.Equal(t, "restock", got.Emails[0].Kind)
	assert.Equal(t, "Your grey chinos are back", got.Emails[0].Subject)
	assert.False(t, got.Emails[0].SentAt.IsZero())
	require.Len(t, got.Pending, 1)
	assert.Equal(t, "sale", got.Pending[0].Kind)
	assert.False(t, got.Pending[0].Due.IsZero())
}

func TestNoWorkerAnswered(t *testing.T) {
	assert.False(t, noWorkerAnswered(nil))
	assert.True(t, noWorkerAnswered(context.DeadlineExceeded))
	assert.True(t, noWorkerAnswered(errors.New("no poller seen for task queue recently, worker may be down")))
	assert.False(t, noWorkerAnswered(errors.New("permission denied")))
}

func TestKindOfOutboxEmail(t *testing.T) {
	assert.Equal(t, lifecycle.KindRestock, kindOf(store.OutboxEmail{CustomerID: "c1", Key: "customer/c1/restock/p-1"}))
	assert.Equal(t, lifecycle.KindSale, kindOf(store.OutboxEmail{CustomerID: "a/b", Key: "customer/a/b/sale/sale/x/open-10"}), "a key from before ids were escaped")
	assert.Equal(t, lifecycle.KindSale, kindOf(store.OutboxEmail{CustomerID: "a/b", Key: lifecycle.SendKey("a/b", lifecycle.KindSale, "sale/x/open-10")}))
	assert.Equal(t, lifecycle.Kind(""), kindOf(store.OutboxEmail{CustomerID: "c1", Key: "something else"}))
}

func TestStatusReportShowsSegmentUsageAndMoments(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	st := workflows.Status{
		CustomerID:      "anna",
		Stage:           workflows.StageFollowedUp,
		Segment:         lifecycle.SegmentLoyal,
		SegmentReasons:  []string{"2 purchases in 365 days"},
		SegmentAt:       at,
		Unhappy:         "Data bundle 10 GB",
		ChurnIndicators: []string{"complaint on 2026-02-20"},
		Usage: []lifecycle.UsageProfile{{Metric: "data_mb", Periods: []lifecycle.UsagePeriod{
			{Limit: 10000, StartedAt: at.AddDate(0, -1, 0), Used: 12500, LastAt: at.AddDate(0, 0, -2), WarnedAt: at.AddDate(0, 0, -15), UsedAtWarning: 8000},
			{Limit: 10000, StartedAt: at, Used: 8100, LastAt: at},
		}}},
		Moments: []workflows.Moment{{At: at, Metric: "data_mb", UsedPct: 81, Behaviour: lifecycle.BehaviourHeavy,
			Why: "used more than the bundle in 2 of 2 earlier periods", Decision: "heavy user without churn indicators: no offer"}},
	}
	var out bytes.Buffer
	require.NoError(t, writeStatusReport(&out, statusReport{Status: st}, false, at))
	for _, want := range []string{
		"segment: loyal since 2026-03-01 09:30:00 UTC, because 2 purchases in 365 days",
		"unhappy with: Data bundle 10 GB (service contact before any upsell)",
		"churn indicators: complaint on 2026-02-20",
		"12500 of 10000", "warned at 8000 on 2026-02-14 09:30:00 UTC", "over the bundle",
		"data_mb 81%", "heavy", "no offer", "heavy user without churn indicators: no offer",
	} {
		assert.Contains(t, out.String(), want)
	}

	out.Reset()
	writeExplanation(&out, st, at)
	assert.Contains(t, out.String(), "Segment loyal (2 purchases in 365 days): a short feedback ask")
	assert.Contains(t, out.String(), "Data bundle 10 GB is not what they hoped for")
}

func TestStatusShowsSendingPaused(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	pause := &lifecycle.SendingPause{Since: now.Add(-90 * time.Minute), Status: 401, Message: "The provided authorization grant is invalid, expired, or revoked", LastRefusedAt: now}
	var out bytes.Buffer
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus(), SendingPaused: pause}, false, now))
	first, _, _ := strings.Cut(out.String(), "\n")
	assert.Equal(t, "SENDING PAUSED for all customers since 2026-03-02 08:00:00 UTC (1h 30m ago): the mail provider refused the API key (401: The provided authorization grant is invalid, expired, or revoked); follow-ups are held, none is lost; fix SENDGRID_API_KEY and they go out once", first)
	assert.Contains(t, out.String(), "customer c1", "the customer's status follows")

	out.Reset()
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus(), SendingPaused: pause}, true, now))
	var got struct {
		CustomerID    string `json:"customer_id"`
		SendingPaused *struct {
			Since   time.Time `json:"since"`
			Status  int       `json:"status"`
			Message string    `json:"message"`
		} `json:"sending_paused"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), "%s", out.String())
	assert.Equal(t, "c1", got.CustomerID, "the status's own fields stay at the top level")
	require.NotNil(t, got.SendingPaused, "%s", out.String())
	assert.Equal(t, 401, got.SendingPaused.Status)
	assert.True(t, got.SendingPaused.Since.Equal(pause.Since))

	out.Reset()
	require.NoError(t, writeStatusReport(&out, statusReport{Status: sampleStatus()}, true, now))
	assert.NotContains(t, out.String(), "sending_paused", "no pause, no field")
}
