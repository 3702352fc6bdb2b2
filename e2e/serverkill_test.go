package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/temporaltest"
)

// TestDrillTemporalServerKilled is the drill only a real server allows (issue 20): the Temporal
// server process on PostgreSQL, the one scripts/temporal-postgres.sh runs, is killed with SIGKILL
// (no clean stop: whatever it had not written to PostgreSQL is gone) while a customer's season
// fallback timer and a sale campaign are pending, and started again through the script. Nothing
// may be lost and nothing doubled: every customer of the sale gets its email once, the timer
// fires once, the campaign ends done.
//
// It runs only against that server:
//
//	scripts/test-postgres-temporal.sh -run TestDrillTemporalServerKilled -v ./e2e
func TestDrillTemporalServerKilled(t *testing.T) {
	script := serverScript(t)
	const customers, killAfter = 30, 5
	// season_fallback leaves the campaign, the kill and the restart time before the timer is due.
	s := newStack(t, true, withPolicy("min_gap: 1s\nrestock_window: 2m\nseason_fallback: 30s\n"))
	s.starter("setup")
	s.starter("import", "products", s.file("products.csv", e2eProducts))
	ids, rows := crowd("c", customers, "suits")
	csv := customersHeader + "david,David Sable,david@example.com,en,America/New_York,,50,,true\n" + rows
	require.Contains(t, s.starter("import", "customers", s.file("customers.csv", csv)),
		fmt.Sprintf("imported %d customers", customers+1))
	s.startWorker()

	// David's trousers: a season fallback timer, and David outside the suits sale's audience.
	s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--id", "p1")
	due := s.awaitPendingDue("david", "season")

	// The sale, slowed down (5 customers a second) so that it is mid-way when the server dies.
	until, saleID := weekSale("suits")
	campaign := "campaign/" + saleID
	require.Contains(t, s.starter("sale", "--category", "suits", "--discount", "20", "--until", until,
		"--page-size", "10", "--concurrency", "2", "--rate", "5"), "started campaign "+campaign)
	s.awaitMessages(killAfter, fmt.Sprintf("%d sale emails", killAfter))

	killed := time.Now()
	runScript(t, script, "kill")
	before := len(s.sink.Messages())
	// Down for a moment: the worker's polls and the campaign's signals fail, and it lives on.
	require.Never(t, s.worker.exited, time.Second, e2ePoll, "the worker must ride out the server's death")
	runScript(t, script, "up")
	back := time.Now()
	require.True(t, back.Before(due.Add(-time.Second)),
		"the restart (back at %s) must end before the timer is due (%s); raise season_fallback", back.Format(time.RFC3339Nano), due.Format(time.RFC3339Nano))

	s.awaitMessages(customers+1, "every sale email and the season fallback after the restart")
	s.requireNoMoreMail(customers+1, time.Now().Add(drillQuiet), "after the campaign and the timer")

	s.requireSentOnce(append(saleKeys(saleID, ids), "customer/david/season/fallback-p1")...)
	var season time.Time
	for _, m := range s.sink.Messages() {
		if m.Kind == "season" {
			season = m.ReceivedAt
		}
	}
	var out string
	require.Eventually(t, func() bool {
		out = s.run("campaign", "status", campaign).stdout
		return strings.Contains(out, "done")
	}, e2eTimeout, e2ePoll, "the campaign ends done after the restart: %s", out)
	t.Logf("drill: Temporal server SIGKILLed with a timer and a campaign pending: %d of %d sale emails before the kill, server back %v after it; every customer once; the timer due %v after the restart fired %v after due\n%s",
		before, customers, back.Sub(killed).Round(100*time.Millisecond), due.Sub(back).Round(100*time.Millisecond),
		season.Sub(due).Round(100*time.Millisecond), out)
}

// serverScript skips the test unless the tests run against the server of
// scripts/temporal-postgres.sh, and returns the script's path.
func serverScript(t *testing.T) string {
	t.Helper()
	addr, ok := temporaltest.External()
	if !ok {
		t.Skipf("needs the PostgreSQL-backed server: run scripts/test-postgres-temporal.sh (%s is not set)", temporaltest.ExternalAddressEnv)
	}
	root, err := temporaltest.RepoRoot()
	require.NoError(t, err)
	script := filepath.Join(root, "scripts", "temporal-postgres.sh")
	out, err := exec.Command(script, "address").Output()
	require.NoError(t, err, "%s address", script)
	if got := strings.TrimSpace(string(out)); got != addr {
		t.Skipf("%s=%s is not the server %s runs (%s): this drill kills only that one", temporaltest.ExternalAddressEnv, addr, script, got)
	}
	return script
}

// runScript runs scripts/temporal-postgres.sh with one command and fails the test with its output.
func runScript(t *testing.T, script, command string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, script, command).CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", script, command, out)
}
