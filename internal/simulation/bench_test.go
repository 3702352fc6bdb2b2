package simulation_test

import (
	"context"
	"testing"

	"github.com/tailorhq/tailor/internal/simulation"
)

// BenchmarkSimulateYear measures one customer's year (testdata/year.yaml: 30 events, 13 emails,
// more than 50 decisions) from a fresh test environment to the checked result.
//
//	go test -run '^$' -bench SimulateYear -benchmem ./internal/simulation
func BenchmarkSimulateYear(b *testing.B) {
	sc := load(b, "testdata/year.yaml")
	ctx := context.Background()
	for b.Loop() {
		res, err := simulation.Run(ctx, sc, simulation.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !res.Passed || len(res.Emails) != 13 {
			b.Fatalf("year: passed %v, %d emails", res.Passed, len(res.Emails))
		}
	}
}
