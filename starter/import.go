package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/store"
)

// importers maps the kinds `starter import` accepts to what reads them; a customers import goes
// through the event layer (consent changes owe their signal) and also reports whose consent it
// changed and how many signals it delivered, or why not.
var importers = map[string]func(ev *events.Service, st *store.DB, ctx context.Context, r io.Reader) (int, []store.ConsentChange, int, error, error){
	"customers": func(ev *events.Service, _ *store.DB, ctx context.Context, r io.Reader) (int, []store.ConsentChange, int, error, error) {
		return ev.ImportCustomers(ctx, r)
	},
	"products": func(_ *events.Service, st *store.DB, ctx context.Context, r io.Reader) (int, []store.ConsentChange, int, error, error) {
		n, err := st.ImportProducts(ctx, r)
		return n, nil, 0, nil, err
	},
}

func runImport(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	concurrency := fs.Int("concurrency", defaultImportConcurrency, "orders and usage: customer workflows told at a time, `N` from 1 to 256")
	historyAge := fs.Duration("history-older-than", defaultHistoryAge, "orders: an order older than `AGE` is kept as history, its workflow not told (e.g. 720h)")
	rest, err := a.parseFlags(c, fs, args, 2)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("missing what to import: customers, products, orders or usage")
	}
	kind := rest[0]
	importFile, ok := importers[kind]
	if !ok && kind != "orders" && kind != "usage" {
		return usagef("cannot import %q: choose customers, products, orders or usage", kind)
	}
	if len(rest) < 2 || strings.TrimSpace(rest[1]) == "" {
		return usagef("missing the CSV file of %s to import", kind)
	}
	path := rest[1]
	if kind == "orders" || kind == "usage" {
		if *concurrency < 1 || *concurrency > 256 {
			return usagef("--concurrency must be between 1 and 256, got %d", *concurrency)
		}
		if *historyAge <= 0 {
			return usagef("--history-older-than must be above 0, got %s", *historyAge)
		}
		return a.importEvents(ctx, kind, eventImport{path: path, concurrency: *concurrency, historyAge: *historyAge})
	}

	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s file: %w", kind, err)
	}
	defer f.Close()
	ev, st, err := a.events(ctx)
	if err != nil {
		return err
	}
	n, changes, told, relayErr, err := importFile(ev, st, ctx, f)
	var bad *store.ImportError
	if errors.As(err, &bad) {
		for _, p := range bad.Problems {
			fmt.Fprintf(a.stderr, "%s: %s\n", path, p)
		}
		return fmt.Errorf("%s has %d problem(s) listed above; nothing from it was imported: fix them and run `starter import %s %s` again",
			path, len(bad.Problems), kind, path)
	}
	if err != nil {
		return fmt.Errorf("import %s from %s: %w", kind, path, explainStoreError(err))
	}
	fmt.Fprintf(a.stdout, "imported %d %s\n", n, kind)
	// A consent change must reach the customer's workflow at once: a withdrawal stops what waits.
	// The import owed each change's signal in its own transaction and the layer delivered what is
	// owed, from this file and from earlier runs whose signal failed, so importing again is safe.
	if relayErr != nil {
		owed, _, countErr := st.OwedSignals(ctx)
		if countErr != nil {
			return fmt.Errorf("consent changes are saved in the database, but workflows were not told (the worker tells them within %s once Temporal answers, or import again, it is safe): %w",
				relayInterval, relayErr)
		}
		return fmt.Errorf("consent changes are saved in the database, but %d customer workflow signal(s) are still to be delivered (the worker delivers them within %s once Temporal answers, or import again, it is safe): %w",
			owed, relayInterval, relayErr)
	}
	if told > 0 {
		msg := fmt.Sprintf("told %d customer workflow(s) about their changed marketing consent", told)
		if earlier := told - len(changes); earlier > 0 {
			msg += fmt.Sprintf(" (%d owed from an earlier run)", earlier)
		}
		fmt.Fprintln(a.stdout, msg)
	}
	return nil
}
