package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

const usageDetails = `Sends one meter reading of a metered product (e.g. MB of a data bundle) to the customer's
workflow. The first reading of a bundle period at the usage threshold is the moment of truth: the
workflow looks at how the customer handled their limit before and decides on an offer. A reading
lower than the previous one, or with another --limit, starts a new period. The reading is kept in
PostgreSQL only until its signal is delivered (the same customer, metric and --at again sends
nothing); the workflow keeps a year of periods per metric.`

// usageTimeLayout is the layout --at takes.
const usageTimeLayout = time.RFC3339

func runUsage(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	metric := fs.String("metric", "", "`NAME` of the metered product, e.g. data_mb (required)")
	used := fs.Float64("used", 0, "units used so far in this bundle period, `X` >= 0 (required)")
	limit := fs.Float64("limit", 0, "units in the bundle, `Y` > 0 (required)")
	at := fs.String("at", "", "when the meter was read, `TIME` like 2026-06-01T10:30:00Z (default: now)")
	contractEnds := fs.String("contract-ends", "", "the day the customer's contract ends, `YYYY-MM-DD`, if known")
	var reading lifecycle.UsageReading
	customerID, err := a.parseCustomerFlags(c, fs, args, "`ID` of the customer (required)", func(p *problems) {
		p.line("metric", *metric, lifecycle.MaxLabelLen)
		reading = parseUsageReading(p, fs, *metric, *used, *limit, *at, *contractEnds, a.now().UTC())
	})
	if err != nil {
		return err // nothing was sent
	}

	ev, st, err := a.events(ctx)
	if err != nil {
		return err
	}
	// Checked first, to say what to do: the layer would refuse an unknown customer too.
	if _, err := st.Customer(ctx, customerID); errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("nothing sent: no customer %q in the database: check the id or import it first (starter import customers FILE.csv)", customerID)
	} else if err != nil {
		return explainStoreError(err)
	}
	res, err := ev.Usage(ctx, events.Usage{CustomerID: customerID, Reading: reading})
	if err != nil {
		return explainStoreError(err)
	}
	if !res.New {
		fmt.Fprintf(a.stdout, "this reading (%s) was recorded before; nothing new sent\n", res.EventID)
		return nil
	}
	if res.DeliveryError != nil {
		return fmt.Errorf("usage reading recorded, but the workflow was not told yet (the worker tells it within %s once Temporal answers): %w",
			relayInterval, res.DeliveryError)
	}
	fmt.Fprintf(a.stdout, "sent usage reading to customer %s: %s %g of %g (%.0f%%) at %s; workflow %s\n",
		customerID, reading.Metric, reading.Used, reading.Limit, reading.Used/reading.Limit*100,
		reading.At.Format(timeLayout), workflows.CustomerWorkflowID(customerID))
	return nil
}

// parseUsageReading builds the reading from its flags and adds their mistakes to p, all at once.
// No --at means now.
func parseUsageReading(p *problems, fs *flag.FlagSet, metric string, used, limit float64, at, contractEnds string, now time.Time) lifecycle.UsageReading {
	r := lifecycle.UsageReading{Metric: lifecycle.Normalize(metric), Used: used, Limit: limit, At: now}
	if r.Metric == "" {
		p.addf("missing --metric NAME (e.g. data_mb)")
	}
	switch {
	case !flagSet(fs, "used"):
		p.addf("missing --used X")
	case math.IsNaN(used) || math.IsInf(used, 0) || used < 0:
		p.addf("--used must be a number of units, 0 or more, got %g", used)
	}
	switch {
	case !flagSet(fs, "limit"):
		p.addf("missing --limit Y")
	case math.IsNaN(limit) || math.IsInf(limit, 0) || limit <= 0:
		p.addf("--limit must be a number of units above 0, got %g", limit)
	}
	if strings.TrimSpace(at) != "" {
		t, err := time.Parse(usageTimeLayout, strings.TrimSpace(at))
		if err != nil {
			p.addf("--at %q is not a time like %s", at, now.Format(usageTimeLayout))
		} else {
			r.At = t.UTC()
		}
	}
	if strings.TrimSpace(contractEnds) != "" {
		day, err := time.Parse(dateLayout, strings.TrimSpace(contractEnds))
		if err != nil {
			p.addf("--contract-ends %q is not a date like %s", contractEnds, now.AddDate(1, 0, 0).Format(dateLayout))
		} else {
			r.ContractEndsAt = day
		}
	}
	return r
}
