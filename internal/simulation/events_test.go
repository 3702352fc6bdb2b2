package simulation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every event type has its row in docs/SCENARIOS.md's events table, and a scenario file that uses
// it, so that TestScenarioGoldens protects what it does.
func TestEveryEventTypeIsDocumentedAndSimulated(t *testing.T) {
	doc, err := os.ReadFile("../../docs/SCENARIOS.md")
	require.NoError(t, err)
	goldens, err := filepath.Glob("testdata/golden/*-*.golden")
	require.NoError(t, err)
	var simulated strings.Builder
	for _, g := range goldens {
		raw, err := os.ReadFile(g)
		require.NoError(t, err)
		simulated.Write(raw)
	}
	for _, et := range eventTypes {
		if !strings.Contains(string(doc), "\n| `"+et.name+"` |") {
			t.Errorf("event type %s has no row in docs/SCENARIOS.md's events table", et.name)
		}
		if !strings.Contains(simulated.String(), "  event "+et.name+" ") {
			t.Errorf("event type %s is in no scenario file (examples/*.yaml, internal/simulation/testdata/*.yaml): add one and record its golden with -update", et.name)
		}
	}
}
