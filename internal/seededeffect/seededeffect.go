// Package seededeffect makes the data of the report demo (scripts/demo.sh report): customers of
// a sale with a holdout, and purchases drawn with a known true effect of the email, so that the
// report's lift and its interval can be checked against the truth.
//
// Contract: the same customers, groups and Effect give the same buyers on every machine (a PCG
// seeded with Effect.Seed, customers taken in byte order of their ids); each customer buys with
// the chance of their group, drawn independently, so the realised rates scatter around the true
// ones as real purchases would.
package seededeffect

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"time"
)

// Effect is a known true effect: the chance, in percent, that an emailed and a held-out customer
// buy within the attribution window. The true lift is EmailedPct - HeldOutPct points.
type Effect struct {
	EmailedPct, HeldOutPct float64
	Seed                   uint64
}

// DemoSeed is the seed scripts/demo.sh report draws its purchases with.
const DemoSeed = 2026

// Lift is the true absolute lift as a fraction (0.06 for 12% against 6%).
func (e Effect) Lift() float64 { return (e.EmailedPct - e.HeldOutPct) / 100 }

// CustomerIDs are n customer ids prefix-0001, prefix-0002, ...
func CustomerIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i+1)
	}
	return ids
}

// WriteCustomers writes a customers CSV (starter import customers) of ids, who like category in
// size and consent to marketing mail, so that a sale on category reaches every one of them.
func WriteCustomers(w io.Writer, ids []string, category, size string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "email", "locale", "timezone", "colors", "sizes", "categories", "consent"})
	for i, id := range ids {
		_ = cw.Write([]string{id, fmt.Sprintf("Shopper %d", i+1), id + "@example.com", "en", "Europe/Amsterdam", "", size, category, "true"})
	}
	cw.Flush()
	return cw.Error()
}

// Buyers draws who buys: heldOut maps each customer the campaign decided to whether they were
// held out (false: emailed). It returns the buyers in byte order.
func Buyers(heldOut map[string]bool, e Effect) []string {
	rng := rand.New(rand.NewPCG(e.Seed, e.Seed^0x9e3779b97f4a7c15))
	var out []string
	for _, id := range slices.Sorted(maps.Keys(heldOut)) {
		pct := e.EmailedPct
		if heldOut[id] {
			pct = e.HeldOutPct
		}
		if rng.Float64()*100 < pct {
			out = append(out, id)
		}
	}
	return out
}

// WriteOrders writes an orders CSV (starter import orders): one order of sku per buyer, at.
func WriteOrders(w io.Writer, buyers []string, sku string, at time.Time) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"order_id", "customer_id", "sku", "ordered_at"})
	for _, id := range buyers {
		_ = cw.Write([]string{"order-" + id, id, sku, at.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}
