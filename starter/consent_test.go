package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

// flakyTemporal is a Temporal client whose first failures SignalWithStartWorkflow calls fail, as
// when the frontend restarts; it records the signals that got through.
type flakyTemporal struct {
	client.Client // nil: any other call panics, so the test sees what the command uses
	mu            sync.Mutex
	failures      int
	delivered     []workflows.ConsentSignal
	workflowIDs   []string
}

func (f *flakyTemporal) SignalWithStartWorkflow(_ context.Context, workflowID, signalName string, signalArg any,
	_ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return nil, errors.New("frontend unavailable")
	}
	if signalName != workflows.SignalConsent {
		return nil, errors.New("unexpected signal " + signalName)
	}
	f.delivered = append(f.delivered, signalArg.(workflows.ConsentSignal))
	f.workflowIDs = append(f.workflowIDs, workflowID)
	return nil, nil
}

func (f *flakyTemporal) Close() {}

// Finding 7 of issue #13: a consent change whose signal failed was never re-sent by importing the
// same file again (the file has no change left), though the message said re-running was safe.
func TestReimportDeliversAConsentSignalThatFailed(t *testing.T) {
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, csv string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte("id,name,email,locale,timezone,colors,sizes,consent\n"+csv), 0o600))
		return path
	}
	first := write("first.csv", "ann,Ann,ann@example.com,en,Europe/London,,,true\nbob,Bob,bob@example.com,en,Europe/London,,,true\n")
	withdraw := write("withdraw.csv", "ann,Ann,ann@example.com,en,Europe/London,,,false\nbob,Bob,bob@example.com,en,Europe/London,,,true\n")

	tc := &flakyTemporal{failures: 1}
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, now: time.Now, temporal: tc, getenv: func(name string) string {
		if name == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}}
	defer a.close()
	run := func(args ...string) int {
		out.Reset()
		errOut.Reset()
		return a.main(ctx, args)
	}

	require.Equal(t, exitOK, run("import", "customers", first), "stderr %q", errOut.String())

	// The signal fails: the command says so, and the change stays owed.
	require.Equal(t, exitFailed, run("import", "customers", withdraw), "stdout %q", out.String())
	assert.Contains(t, errOut.String(), "1 customer workflow signal(s) are still to be delivered")
	assert.Contains(t, errOut.String(), "import again, it is safe")
	assert.Empty(t, tc.delivered)
	owed, _, err := st.OwedSignals(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, owed, "after the failed signal")

	// The same file again: no change left in it, yet the owed signal goes out, exactly once.
	require.Equal(t, exitOK, run("import", "customers", withdraw), "stderr %q", errOut.String())
	assert.Contains(t, out.String(), "told 1 customer workflow(s) about their changed marketing consent (1 owed from an earlier run)")
	require.Len(t, tc.delivered, 1, "signals delivered: %+v", tc.delivered)
	assert.Equal(t, workflows.CustomerWorkflowID("ann"), tc.workflowIDs[0])
	assert.False(t, tc.delivered[0].Granted, "the latest state: withdrawn")
	assert.Equal(t, "import", tc.delivered[0].Source)
	owed, _, err = st.OwedSignals(ctx)
	require.NoError(t, err)
	require.Zero(t, owed, "nothing owed once delivered")

	// And once more: nothing owed, nothing sent.
	require.Equal(t, exitOK, run("import", "customers", withdraw), "stderr %q", errOut.String())
	assert.NotContains(t, out.String(), "told")
	require.Len(t, tc.delivered, 1)
}

// starter consent and unsubscribe: a failed signal stays owed and the next command delivers it
// along with its own.
func TestConsentCommandsDeliverWhatIsOwed(t *testing.T) {
	_, dbURL := storetest.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.csv")
	require.NoError(t, os.WriteFile(path, []byte("id,name,email,locale,timezone,colors,sizes\n"+
		"ann,Ann,ann@example.com,en,Europe/London,,\nbob,Bob,bob@example.com,en,Europe/London,,\n"), 0o600))
	tc := &flakyTemporal{}
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, now: time.Now, temporal: tc, getenv: func(name string) string {
		if name == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}}
	defer a.close()
	require.Equal(t, exitOK, a.main(ctx, []string{"import", "customers", path}), "stderr %q", errOut.String())

	tc.failures = 1
	require.Equal(t, exitFailed, a.main(ctx, []string{"unsubscribe", "--customer", "ann"}))
	assert.Contains(t, errOut.String(), "the workflow was not told yet")
	require.Empty(t, tc.delivered)

	require.Equal(t, exitOK, a.main(ctx, []string{"consent", "--customer", "bob", "--withdraw", "--source", "phone"}), "stderr %q", errOut.String())
	assert.Contains(t, out.String(), "also told 1 customer workflow(s) about events owed from earlier")
	require.Len(t, tc.delivered, 2)
	assert.Equal(t, []string{workflows.CustomerWorkflowID("bob"), workflows.CustomerWorkflowID("ann")}, tc.workflowIDs, "its own first")
	assert.Equal(t, "phone", tc.delivered[0].Source)
	assert.Equal(t, "starter", tc.delivered[1].Source)
}
