package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

func runConsent(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	grant := fs.Bool("grant", false, "the customer gives marketing consent")
	withdraw := fs.Bool("withdraw", false, "the customer withdraws marketing consent")
	source := fs.String("source", "starter", "where the consent comes from, e.g. shop-counter, phone, import")
	customerID, err := a.parseCustomerFlags(c, fs, args, "`ID` of the customer (required)", func(p *problems) {
		if *grant == *withdraw {
			p.addf("give exactly one of --grant or --withdraw")
		}
		if strings.TrimSpace(*source) == "" {
			p.addf("--source must not be empty")
		}
		p.line("source", *source, lifecycle.MaxLabelLen)
	})
	if err != nil {
		return err
	}
	ev, _, err := a.events(ctx)
	if err != nil {
		return err
	}
	// The database first (SendFollowUp checks it before every marketing email), owing the workflow
	// its signal in the same transaction; then the signal.
	if err := a.consent(ctx, ev, events.Consent{CustomerID: customerID, Granted: *grant, Source: *source}); err != nil {
		return err
	}
	verb := "granted"
	if !*grant {
		verb = "withdrawn; pending follow-ups stopped"
	}
	fmt.Fprintf(a.stdout, "marketing consent of customer %s %s (source %s)\n", customerID, verb, *source)
	return nil
}

// consent records a consent change through the event layer and tells the user when its signal
// could not be delivered yet; then it delivers the signals owed from earlier runs.
func (a *app) consent(ctx context.Context, ev *events.Service, c events.Consent) error {
	res, err := ev.Consent(ctx, c)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("no customer %q in the database: check the id or import it first (starter import customers FILE.csv)", c.CustomerID)
	}
	if err != nil {
		return explainStoreError(err)
	}
	if res.DeliveryError != nil {
		return fmt.Errorf("consent saved in the database, but the workflow was not told yet (the worker tells it within %s once Temporal answers, or run the command again): %w",
			relayInterval, res.DeliveryError)
	}
	a.relayEarlier(ctx, ev)
	return nil
}
