package simulation_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	more, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	files = append(files, more...)
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
	require.Contains(t, res.Emails[1].Text, "Classic trousers, grey, size 50: €71.20 (was €89.00)")
	for _, e := range res.Emails[1:] {
		require.NotContains(t, e.Text, "Classic trousers, blue", "%s@%d offers the very trousers he bought", e.Kind, e.Day)
	}
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
	// 12: the autumn selection finds nothing in her size she has not bought (issue #17).
	require.Len(t, res.Emails, 12)
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
			[]string{"line 9: field colour not found in restock (known: sku, quantity, holdout)"}},
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
		{"customer id with a slash", strings.Replace(base, "id: david", "id: a/restock/x", 1),
			[]string{`line 1: customer: id "a/restock/x": must not contain "/"`}},
		{"customer name with a line break", strings.Replace(base, "id: david", "id: david, name: \"Ann\\r\\nBcc: x\"", 1),
			[]string{`line 1: customer: name "Ann\r\nBcc: x": must be one line`}},
		{"customer email with a display name", strings.Replace(base, "email: david@example.com", "email: \"D <d@example.com>\"", 1),
			[]string{`line 1: customer: email "D <d@example.com>": not a valid address`}},
		{"sku with a slash", strings.Replace(base, "sku: A, product", "sku: A/1, product", 1),
			[]string{`line 4: product: sku "A/1": must not contain "/"`}},
		{"purchase id with a slash", base + "  - day: 1\n    purchase: {sku: A, id: x/restock/y}\n",
			[]string{`line 8: purchase on day 1: id "x/restock/y": must not contain "/"`}},
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
	require.Equal(t, "first", sc.Events[0].Action.(*simulation.PurchaseEvent).ID, "events are sorted by time")
	// 29 March 2026 is the first day of summer time in Brussels: 09:30 CEST is 07:30 UTC.
	require.Equal(t, "2026-03-29T07:30:00Z", sc.Events[1].At.Format("2006-01-02T15:04:05Z07:00"))
	require.Equal(t, 122, sc.EndDay, "the last event plus 120 days")
}

const policyBase = `customer: {id: david, email: david@example.com, timezone: America/New_York}
catalogue:
  products:
    - {sku: A, product: a, category: trousers, price: "10.00", stock: 1}
events:
  - day: 0
    purchase: {sku: A}
`

// The policy block is LIFECYCLE_CONFIG: every setting the file accepts, parsed by the same code.
func TestPolicyBlockIsLifecycleConfig(t *testing.T) {
	sc, err := simulation.ParseScenario([]byte(policyBase+`policy:
  min_gap: 2d
  restock_window: 36h
  season_fallback: 30d
  quiet_hours: "22:00-07:30"
  max_per_window: 3
  cap_window: 14d
`), "s.yaml")
	require.NoError(t, err)
	want := lifecycle.DefaultPolicy()
	want.MinGap, want.RestockWindow, want.SeasonFallback = 2*simulation.Day, 36*time.Hour, 30*simulation.Day
	want.QuietHours = lifecycle.QuietHours{Start: 22 * 60, End: 7*60 + 30}
	want.MaxPerWindow, want.CapWindow = 3, 14*simulation.Day
	require.Equal(t, want, sc.Policy)

	res := run(t, sc, simulation.Options{})
	var out bytes.Buffer
	require.NoError(t, res.WriteTimeline(&out))
	require.Contains(t, out.String(), "Policy: min_gap 2d, restock_window 36h0m0s, season_fallback 30d, quiet_hours 22:00-07:30 local time, max_per_window 3 per cap_window 14d\n")
	require.Equal(t, simulation.PolicyView{MinGap: "2d", RestockWindow: "36h0m0s", SeasonFallback: "30d",
		QuietHours: "22:00-07:30", MaxPerWindow: 3, CapWindow: "14d", AttributionWindow: "5d"}, res.Policy)

	for _, tt := range []struct{ block, want string }{
		{"policy:\n  min_gap: 7d\n  quiet_hours: 9pm\n", `line 10: policy: quiet_hours: "9pm" is not a window like 21:00-08:00`},
		{"policy:\n  min_gap: soon\n", `line 9: policy: min_gap: "soon" is not a duration like 14d, 36h or 90s`},
		{"policy:\n  min_gap: 7d\n  max_per_day: 2\n", "line 10: policy: field max_per_day not found in policy (known settings: min_gap, restock_window, season_fallback, season_fallback_categories, quiet_hours, max_per_window, cap_window, attribution_window, handoff_remind_after, holdout, usage, segments, care, vocabulary)"},
		{"policy:\n  max_per_window: -1\n", "line 9: policy: max_per_window: -1 is negative"},
		{"policy:\n  max_per_window: 2\n  cap_window: 0s\n", "line 8: policy: max_per_window needs a cap_window, e.g. 30d"},
		{"policy: {min_gap: 1d, cap_window: often}\n", `line 8: policy: cap_window: "often" is not a duration`},
		{"policy: 7d\n", "line 8: policy: expected settings like LIFECYCLE_CONFIG's"},
		{"policy:\n  min_gap: 7d\n  usage:\n    offers:\n      - {name: A, price: \"1\", for: [heavy]}\n",
			"line 10: policy: usage.offers[0] (A): for: heavy users never get an offer"},
		{"policy:\n  care:\n    - {category: data-bundle}\n", "line 9: policy: care[0] (data-bundle): give tips_after, checkin_after or both"},
	} {
		_, err := simulation.ParseScenario([]byte(policyBase+tt.block), "s.yaml")
		require.Error(t, err, tt.block)
		require.Contains(t, err.Error(), tt.want, tt.block)
	}
}

// The quiet-hours example: the restock at 23:00 in New York goes out at 08:00 the next morning,
// and an expectation with at: says so when it is wrong.
func TestQuietHoursScenario(t *testing.T) {
	res := run(t, load(t, filepath.Join(scenarioDir, "quiet-hours.yaml")), simulation.Options{})
	require.True(t, res.Passed, strings.Join(res.Failures(), "\n"))
	require.Equal(t, "Tue 2026-01-20 08:00 EST", res.Emails[0].Local)
	require.Equal(t, "Sun 2026-03-08 08:00 EDT", res.Emails[2].Local, "08:00 on the wall clock after spring forward")

	raw, err := os.ReadFile(filepath.Join(scenarioDir, "quiet-hours.yaml"))
	require.NoError(t, err)
	from := `{email: restock, day: 15, at: "08:00"}`
	require.Contains(t, string(raw), from)
	sc, err := simulation.ParseScenario([]byte(strings.Replace(string(raw), from, `{email: restock, day: 15, at: "07:00"}`, 1)), "q.yaml")
	require.NoError(t, err)
	res = run(t, sc, simulation.Options{})
	require.Equal(t, []string{`q.yaml: line 44: expected a restock email on day 15 at 07:00, but the restock email of day 15 went out at 08:00 ` +
		`(deferred on day 14 until day 15 by quiet_hours 21:00-08:00 in America/New_York)`}, res.Failures())
}

// Consent, preferences, suppression and "yes, I'm interested" reach the workflow the way the
// starter, the preference page, the SendGrid webhook and the interest page send them.
func TestCustomersVoice(t *testing.T) {
	res := run(t, load(t, filepath.Join(scenarioDir, "consent-and-interest.yaml")), simulation.Options{})
	require.True(t, res.Passed, strings.Join(res.Failures(), "\n"))
	var got []string
	for _, e := range res.Emails {
		got = append(got, fmt.Sprintf("%s@%d: %s", e.Kind, e.Day, e.Subject))
	}
	require.Equal(t, []string{
		"restock@14: Now in stock in grey: Classic trousers",
		"sale@30: Sale: 30% off trousers in your size",
		"confirmation@32: Thank you: Sale: 30% off trousers in your size",
		"sale@41: Sale: 15% off suits in your size",
	}, got)
	var out bytes.Buffer
	require.NoError(t, res.WriteTimeline(&out))
	for _, want := range []string{
		"consent       withdrawn (source support desk)",
		"dropped    sale          marketing consent withdrawn (support desk)",
		`interested    in the sale email of day 30, "Sale: 30% off trousers in your size": accepted: Thank you!`,
		"accepted   sale          the customer said yes to “Sale: 30% off trousers in your size”",
		"skipped    sale          sale on trousers, 40% off; goal reached",
	} {
		require.Contains(t, out.String(), want)
	}

	voice := run(t, load(t, "testdata/voice.yaml"), simulation.Options{})
	require.True(t, voice.Passed, strings.Join(voice.Failures(), "\n"))
	var events []string
	for _, e := range voice.Timeline {
		if e.Event != "" && e.Day >= 30 {
			events = append(events, e.Event)
		}
	}
	require.Equal(t, []string{
		"suppress the mail provider reported bounce for David@Example.com",
		"sale sale/trousers/open-35: 35% off trousers without end",
		`interested in the sale email of day 22, "Sale: 25% off trousers in your size": accepted: Thank you! We noted your interest in “Sale: 25% off trousers in your size” and will be in touch shortly.`,
		`interested in the sale email of day 22, "Sale: 25% off trousers in your size": already accepted: You already told us you are interested in “Sale: 25% off trousers in your size”. We will be in touch.`,
		"interested in the season email, but no such email went out before: nothing to accept",
	}, events)
}

func TestParseVoiceEvents(t *testing.T) {
	for _, tt := range []struct{ event, want string }{
		{"consent: {source: desk}", "line 8: consent on day 1: granted is missing (true or false)"},
		{"preferences: {kinds: [coupon]}", `line 8: preferences on day 1: kind "coupon" is unknown; use restock, sale or season`},
		{"suppress: {event: open}", `line 8: suppress on day 1: event "open" does not suppress an address; use one of bounce, dropped, spamreport, unsubscribe, group_unsubscribe`},
		{"interested: {}", "line 8: interested on day 1: say which offer"},
		{"interested: {kind: confirmation}", `line 8: interested on day 1: kind "confirmation" is not an offer`},
		{"interested: {offer_day: 2}", "line 8: interested on day 1: offer_day 2 must be between 0 and the day of the event"},
		{"consent: {granted: true, reason: x}", "line 9: field reason not found in consent (known: granted, source)"},
	} {
		_, err := simulation.ParseScenario([]byte(policyBase+"  - day: 1\n    "+tt.event+"\n"), "s.yaml")
		require.Error(t, err, tt.event)
		require.Contains(t, err.Error(), tt.want, tt.event)
	}
}

func TestParseUsagePhaseEvents(t *testing.T) {
	for _, tt := range []struct{ event, want string }{
		{"usage: {}", "line 8: usage on day 1: metric is missing, e.g. data_mb"},
		{"usage: {}", "line 8: usage on day 1: used is missing"},
		{"usage: {}", "line 8: usage on day 1: limit is missing"},
		{"usage: {metric: data_mb, used: -1, limit: 1000}", "line 8: usage on day 1: used -1 is negative"},
		{"usage: {metric: data_mb, used: 10, limit: 0}", "line 8: usage on day 1: limit 0 must be more than 0"},
		{"usage: {metric: data_mb, used: 10, limit: 1000, contract_ends_day: -2}", "line 8: usage on day 1: contract_ends_day -2 is negative"},
		{"usage: {metric: data_mb, used: 10, limit: 1000, unit: MB}", "line 9: field unit not found in usage (known: metric, used, limit, contract_ends_day)"},
		{"segment: {segment: vip}", `line 8: segment on day 1: segment "vip" is unknown; use ambassador, loyal, shopper, leaver`},
		{"segment: {segment: loyal, why: x}", "line 9: field why not found in segment (known: segment, reasons)"},
		{"checkin: {}", "line 8: checkin on day 1: happy is missing"},
		{"complaint: {reason: x, severity: high}", "line 9: field severity not found in complaint (known: reason)"},
		{"interested: {kind: care}", `line 8: interested on day 1: kind "care" is not an offer; use restock, sale, season, offer, invitation or winback`},
		{"checkin: {happy: true}\n    complaint: {}", "line 8: event on day 1: give exactly one of purchase, restock, sale, season, unsubscribe, consent, preferences, suppress, interested, usage, complaint, segment, checkin (found 2)"},
	} {
		_, err := simulation.ParseScenario([]byte(policyBase+"  - day: 1\n    "+tt.event+"\n"), "s.yaml")
		require.Error(t, err, tt.event)
		require.Contains(t, err.Error(), tt.want, tt.event)
	}

	sc, err := simulation.ParseScenario([]byte(policyBase+`  - day: 3
    usage: {metric: data_mb, used: 820.5, limit: 1000, contract_ends_day: 200}
  - day: 4
    segment: {segment: " Leaver ", reasons: [said they are leaving, ""]}
  - day: 5
    complaint: {}
  - day: 6
    checkin: {happy: false}
`), "s.yaml")
	require.NoError(t, err)
	require.Equal(t, &simulation.UsageEvent{Metric: "data_mb", Used: 820.5, Limit: 1000, ContractEndsDay: 200,
		ContractEndsAt: sc.Start.Add(200 * simulation.Day)}, sc.Events[1].Action)
	require.Equal(t, &simulation.SegmentEvent{Segment: lifecycle.SegmentLeaver, Reasons: []string{"said they are leaving"}}, sc.Events[2].Action)
	require.Equal(t, &simulation.ComplaintEvent{}, sc.Events[3].Action)
	require.Equal(t, &simulation.CheckinEvent{Happy: false}, sc.Events[4].Action)
}

func TestParseExpectations(t *testing.T) {
	for _, tt := range []struct{ expect, want string }{
		{"{email: coupon, day: 3}", `expect: email kind "coupon" is unknown; use confirmation, service, restock, sale, season, offer, care, checkin, invitation, feedback, exit or winback`},
		{"{decision: maybe}", `expect: decision "maybe" is unknown; use scheduled, deferred, sent, dropped, skipped, failed, ignored, accepted`},
		{"{decision: skipped, kind: coupon}", `expect: decision kind "coupon" is unknown`},
		{`{decision: skipped, at: "08:00"}`, "expect: at belongs to an email expectation; a decision takes day"},
		{"{kind: offer}", "expect: kind and reason_contains belong to a decision expectation"},
		{"{decision: skipped, stage: new}", "expect: give exactly one of email (with day), no_email, stage, decision"},
		{"{day: 3}", "expect: day and at belong to an email expectation"},
	} {
		_, err := simulation.ParseScenario([]byte(policyBase+"expect:\n  - "+tt.expect+"\n"), "s.yaml")
		require.Error(t, err, tt.expect)
		require.Contains(t, err.Error(), "line 9: "+tt.want, tt.expect)
	}

	sc, err := simulation.ParseScenario([]byte(policyBase+`expect:
  - {email: offer, day: 3}
  - {email: checkin, day: 20, at: "09:00"}
  - {decision: Skipped, kind: Offer, reason_contains: heavy user}
  - {decision: sent, day: 4}
`), "s.yaml")
	require.NoError(t, err)
	var got []string
	for _, x := range sc.Expect {
		got = append(got, x.String())
	}
	require.Equal(t, []string{
		"email: offer, day: 3",
		`email: checkin, day: 20, at: "09:00"`,
		`decision: skipped, kind: offer, reason_contains: "heavy user"`,
		"decision: sent, day: 4",
	}, got)
}

// A decision expectation that does not hold says what the workflow decided instead.
func TestDecisionExpectationFailsClearly(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(scenarioDir, "telecom-heavy.yaml"))
	require.NoError(t, err)
	from := `reason_contains: "heavy user"`
	require.Contains(t, string(raw), from)
	sc, err := simulation.ParseScenario([]byte(strings.Replace(string(raw), from, `reason_contains: "cost-conscious"`, 1)), "heavy.yaml")
	require.NoError(t, err)
	res := run(t, sc, simulation.Options{})
	failures := strings.Join(res.Failures(), "\n")
	require.Len(t, res.Failures(), 1, failures)
	require.Contains(t, failures, `expected a skipped offer decision on day 70 with a reason containing "cost-conscious", but the workflow decided: skipped offer on day 70: `)
	require.Contains(t, failures, "heavy user without churn indicators")

	sc, err = simulation.ParseScenario([]byte(strings.Replace(string(raw), "    day: 70\n    reason_contains", "    day: 71\n    reason_contains", 1)), "heavy.yaml")
	require.NoError(t, err)
	res = run(t, sc, simulation.Options{})
	require.Contains(t, strings.Join(res.Failures(), "\n"), `expected a skipped offer decision on day 71 with a reason containing "heavy user", but there was none`)
}

// Meter readings, complaints, segments and check-in answers reach the workflow the way the
// metering feed, the service desk, the segment recompute and the check-in page send them.
func TestUsagePhaseEvents(t *testing.T) {
	res := run(t, load(t, "testdata/usage-phase.yaml"), simulation.Options{})
	require.True(t, res.Passed, strings.Join(res.Failures(), "\n"))
	var events []string
	for _, e := range res.Timeline {
		if e.Event != "" {
			events = append(events, fmt.Sprintf("%d %s", e.Day, e.Event))
		}
	}
	require.Len(t, events, 6)
	require.Equal(t, "0 purchase p1: DATA-1GB (Databundel 1 GB)", events[0], "a data bundle has no colour or size")
	require.Contains(t, events[1], "21 checkin answer to the check-in email of day 20, ")
	require.Contains(t, events[1], ": not what they hoped for: recorded: ", "the workflow answered the Update")
	require.Contains(t, events[2], ": what they hoped for: already answered: ", "the first answer stands")
	require.Equal(t, "30 segment loyal: 2 purchases in 365 days", events[4])
	require.Equal(t, "31 complaint (slow mobile internet at home)", events[5])

	// A check-in answer before any check-in email answers nothing.
	sc, err := simulation.ParseScenario([]byte(policyBase+"  - day: 1\n    checkin: {happy: true}\nexpect:\n  - stage: purchased\n"), "s.yaml")
	require.NoError(t, err)
	res = run(t, sc, simulation.Options{})
	var checkin []string
	for _, e := range res.Timeline {
		if strings.HasPrefix(e.Event, "checkin") {
			checkin = append(checkin, e.Event)
		}
	}
	require.Equal(t, []string{"checkin answer what they hoped for, but no check-in email went out before: nothing to answer"}, checkin)

	res = run(t, load(t, filepath.Join(scenarioDir, "telecom-heavy.yaml")), simulation.Options{})
	var texts []string
	for _, e := range res.Timeline {
		if e.Event != "" && e.Day <= 12 {
			texts = append(texts, e.Event)
		}
	}
	require.Equal(t, []string{
		"usage data_mb: 0 of 1000 (0%), contract ends on day 365 (2027-01-05)",
		"usage data_mb: 820 of 1000 (82%)",
	}, texts)
}
