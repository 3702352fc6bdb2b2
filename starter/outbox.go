package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/outbox"
	"github.com/tailorhq/tailor/internal/store"
)

func runOutbox(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	customerID := fs.String("customer", "", "only the emails to the customer with this `ID` (default: everyone)")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	p.id("customer", *customerID)
	if err := p.err(); err != nil {
		return err
	}
	cfg, st, err := a.configAndDB(ctx)
	if err != nil {
		return err
	}
	emails, err := st.Outbox(ctx, *customerID)
	if err != nil {
		return explainStoreError(err)
	}
	dir := cfg.OutboxDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if len(emails) == 0 {
		who := ""
		if *customerID != "" {
			who = " for customer " + *customerID
		}
		fmt.Fprintf(a.stdout, "the outbox has no emails%s yet\n", who)
		if cfg.SendGridAPIKey != "" {
			fmt.Fprintln(a.stdout, "SENDGRID_API_KEY is set: a worker with the same environment sends through SendGrid, not to the outbox")
		}
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCUSTOMER\tTO\tSUBJECT\tMESSAGE ID")
	for _, e := range emails {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", formatTime(e.CreatedAt), e.CustomerID, e.ToEmail, e.Subject, e.MessageID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	last := emails[len(emails)-1]
	html, text := outbox.Paths(dir, lifecycle.Email{Key: last.Key, CustomerID: last.CustomerID, Kind: kindOf(last)})
	fmt.Fprintf(a.stdout, "\n%d email(s); the .html and .txt of each are under %s/<customer>/ (OUTBOX_DIR, on the worker's machine), the last one:\n  %s\n  %s\n",
		len(emails), dir, html, text)
	return nil
}

// kindOf recovers the follow-up kind from an outbox email's send key, customer/<id>/<kind>/...
// (lifecycle.SendKey): the outbox names its files after it.
func kindOf(e store.OutboxEmail) lifecycle.Kind {
	rest, ok := strings.CutPrefix(e.Key, lifecycle.SendKeyPrefix(e.CustomerID))
	if !ok { // a key written before SendKey escaped the customer id
		rest, ok = strings.CutPrefix(e.Key, "customer/"+e.CustomerID+"/")
	}
	if !ok {
		return ""
	}
	kind, _, _ := strings.Cut(rest, "/")
	return lifecycle.Kind(kind)
}
