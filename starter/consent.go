package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
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
	// The database first (SendFollowUp checks it before every marketing email), owing the workflow
	// its signal in the same transaction; then the signal.
	err = st.SetConsent(ctx, *customerID, *grant, *source)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("no customer %q in the database: check the id or import it first", *customerID)
	}
	if err != nil {
		return explainStoreError(err)
	}
	if err := a.tellConsent(ctx, st, *customerID); err != nil {
		return err
	}
	verb := "granted"
	if !*grant {
		verb = "withdrawn; pending follow-ups stopped"
	}
	fmt.Fprintf(a.stdout, "marketing consent of customer %s %s (source %s)\n", *customerID, verb, *source)
	return nil
}

// tellConsent delivers the consent signal just owed to customerID's workflow, then any others
// still owed from earlier runs.
func (a *app) tellConsent(ctx context.Context, st *store.DB, customerID string) error {
	if _, err := a.relayConsent(ctx, st, []string{customerID}); err != nil {
		return fmt.Errorf("consent saved in the database, but the workflow was not told yet (the worker tells it within %s once Temporal answers, or run the command again): %w",
			consentRelayInterval, err)
	}
	earlier, err := a.relayConsent(ctx, st, nil)
	if err != nil {
		fmt.Fprintf(a.stderr, "warning: consent signals owed from earlier are still to be delivered (the worker retries every %s): %v\n", consentRelayInterval, err)
	} else if earlier > 0 {
		fmt.Fprintf(a.stdout, "also told %d customer workflow(s) about consent changes owed from earlier\n", earlier)
	}
	return nil
}
