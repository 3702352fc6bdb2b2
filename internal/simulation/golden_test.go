package simulation_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/simulation"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden from the current simulation")

const goldenDir = "testdata/golden"

// scenarioFiles are every scenario the project ships: examples/*.yaml and testdata/*.yaml.
func scenarioFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{filepath.Join(scenarioDir, "*.yaml"), "testdata/*.yaml"} {
		more, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, more...)
	}
	require.NotEmpty(t, files, "no scenario files")
	return files
}

// goldenName is the golden file of a scenario: its folder and base name, so that
// examples/x.yaml and testdata/x.yaml cannot share one.
func goldenName(scenario string) string {
	dir := filepath.Base(filepath.Dir(scenario))
	return filepath.Join(goldenDir, dir+"-"+strings.TrimSuffix(filepath.Base(scenario), ".yaml")+".golden")
}

// TestScenarioGoldens runs every scenario file and compares what it did (every event, every
// decision, every email with its rendered text, the stage at the end) with the golden file
// recorded before: behaviour is unchanged when the simulation of every scenario is. After an
// intended change, rewrite them with
//
//	go test ./internal/simulation/ -run TestScenarioGoldens -update
//
// and read the diff.
func TestScenarioGoldens(t *testing.T) {
	want := map[string]bool{}
	for _, file := range scenarioFiles(t) {
		golden := goldenName(file)
		want[golden] = true
		t.Run(filepath.Base(golden), func(t *testing.T) {
			got := goldenText(run(t, load(t, file), simulation.Options{}), file)
			if *update {
				require.NoError(t, os.MkdirAll(goldenDir, 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			raw, err := os.ReadFile(golden)
			require.NoError(t, err, "%s has no golden file: record it with -update", file)
			require.Equal(t, string(raw), got, "%s simulates differently from %s (after an intended change: -update)", file, golden)
		})
	}
	// A golden file whose scenario is gone checks nothing.
	var existing []string
	for _, dir := range []string{"examples", "testdata"} {
		more, err := filepath.Glob(filepath.Join(goldenDir, dir+"-*.golden"))
		require.NoError(t, err)
		existing = append(existing, more...)
	}
	for _, g := range existing {
		if want[g] {
			continue
		}
		if *update {
			require.NoError(t, os.Remove(g))
			continue
		}
		t.Errorf("%s has no scenario file any more: delete it or run -update", g)
	}
}

// TestEveryDecisionCarriesAReasonCode: in every scenario the project ships, each decision the
// workflow makes carries its reason code, so no metric or campaign outcome of a new decision is
// read from its sentence.
func TestEveryDecisionCarriesAReasonCode(t *testing.T) {
	for _, file := range scenarioFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			res := run(t, load(t, file), simulation.Options{})
			for _, e := range res.Timeline {
				if e.Event != "" {
					continue
				}
				require.NotEmpty(t, e.Code, "%s: day %d %s %s %s: %q has no reason code", file, e.Day, e.Outcome, e.Kind, e.Key, e.Reason)
				require.Contains(t, lifecycle.ReasonCodes, e.Code, "%s: day %d %q", file, e.Day, e.Reason)
			}
		})
	}
}

// goldenText writes a result for a person reading a diff: one line per event or decision, one
// block per email.
func goldenText(res *simulation.Result, file string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s: %s\n", strings.TrimPrefix(filepath.ToSlash(file), "../../"), res.Description)
	p("# Recorded by TestScenarioGoldens; rewrite with: go test ./internal/simulation/ -run TestScenarioGoldens -update\n")
	p("customer: %s <%s>, %s, %s\n", res.Customer.ID, res.Customer.Email, res.Customer.Locale, res.Customer.Timezone)
	p("policy: %s\n", res.Policy)
	p("days: 0 (%s) to %d (%s)\n", stamp(res.Start), res.EndDay, stamp(res.End))
	p("stage at the end: %s\n", res.Stage)
	p("expectations: %d, passed: %t\n", len(res.Checks), res.Passed)

	p("\n== timeline\n")
	for _, e := range res.Timeline {
		if e.Event != "" {
			p("day %d %s  event %s\n", e.Day, stamp(e.At), e.Event)
			continue
		}
		p("day %d %s  %s %s key=%s", e.Day, stamp(e.At), e.Outcome, e.Kind, e.Key)
		if !e.Until.IsZero() {
			p(" until=%s", stamp(e.Until))
		}
		p(": %s\n", e.Reason)
	}

	if len(res.Attributions) > 0 {
		p("\n== purchases as the report counts them\n")
		for _, a := range res.Attributions {
			p("day %d %s  %s\n", a.Day, stamp(a.At), a)
		}
	}

	p("\n== emails: %d\n", len(res.Emails))
	for i, e := range res.Emails {
		p("\n-- email %d\n", i+1)
		p("to:      %s\n", e.To)
		p("kind:    %s\n", e.Kind)
		p("key:     %s\n", e.Key)
		p("subject: %s\n", e.Subject)
		p("sent:    day %d, %s (%s)\n", e.Day, stamp(e.At), e.Local)
		p("html:    sha256 %x\n", sha256.Sum256([]byte(e.HTML)))
		p("text:\n")
		for _, line := range strings.Split(strings.TrimRight(e.Text, "\n"), "\n") {
			p("  | %s\n", line)
		}
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// TestEventErrorsGolden parses broken events, one scenario each, and compares every message (with
// its line) with testdata/golden/event-errors.golden: each event type's checks and YAML fields.
func TestEventErrorsGolden(t *testing.T) {
	const base = `customer: {id: david, email: david@example.com}
catalogue:
  products:
    - {sku: A, product: a, category: trousers, price: "10.00", stock: 1, collections: [autumn]}
start: "2026-01-05T10:00:00Z"
events:
  - day: 0
    purchase: {sku: A}
`
	events := []string{
		// Each event type's own checks.
		"{day: 1, purchase: {}}",
		"{day: 1, purchase: {sku: Z}}",
		"{day: 1, purchase: {sku: A, id: a/b}}",
		"{day: 1, restock: {sku: A, quantity: 0}}",
		"{day: 1, restock: {}}",
		"{day: 1, sale: {}}",
		"{day: 3, sale: {category: shoes, discount: 95, until_day: 1}}",
		"{day: 1, sale: {category: trousers, discount: 0}}",
		"{day: 1, season: {}}",
		"{day: 1, season: {collection: Autumn}}",
		"{day: 1, unsubscribe: {}}",
		"{day: 1, consent: {}}",
		"{day: 1, preferences: {kinds: [bogus, sale, sale]}}",
		"{day: 1, suppress: {event: open}}",
		"{day: 1, interested: {}}",
		"{day: 1, interested: {kind: checkin, offer_day: 5}}",
		"{day: 1, interested: {offer_day: -1}}",
		"{day: 1, usage: {}}",
		"{day: 1, usage: {metric: m, used: -1, limit: 0, contract_ends_day: -3}}",
		"{day: 1, complaint: {}}",
		"{day: 1, segment: {segment: vip}}",
		"{day: 1, checkin: {}}",
		// What every event has: day, at, exactly one action.
		"{day: 1}",
		"{day: 1, sale: {category: trousers, discount: 10}, season: {collection: autumn}, complaint: {}}",
		"{purchase: {sku: A}}",
		"{day: -2, purchase: {sku: A}}",
		"{day: 1, at: '7:00', purchase: {sku: A}}",
		"{day: 0, at: '09:00', purchase: {sku: A}}",
	}
	// YAML the decoder refuses: unknown fields in each event type, wrong types.
	decoding := []string{
		"{day: 1, purchase: {sku: A, colour: x}}",
		"{day: 1, restock: {sku: A, quantity: 1, colour: x}}",
		"{day: 1, sale: {category: trousers, discount: 10, until: 3}}",
		"{day: 1, season: {name: x}}",
		"{day: 1, unsubscribe: {why: x}}",
		"{day: 1, consent: {granted: true, by: x}}",
		"{day: 1, preferences: {colours: [x]}}",
		"{day: 1, suppress: {type: bounce}}",
		"{day: 1, interested: {kind: sale, day: 1}}",
		"{day: 1, usage: {metric: m, used: 1, limit: 2, contract: 3}}",
		"{day: 1, complaint: {why: x}}",
		"{day: 1, segment: {segment: leaver, reason: x}}",
		"{day: 1, checkin: {happy: true, why: x}}",
		"{day: 1, refund: {sku: A}}",
		"{day: x, purchase: {sku: A}}",
		"{day: 1, purchase: A}",
		"{day: 1, restock: {sku: A, quantity: many}}",
		"{day: 1, consent: {granted: maybe}}",
		"nonsense",
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Recorded by TestEventErrorsGolden; rewrite with: go test ./internal/simulation/ -run TestEventErrorsGolden -update\n")
	fmt.Fprintf(&b, "# Each scenario is this base with one more event on line 9, then expect on line 10:\n")
	for _, line := range strings.Split(strings.TrimRight(base, "\n"), "\n") {
		fmt.Fprintf(&b, "#   %s\n", line)
	}
	for i, ev := range append(events, decoding...) {
		// A broken expectation too: the messages come in the file's order, the decoder's first.
		expect := "expect: [{stage: gone}]\n"
		if i >= len(events) {
			expect = "expect: [{stage: new, colour: red}]\n"
		}
		raw := base + "  - " + ev + "\n" + expect
		_, err := simulation.ParseScenario([]byte(raw), "s.yaml")
		fmt.Fprintf(&b, "\n-- %s\n", ev)
		if err == nil {
			fmt.Fprintf(&b, "no error\n")
			continue
		}
		fmt.Fprintf(&b, "%s\n", err)
	}
	golden := filepath.Join(goldenDir, "event-errors.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
		return
	}
	raw, err := os.ReadFile(golden)
	require.NoError(t, err, "record %s with -update", golden)
	require.Equal(t, string(raw), b.String(), "the messages for broken events differ from %s (after an intended change: -update)", golden)
}
