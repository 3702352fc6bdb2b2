package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The delete command forget prints, pasted into a shell, deletes the runs of that one workflow,
// whatever the customer id holds: the shell passes the query as one word and runs nothing else,
// and the query names the id as one literal. An id it cannot quote gets no command.
func TestForgetDeleteCommandQuotesTheID(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to parse the command with")
	}
	canary := filepath.Join(t.TempDir(), "ran")
	for _, id := range []string{"ann", "p != q OR x", "$(touch " + canary + ")", "`touch " + canary + "`", "a b;c&d|e*"} {
		workflowID := "customer/" + id
		cmd, ok := deleteRunsCommand(workflowID)
		require.True(t, ok, "id %q", id)
		require.True(t, strings.HasPrefix(cmd, "temporal "), "id %q: %s", id, cmd)
		// The shell's reading of the arguments, with printf in temporal's place.
		out, err := exec.Command(sh, "-c", "set -- "+strings.TrimPrefix(cmd, "temporal ")+`; printf '%s\n' "$@"`).Output()
		require.NoError(t, err, "id %q: %s", id, cmd)
		assert.Equal(t, []string{"workflow", "delete", "--query", `WorkflowId = "` + workflowID + `"`, "--yes"},
			strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), "id %q: %s", id, cmd)
		assert.NoFileExists(t, canary, "id %q ran a command: %s", id, cmd)
	}
	for _, id := range []string{"o'brien", "z' OR WorkflowId != '", `a"b`, `a\b`} {
		_, ok := deleteRunsCommand("customer/" + id)
		assert.False(t, ok, "id %q has no safe quoting", id)
	}
}
