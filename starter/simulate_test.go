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

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/simulation"
)

const tailorScenario = "../examples/tailor.yaml"

// simulate runs `starter simulate args...` with an empty environment: no server is needed.
func simulate(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, append([]string{"simulate"}, args...), &out, &errOut, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

func TestSimulateTailorStory(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := simulate(t, "--scenario", tailorScenario, "--out", dir)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	require.Empty(t, stderr)
	for _, want := range []string{
		"Now in stock in grey: Classic trousers",
		"Sale: 20% off trousers in your size",
		"New in, chosen for you",
		"Expectations: 6 passed, 0 failed",
		"wrote 6 files to " + dir,
	} {
		require.Contains(t, stdout, want)
	}
	for _, name := range []string{"14-restock", "44-sale", "90-season"} {
		for _, ext := range []string{".html", ".txt"} {
			_, err := os.Stat(filepath.Join(dir, name+ext))
			require.NoError(t, err, "--out must write %s%s", name, ext)
		}
	}
}

func TestSimulateJSON(t *testing.T) {
	code, stdout, stderr := simulate(t, "--scenario", tailorScenario, "--json")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var res simulation.Result
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.True(t, res.Passed)
	require.Len(t, res.Emails, 3)
	require.Equal(t, 44, res.Emails[1].Day)
	require.Equal(t, "7d", res.Policy.MinGap)
}

func TestSimulateFailedExpectation(t *testing.T) {
	raw, err := os.ReadFile(tailorScenario)
	require.NoError(t, err)
	wrong := filepath.Join(t.TempDir(), "wrong.yaml")
	require.NoError(t, os.WriteFile(wrong, []byte(strings.Replace(string(raw), "{email: sale, day: 44}", "{email: sale, day: 45}", 1)), 0o644))

	code, stdout, stderr := simulate(t, "--scenario", wrong)
	require.Equal(t, exitFailed, code)
	require.Contains(t, stdout, "FAIL  line 37  email: sale, day: 45")
	require.Contains(t, stderr, "1 expectation(s) failed")
	require.Contains(t, stderr, "expected a sale email on day 45, but the only sale email went out on day 44")
}

func TestSimulateConfigReplacesPolicy(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "lifecycle.yaml")
	require.NoError(t, os.WriteFile(policy, []byte("min_gap: 40d\n"), 0o644))
	code, stdout, stderr := simulate(t, "--scenario", tailorScenario, "--config", policy)
	require.Equal(t, exitFailed, code, "stdout: %s", stdout)
	require.Contains(t, stdout, "Policy: min_gap 40d, restock_window 60d, season_fallback 90d, no quiet_hours, no max_per_window\n")
	require.Contains(t, stderr, "went out on day 54 (deferred on day 44 until day 54 by min_gap 40d after the restock email on day 14)")

	// Quiet hours and a cap from the file: David's day-14 restock in New York (10:00) is fine, but
	// the sale on day 44 is capped by the restock within 60 days, until day 74.
	require.NoError(t, os.WriteFile(policy, []byte("quiet_hours: \"21:00-08:00\"\nmax_per_window: 1\ncap_window: 60d\n"), 0o644))
	code, stdout, stderr = simulate(t, "--scenario", tailorScenario, "--config", policy)
	require.Equal(t, exitFailed, code, "stdout: %s", stdout)
	require.Contains(t, stdout, "Policy: min_gap 7d, restock_window 60d, season_fallback 90d, quiet_hours 21:00-08:00 local time, max_per_window 1 per cap_window 60d\n")
	require.Contains(t, stderr, "expected a sale email on day 44, but ")
	require.Contains(t, stderr, "max_per_window 1 per 60d")
}

func TestSimulateQuietHours(t *testing.T) {
	code, stdout, stderr := simulate(t, "--scenario", "../examples/quiet-hours.yaml")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	for _, want := range []string{
		"quiet_hours 21:00-08:00 local time",
		"14   Mon 2026-01-19 23:00 EST  event      restock",
		"deferred   restock   until day 15, Tue 2026-01-20 08:00 EST",
		`15   Tue 2026-01-20 08:00 EST  sent       restock   "Now in stock in grey: Classic trousers"`,
		"  day 62  Sun 2026-03-08 08:00 EDT  sale",
		"Expectations: 6 passed, 0 failed",
	} {
		require.Contains(t, stdout, want)
	}
}

func TestSimulateBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("customer: {id: x, email: x@example.com}\ncatalogue: {products: []}\nevents:\n  - day: 1\n    restock: {sku: B, quantity: 1, when: now}\n"), 0o644))
	badQuiet := filepath.Join(dir, "quiet.yaml")
	require.NoError(t, os.WriteFile(badQuiet, []byte("customer: {id: x, email: x@example.com}\ncatalogue: {products: [{sku: A, product: a, price: \"1\", stock: 1}]}\nevents: [{day: 0, purchase: {sku: A}}]\npolicy:\n  quiet_hours: late\n"), 0o644))
	badPolicy := filepath.Join(dir, "policy.yaml")
	require.NoError(t, os.WriteFile(badPolicy, []byte("min_gap: soon\n"), 0o644))
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{"missing --scenario FILE.yaml"}},
		{[]string{"--scenario", filepath.Join(dir, "none.yaml")}, []string{"read scenario", "none.yaml"}},
		{[]string{"--scenario", bad}, []string{"line 5: field when not found in restock (known: sku, quantity, holdout)"}},
		{[]string{"--scenario", tailorScenario, "--config", badPolicy}, []string{`min_gap: "soon" is not a duration`}},
		{[]string{"--scenario", badQuiet}, []string{`line 5: policy: quiet_hours: "late" is not a window like 21:00-08:00`}},
		{[]string{"--scenario", tailorScenario, "--speed", "fast"}, []string{"flag provided but not defined: --speed"}},
	}
	for _, tt := range tests {
		code, stdout, stderr := simulate(t, tt.args...)
		require.Equal(t, exitUsage, code, "starter simulate %v: stdout %s", tt.args, stdout)
		for _, want := range tt.want {
			require.Contains(t, stderr, want, "starter simulate %v", tt.args)
		}
		require.Contains(t, stderr, "usage: starter simulate --scenario FILE.yaml", "starter simulate %v", tt.args)
	}
}

func TestSimulateHelp(t *testing.T) {
	code, stdout, _ := simulate(t, "--help")
	require.Equal(t, exitOK, code)
	for _, f := range []string{"--scenario FILE.yaml", "--out DIR", "--config LIFECYCLE.yaml", "--json", "docs/SCENARIOS.md"} {
		require.Contains(t, stdout, f)
	}
}
