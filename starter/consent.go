package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

func runConsent(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	customerID := fs.String("customer", "", "`ID` of the customer (required)")
	grant := fs.Bool("grant", false, "the customer gives marketing consent")
	withdraw := fs.Bool("withdraw", false, "the customer withdraws marketing consent")
	source := fs.String("source", "starter", "where the consent comes from, e.g. shop-counter, phone, import")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	p.require("customer", "ID", *customerID)
	p.id("customer", *customerID)
	if *grant == *withdraw {
		p.addf("give exactly one of --grant or --withdraw")
	}
	if strings.TrimSpace(*source) == "" {
		p.addf("--source must not be empty")
	}
	p.line("source", *source, lifecycle.MaxLabelLen)
	if err := p.err(); err != nil {
		return err
	}
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	// The database first: SendFollowUp checks it before every marketing email.
	err = st.SetConsent(ctx, *customerID, *grant, *source)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("no customer %q in the database: check the id or import it first", *customerID)
	}
	if err != nil {
		return explainStoreError(err)
	}
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return fmt.Errorf("consent saved in the database, but the workflow was not told (run the command again): %w", err)
	}
	sig := workflows.ConsentSignal{Granted: *grant, Source: *source, At: a.now().UTC()}
	if err := reachCustomer(ctx, tc, *customerID, workflows.SignalConsent, sig); err != nil {
		return fmt.Errorf("consent saved in the database, but the workflow was not told (run the command again): %w", err)
	}
	verb := "granted"
	if !*grant {
		verb = "withdrawn; pending follow-ups stopped"
	}
	fmt.Fprintf(a.stdout, "marketing consent of customer %s %s (source %s)\n", *customerID, verb, *source)
	return nil
}
