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
	existing, err := filepath.Glob(filepath.Join(goldenDir, "*.golden"))
	require.NoError(t, err)
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
