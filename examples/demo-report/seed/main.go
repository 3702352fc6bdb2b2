// Command seed makes the data of `scripts/demo.sh report` (internal/seededeffect): the customers
// of a sale with a holdout, a wait until the campaign decided each of them, and their purchases,
// drawn with a known true effect of the email.
//
//	seed customers -prefix P -n N                        customers CSV on stdout
//	seed wait -prefix P -sale SALE_ID -n N [-timeout D]  until N follow-ups are sent or held out
//	seed orders -prefix P -sale SALE_ID -sku SKU [-emailed PCT] [-held-out PCT] [-seed S]
//	                                                     orders CSV on stdout, ordered now
//	seed check -group G [-emailed PCT] [-held-out PCT]   reads `starter report --json` on stdin:
//	                                                     does G's lift interval hold the true lift?
//
// wait and orders read DATABASE_URL: which customers were emailed and which held out, as the
// workflows recorded it (send_log, followup_outcomes).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/seededeffect"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("want customers, wait, orders or check")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	prefix := fs.String("prefix", "", "customer id prefix (required)")
	n := fs.Int("n", 600, "customers")
	sale := fs.String("sale", "", "the sale id, e.g. sale/linen/open-20")
	sku := fs.String("sku", "", "the SKU the buyers buy")
	emailed := fs.Float64("emailed", 12, "chance in percent that an emailed customer buys")
	heldOut := fs.Float64("held-out", 6, "chance in percent that a held-out customer buys")
	seed := fs.Uint64("seed", seededeffect.DemoSeed, "seed of the draw")
	timeout := fs.Duration("timeout", 2*time.Minute, "wait: how long at most")
	group := fs.String("group", "", "check: the report row to check")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if args[0] == "check" {
		return check(os.Stdin, *group, seededeffect.Effect{EmailedPct: *emailed, HeldOutPct: *heldOut})
	}
	if *prefix == "" {
		return fmt.Errorf("-prefix is required")
	}
	if args[0] == "customers" {
		return seededeffect.WriteCustomers(os.Stdout, seededeffect.CustomerIDs(*prefix, *n), "linen", "M")
	}
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	defer conn.Close(ctx)
	switch args[0] {
	case "wait":
		deadline := time.Now().Add(*timeout)
		for {
			groups, err := decided(ctx, conn, *prefix, *sale)
			if err != nil {
				return err
			}
			if len(groups) >= *n {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("after %s only %d of %d customers were emailed or held out", *timeout, len(groups), *n)
			}
			time.Sleep(time.Second)
		}
	case "orders":
		groups, err := decided(ctx, conn, *prefix, *sale)
		if err != nil {
			return err
		}
		e := seededeffect.Effect{EmailedPct: *emailed, HeldOutPct: *heldOut, Seed: *seed}
		return seededeffect.WriteOrders(os.Stdout, seededeffect.Buyers(groups, e), *sku, time.Now().Add(-time.Second))
	}
	return fmt.Errorf("unknown %q: want customers, wait or orders", args[0])
}

// decided maps each customer of prefix whose sale follow-up was emailed (false) or held out (true).
func decided(ctx context.Context, conn *pgx.Conn, prefix, saleID string) (map[string]bool, error) {
	rows, err := conn.Query(ctx, `
		SELECT customer_id, false FROM send_log
		WHERE status = 'sent' AND kind = 'sale' AND customer_id LIKE $1 || '-%' AND key = 'customer/' || customer_id || '/sale/' || $2
		UNION ALL
		SELECT customer_id, true FROM followup_outcomes
		WHERE outcome = 'held_out' AND kind = 'sale' AND customer_id LIKE $1 || '-%' AND key = 'customer/' || customer_id || '/sale/' || $2`,
		prefix, saleID)
	if err != nil {
		return nil, fmt.Errorf("read the sale's outcomes: %w", err)
	}
	out := map[string]bool{}
	for rows.Next() {
		var id string
		var held bool
		if err := rows.Scan(&id, &held); err != nil {
			return nil, err
		}
		out[id] = held
	}
	return out, rows.Err()
}

// check reads a report (--json) and says whether group's lift interval holds the true lift; an
// error when it does not, or when the group is missing or has no interval.
func check(r io.Reader, group string, e seededeffect.Effect) error {
	var rep struct {
		Rows []struct {
			Group              string `json:"group"`
			Sent               int64  `json:"sent"`
			HeldOut            int64  `json:"held_out"`
			Conversions        int64  `json:"conversions"`
			HoldoutConversions int64  `json:"holdout_conversions"`
			Lift               struct {
				Estimate *float64 `json:"estimate"`
				Low      *float64 `json:"low"`
				High     *float64 `json:"high"`
			} `json:"lift"`
		}
	}
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return fmt.Errorf("read the report: %w", err)
	}
	for _, row := range rep.Rows {
		if row.Group != group {
			continue
		}
		if row.Lift.Low == nil || row.Lift.High == nil || row.Lift.Estimate == nil {
			return fmt.Errorf("group %s has no lift interval (emailed %d, held out %d)", group, row.Sent, row.HeldOut)
		}
		truth, low, high := e.Lift(), *row.Lift.Low, *row.Lift.High
		fmt.Printf("true effect: %.0f%% of the emailed buy against %.0f%% of the held out, a lift of %.1f points\n", e.EmailedPct, e.HeldOutPct, truth*100)
		fmt.Printf("the report: %d of %d emailed bought (%.1f%%), %d of %d held out (%.1f%%): lift %.1f points, 95%% interval [%.1f, %.1f]\n",
			row.Conversions, row.Sent, pct(row.Conversions, row.Sent), row.HoldoutConversions, row.HeldOut, pct(row.HoldoutConversions, row.HeldOut),
			*row.Lift.Estimate*100, low*100, high*100)
		if truth < low || truth > high {
			return fmt.Errorf("the interval [%.1f, %.1f] misses the true lift %.1f points", low*100, high*100, truth*100)
		}
		fmt.Printf("the interval holds the true lift of %.1f points\n", truth*100)
		return nil
	}
	return fmt.Errorf("the report has no group %s", group)
}

func pct(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) * 100 / float64(of)
}
