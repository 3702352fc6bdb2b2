package simulation_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/simulation"
	"github.com/tailorhq/tailor/workflows"
)

const scenarioDir = "../../examples"

func run(t testing.TB, sc *simulation.Scenario, opts simulation.Options) *simulation.Result {
	t.Helper()
	res, err := simulation.Run(context.Background(), sc, opts)
	require.NoError(t, err, "simulate %s", sc.Name)
	return res
}

func load(t testing.TB, path string) *simulation.Scenario {
	t.Helper()
	sc, err := simulation.LoadScenario(path)
	require.NoError(t, err)
	return sc
}

// The project's scenario files are its tests: every expectation in them must hold.
func TestScenarioFilesPass(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no scenarios in %s", scenarioDir)
	files = append(files, "testdata/year.yaml")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			sc := load(t, file)
			require.NotEmpty(t, sc.Expect, "%s checks nothing: add an expect block", file)
			res := run(t, sc, simulation.Options{})
			var out bytes.Buffer
			require.NoError(t, res.WriteTimeline(&out))
			require.True(t, res.Passed, "%s:\n%s\n%s", file, strings.Join(res.Failures(), "\n"), out.String())
		})
	}
}

func TestTailorStoryEmails(t *testing.T) {
	res := run(t, load(t, filepath.Join(scenarioDir, "tailor.yaml")), simulation.Options{})
	var got []string
	for _, e := range res.Emails {
		got = append(got, fmt.Sprintf("%s@%d: %s", e.Kind, e.Day, e.Subject))
	}
	require.Equal(t, []string{
		"restock@14: Now in stock in grey: Classic trousers",
		"sale@44: Sale: 20% off trousers in your size",
		"season@90: New in, chosen for you",
	}, got)
	require.Contains(t, res.Emails[1].Text, "Classic trousers, blue, size 50: €71.20 (was €89.00)")
	require.NotContains(t, res.Emails[2].Text, "Tweed jacket", "not his size")
	require.Equal(t, workflows.StageFollowedUp, res.Stage)

	var out bytes.Buffer
	require.NoError(t, res.WriteTimeline(&out))
	for _, want := range []string{
		"Mon 2026-01-19 10:00 EST", // day 14 in New York
		`sent       restock   "Now in stock in grey: Classic trousers"`,
		"for day 90, Sun 2026-04-05 11:00 EDT: season fallback 90d after purchase p1",
		"Expectations: 6 passed, 0 failed",
	} {
		require.Contains(t, out.String(), want)
	}

	dir := t.TempDir()
	paths, err := res.WriteEmails(dir)
	require.NoError(t, err)
	require.Len(t, paths, 6)
	html, err := os.ReadFile(filepath.Join(dir, "44-sale.html"))
	require.NoError(t, err)
	require.Contains(t, string(html), "<s>€89.00</s> <strong>€71.20</strong>")
	txt, err := os.ReadFile(filepath.Join(dir, "14-restock.txt"))
	require.NoError(t, err)
	require.Contains(t, string(txt), "Subject: Now in stock in grey: Classic trousers")
}

// A wrong expectation fails, naming the expectation, the day expected and the day it happened.
func TestWrongExpectationFailsClearly(t *testing.T) {
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"sale a day late", "{email: sale, day: 44}", "{email: sale, day: 45}",
			[]string{"line 37: expected a sale email on day 45, but the only sale email went out on day 44"}},
		{"restock before the gap", "{email: restock, day: 14}", "{email: restock, day: 13}",
			[]string{"expected a restock email on day 13, but the only restock email went out on day 14"}},
		{"no email where there is one", "no_email: {from_day: 1, to_day: 13}", "no_email: {from_day: 1, to_day: 50}",
			[]string{"expected no email from day 1 to day 50, but restock on day 14", `sale on day 44 ("Sale: 20% off trousers in your size")`}},
		{"stage", "stage: followed-up", "stage: unsubscribed",
			[]string{"expected stage unsubscribed at the end (day 164), but it is followed-up"}},
	}
	raw, err := os.ReadFile(filepath.Join(scenarioDir, "tailor.yaml"))
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, string(raw), tt.from)
			sc, err := simulation.ParseScenario([]byte(strings.Replace(string(raw), tt.from, tt.to, 1)), "tailor.yaml")
			require.NoError(t, err)
			res := run(t, sc, simulation.Options{})
			require.False(t, res.Passed, "%s must fail", tt.to)
			failures := strings.Join(res.Failures(), "\n")
			require.Len(t, res.Failures(), 1, failures)
			for _, want := range tt.want {
				require.Contains(t, failures, want)
			}
		})
	}
}

// A deferral is explained in the failure: by min_gap, until when, after which email.
func TestFailureExplainsDeferral(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(scenarioDir, "min-gap.yaml"))
	require.NoError(t, err)
	sc, err := simulation.ParseScenario([]byte(strings.Replace(string(raw), "{email: sale, day: 21}", "{email: sale, day: 16}", 1)), "min-gap.yaml")
	require.NoError(t, err)
	res := run(t, sc, simulation.Options{})
	require.Equal(t, []string{"min-gap.yaml: line 36: expected a sale email on day 16, but the only sale email went out on day 21 " +
		"(deferred on day 16 until day 21 by min_gap 7d after the restock email on day 14)"}, res.Failures())
}

func TestPolicyOverride(t *testing.T) {
	sc := load(t, filepath.Join(scenarioDir, "tailor.yaml"))
	policy := lifecycle.DefaultPolicy()
	policy.MinGap = 40 * simulation.Day
	res := run(t, sc, simulation.Options{Policy: &policy})
	require.False(t, res.Passed)
	require.Equal(t, "40d", res.Policy.MinGap)
	require.Contains(t, strings.Join(res.Failures(), "\n"),
		"expected a sale email on day 44, but the only sale email went out on day 54 (deferred on day 44 until day 54 by min_gap 40d after the restock email on day 14)")
}

// A year has more decisions than the workflow keeps (50); querying before every event keeps them
// all, and each does appear once.
func TestYearKeepsEveryDecision(t *testing.T) {
	res := run(t, load(t, "testdata/year.yaml"), simulation.Options{})
	decisions, sent := 0, 0
	seen := map[string]int{}
	for _, e := range res.Timeline {
		if e.Event != "" {
			continue
		}
		decisions++
		if e.Outcome == workflows.OutcomeSent {
			sent++
		}
		seen[e.At.String()+string(e.Outcome)+e.Key+e.Reason]++
	}
	require.Greater(t, decisions, 50, "the year must overflow the workflow's bounded decision list")
	require.Equal(t, len(res.Emails), sent, "every email has its sent decision")
	for k, n := range seen {
		require.Equal(t, 1, n, "decision %s listed %d times", k, n)
	}
	require.Len(t, res.Emails, 13)
	require.Equal(t, workflows.StageUnsubscribed, res.Stage)
}

func TestParseErrorsNameTheLine(t *testing.T) {
	const base = `customer: {id: david, email: david@example.com}
catalogue:
  products:
    - {sku: A, product: a, category: trousers, price: "10.00", stock: 1}
events:
  - day: 0
    purchase: {sku: A}
`
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown field", base + "  - day: 1\n    restock: {sku: A, quantity: 1, colour: red}\n",
			[]string{"line 9: field colour not found in restock (known: sku, quantity)"}},
		{"unknown top-level field", base + "expectations: []\n",
			[]string{"line 8: field expectations not found at the top level"}},
		{"two actions", base + "  - day: 1\n    sale: {category: trousers, discount: 10}\n    season: {collection: x}\n",
			[]string{"line 8: event on day 1: give exactly one of", `line 8: season on day 1: no product in the catalogue belongs to collection "x"`}},
		{"unknown sku and missing day", base + "  - restock: {sku: B, quantity: 1}\n",
			[]string{"line 8: event: day is missing", `line 8: restock on day 0: SKU "B" is not in the catalogue`}},
		{"bad expectation", base + "expect:\n  - {email: coupon, day: 3}\n  - no_email: {from_day: 5, to_day: 2}\n",
			[]string{`line 9: expect: email kind "coupon" is unknown`, "line 10: expect: no_email from_day 5 is after to_day 2"}},
		{"bad time", base + "  - day: 1\n    at: \"25:00\"\n    season: {collection: x}\n",
			[]string{`line 8: event on day 1: at "25:00" is not a local time like 09:30`}},
		{"end before the last event", base + "end_day: -1\n", []string{"end_day -1 is before the last event on day 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := simulation.ParseScenario([]byte(tt.yaml), "s.yaml")
			require.Error(t, err, tt.yaml)
			for _, want := range tt.want {
				require.Contains(t, err.Error(), want, tt.yaml)
			}
		})
	}
}

func TestLocalTimeOfEvents(t *testing.T) {
	sc, err := simulation.ParseScenario([]byte(`customer: {id: els, email: els@example.com, timezone: Europe/Brussels}
catalogue:
  products:
    - {sku: A, product: a, price: "10", stock: 1}
start: "2026-03-27T08:00:00Z"
events:
  - day: 2
    at: "09:30"
    purchase: {sku: A}
  - day: 0
    purchase: {sku: A, id: first}
expect:
  - stage: purchased
`), "s.yaml")
	require.NoError(t, err)
	require.Equal(t, "first", sc.Events[0].Purchase.ID, "events are sorted by time")
	// 29 March 2026 is the first day of summer time in Brussels: 09:30 CEST is 07:30 UTC.
	require.Equal(t, "2026-03-29T07:30:00Z", sc.Events[1].At.Format("2006-01-02T15:04:05Z07:00"))
	require.Equal(t, 122, sc.EndDay, "the last event plus 120 days")
}
