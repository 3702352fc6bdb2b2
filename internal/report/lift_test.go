package report

import (
	"math"
	"testing"
)

// TestDifferenceOfProportionsByHand checks the interval against Newcombe (1998), "Interval
// estimation for the difference between independent proportions", Table II, method 10, and
// example (a) against the steps done by hand (z = 1.96):
//
//	Wilson 56/70: p = 0.8, z²/2n = 0.027439, z·sqrt(p(1-p)/n + z²/4n²) = 0.097639,
//	              1 + z²/n = 1.054878 → (0.69183, 0.87695)
//	Wilson 48/80: p = 0.6, z²/2n = 0.024009, spread 0.110004, 1 + z²/n = 1.048018 → (0.49045, 0.70038)
//	d = 0.2; low  = 0.2 - sqrt(0.10817² + 0.10038²) = 0.2 - 0.14757 = 0.05243
//	         high = 0.2 + sqrt(0.07695² + 0.10955²) = 0.2 + 0.13387 = 0.33387
func TestDifferenceOfProportionsByHand(t *testing.T) {
	tests := []struct {
		x1, n1, x2, n2 int64
		est, low, high float64
	}{
		{56, 70, 48, 80, 0.2, 0.0524, 0.3339},   // Newcombe (1998) Table II (a)
		{9, 10, 3, 10, 0.6, 0.1705, 0.8090},     // Table II (b)
		{5, 56, 0, 29, 0.0893, -0.0381, 0.1926}, // Table II (d)
		{0, 10, 0, 20, 0, -0.1611, 0.2775},      // Table II (g)
	}
	for _, tt := range tests {
		got := DifferenceOfProportions(tt.x1, tt.n1, tt.x2, tt.n2, z95)
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"estimate", got.Estimate, tt.est}, {"low", got.Low, tt.low}, {"high", got.High, tt.high}} {
			if math.Abs(c.got-c.want) > 0.00006 {
				t.Errorf("%d/%d - %d/%d: %s = %.4f, want %.4f", tt.x1, tt.n1, tt.x2, tt.n2, c.name, c.got, c.want)
			}
		}
	}
}

// TestWilsonByHand: 56/70 is (0.6919, 0.8770) in Newcombe (1998), and by the steps above.
func TestWilsonByHand(t *testing.T) {
	got := Wilson(56, 70, z95)
	if math.Abs(got.Low-0.6918) > 0.0001 || math.Abs(got.High-0.8770) > 0.0001 {
		t.Errorf("Wilson(56/70) = (%.4f, %.4f), want (0.6918, 0.8770)", got.Low, got.High)
	}
}
