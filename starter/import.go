package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// imported is what an import changed that others must hear of.
type imported struct {
	consent     []store.ConsentChange // customers whose consent the file changed
	told        int                   // consent signals delivered (this file's and earlier ones)
	relayErr    error                 // why the rest are still owed
	backInStock []lifecycle.Product   // products the file brought back in stock
}

// importers maps the kinds `starter import` accepts to what reads them: a customers import goes
// through the event layer (consent changes owe their signal), a products import reports what it
// brought back in stock.
var importers = map[string]func(ev *events.Service, st *store.DB, ctx context.Context, r io.Reader) (int, imported, error){
	"customers": func(ev *events.Service, _ *store.DB, ctx context.Context, r io.Reader) (int, imported, error) {
		n, changes, told, relayErr, err := ev.ImportCustomers(ctx, r)
		if err == nil && relayErr == nil {
			// A command line also delivers what earlier runs left owed, as the worker would.
			var earlier int
			earlier, relayErr = ev.Relay(ctx, nil)
			told += earlier
		}
		return n, imported{consent: changes, told: told, relayErr: relayErr}, err
	},
	"products": func(_ *events.Service, st *store.DB, ctx context.Context, r io.Reader) (int, imported, error) {
		n, back, err := st.ImportProductsBackInStock(ctx, r)
		return n, imported{backInStock: back}, err
	},
}

func runImport(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	concurrency := fs.Int("concurrency", defaultImportConcurrency, "orders and usage: customer workflows told at a time, `N` from 1 to 256")
	historyAge := fs.Duration("history-older-than", defaultHistoryAge, "orders: an order older than `AGE` is kept as history, its workflow not told (e.g. 720h)")
	noRestock := fs.Bool("no-restock", false, "products only: start no restock campaign for SKUs the file brings back in stock")
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
	if *noRestock && kind != "products" {
		return usagef("--no-restock is for products; a %s import starts no campaign", kind)
	}
	if len(rest) < 2 || strings.TrimSpace(rest[1]) == "" {
		return usagef("missing the CSV file of %s to import", kind)
	}
	path := rest[1]
	eventsFile := kind == "orders" || kind == "usage"
	if eventsFile {
		if *concurrency < 1 || *concurrency > 256 {
			return usagef("--concurrency must be between 1 and 256, got %d", *concurrency)
		}
		if *historyAge <= 0 {
			return usagef("--history-older-than must be above 0, got %s", *historyAge)
		}
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
	if eventsFile {
		return a.importEvents(ctx, ev, st, kind, eventImport{path: path, file: f, concurrency: *concurrency, historyAge: *historyAge})
	}
	n, done, err := importFile(ev, st, ctx, f)
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
	if kind == "products" {
		return a.restockImported(ctx, st, done.backInStock, *noRestock)
	}
	changes, told, relayErr := done.consent, done.told, done.relayErr
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

// restockImported starts the restock campaign of each product an import brought back in stock,
// after the import committed, as `starter restock` does (announceRestock). It tries every product
// and returns one error naming those whose campaign could not start.
func (a *app) restockImported(ctx context.Context, st *store.DB, back []lifecycle.Product, off bool) error {
	if len(back) == 0 {
		return nil
	}
	skus := make([]string, len(back))
	for i, p := range back {
		skus[i] = p.SKU
	}
	if off {
		fmt.Fprintf(a.stdout, "back in stock: %s; no restock campaign started (--no-restock)\n", strings.Join(skus, ", "))
		return nil
	}
	var failed []string
	var errs []error
	for _, p := range back {
		prefix := fmt.Sprintf("back in stock: %s (now %d); ", p.SKU, p.Stock)
		if err := a.announceRestock(ctx, st, p, defaultCampaignFlags(), prefix); err != nil {
			failed = append(failed, p.SKU)
			errs = append(errs, err)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	// The stock is committed: importing the file again sees no rise and starts nothing.
	return fmt.Errorf("the file is imported, but the restock campaign of %s did not start; importing again will not start it, as the stock no longer rises: once Temporal answers, run `starter restock --sku SKU --quantity N` when the next items arrive, or set the stock to 0 and import again: %w",
		strings.Join(failed, ", "), errors.Join(errs...))
}
