package report

import "math"

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Interval is an estimate with the bounds of its 95% interval.
type Interval struct {
	Estimate float64 `json:"estimate"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
}

// Width is High - Low.
func (i Interval) Width() float64 { return i.High - i.Low }

// Wilson is the Wilson score interval of the proportion x/n. n must be positive.
func Wilson(x, n int64, z float64) Interval {
	p := float64(x) / float64(n)
	nf := float64(n)
	z2 := z * z
	centre := p + z2/(2*nf)
	spread := z * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	denom := 1 + z2/nf
	return Interval{Estimate: p, Low: (centre - spread) / denom, High: (centre + spread) / denom}
}

// DifferenceOfProportions is x1/n1 - x2/n2 with Newcombe's hybrid score interval (his method
// 10, 1998), which, unlike the normal approximation, stays inside [-1, 1] and keeps its coverage
// for small groups and rates near 0, as conversion rates are. n1 and n2 must be positive.
func DifferenceOfProportions(x1, n1, x2, n2 int64, z float64) Interval {
	a, b := Wilson(x1, n1, z), Wilson(x2, n2, z)
	d := a.Estimate - b.Estimate
	return Interval{
		Estimate: d,
		Low:      d - math.Sqrt(sq(a.Estimate-a.Low)+sq(b.High-b.Estimate)),
		High:     d + math.Sqrt(sq(a.High-a.Estimate)+sq(b.Estimate-b.Low)),
	}
}

func sq(x float64) float64 { return x * x }
