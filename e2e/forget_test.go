package e2e

import (
	"encoding/base64"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// payloadData is a payload's data in `temporal workflow show --output json`.
var payloadData = regexp.MustCompile(`"data": "([A-Za-z0-9+/=]+)"`)

// TestForgetEndToEnd forgets a customer through the binaries, with TAILOR_CODEC_KEYS: before,
// an operator reads David's history through the worker's codec endpoint; after `starter forget
// --customer david --yes` the same endpoint decodes none of it, `starter status` cannot read him,
// PostgreSQL and the outbox hold nothing of his, while Els's history still decodes.
func TestForgetEndToEnd(t *testing.T) {
	s := newStack(t, false, withHTTP())
	s.env = append(s.env, "TAILOR_CODEC_KEYS=e2e:"+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	s.starter("setup")
	s.starter("import", "products", s.file("products.csv", e2eProducts))
	s.starter("import", "customers", s.file("customers.csv", e2eCustomers))
	s.startWorker()
	s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1")
	s.starter("purchase", "--customer", "els", "--sku", "TR-BLUE-50", "--wanted-color", "green", "--id", "p2")
	require.Contains(t, s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "3", "--wait"), "notified 1 customers")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		html, _ := filepath.Glob(filepath.Join(s.outboxDir, "david", "*.html"))
		assert.Len(c, html, 1, "david's restock email in the outbox")
	}, e2eTimeout, e2ePoll)

	// What an operator sees through the codec endpoint, as the Temporal UI would show it.
	show := func(customer string) string {
		out, err := exec.Command(temporaltest.CLIPath(t), "workflow", "show", "--address", s.temporal.HostPort,
			"--namespace", s.temporal.Namespace, "--workflow-id", workflows.CustomerWorkflowID(customer), "--output", "json",
			"--codec-endpoint", s.opsURL+"/codec").CombinedOutput()
		text := string(out)
		if err != nil {
			text += "\n(exit: " + err.Error() + ")"
		}
		// The CLI prints each payload's data in base64: decode what decodes.
		for _, m := range payloadData.FindAllStringSubmatch(text, -1) {
			if raw, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
				text += "\n" + string(raw)
			}
		}
		return text
	}
	require.Contains(t, show("david"), "TR-BLUE-50", "before forget an operator reads david's history")

	out := s.starter("forget", "--customer", "david", "--yes")
	for _, want := range []string{"forgot customer david", "customer/david terminated", "unreadable", "removed " + filepath.Join(s.outboxDir, "david")} {
		require.Contains(t, out, want, "starter forget --customer david --yes:\n%s", out)
	}
	t.Logf("starter forget --customer david --yes:\n%s", out)

	david := show("david")
	require.NotContains(t, david, "TR-BLUE-50", "after forget the codec endpoint decodes nothing of david's:\n%s", david)
	require.NotContains(t, david, `"grey"`)
	require.Contains(t, show("els"), "TR-BLUE-50", "els's history still decodes")

	status := s.run("status", "--customer", "david")
	require.NotEqual(t, 0, status.code, "starter status of a forgotten customer: %s", status)
	require.Contains(t, s.starter("status", "--customer", "els"), "green", "els's status still reads")

	_, err := s.store.Customer(t.Context(), "david")
	require.ErrorIs(t, err, lifecycle.ErrNotFound, "david in PostgreSQL")
	_, err = s.store.CustomerDataKey(t.Context(), "david")
	require.ErrorIs(t, err, lifecycle.ErrForgotten, "david's data key")
	require.NoDirExists(t, filepath.Join(s.outboxDir, "david"))
	require.Contains(t, s.workerLog.String(), "payloads in Temporal are encrypted")
}
