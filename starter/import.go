package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// imported is what an import changed that others must hear of.
type imported struct {
	consent     []store.ConsentChange // customers whose consent the file changed
	backInStock []lifecycle.Product   // products the file brought back in stock
}

// importers maps the kinds `starter import` accepts to the store method that reads them.
var importers = map[string]func(s *store.DB, ctx context.Context, r io.Reader) (int, imported, error){
	"customers": func(s *store.DB, ctx context.Context, r io.Reader) (int, imported, error) {
		n, changes, err := s.ImportCustomersWithConsentChanges(ctx, r)
		return n, imported{consent: changes}, err
	},
	"products": func(s *store.DB, ctx context.Context, r io.Reader) (int, imported, error) {
		n, back, err := s.ImportProductsBackInStock(ctx, r)
		return n, imported{backInStock: back}, err
	},
}

func runImport(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	noRestock := fs.Bool("no-restock", false, "products only: start no restock campaign for SKUs the file brings back in stock")
	rest, err := a.parseFlags(c, fs, args, 2)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("missing what to import: customers or products")
	}
	kind := rest[0]
	importFile, ok := importers[kind]
	if !ok {
		return usagef("cannot import %q: choose customers or products", kind)
	}
	if *noRestock && kind != "products" {
		return usagef("--no-restock is for products; a %s import starts no campaign", kind)
	}
	if len(rest) < 2 || strings.TrimSpace(rest[1]) == "" {
		return usagef("missing the CSV file of %s to import", kind)
	}
	path := rest[1]

	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s file: %w", kind, err)
	}
	defer f.Close()
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	n, done, err := importFile(st, ctx, f)
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
	changes := done.consent
	// A consent change must reach the customer's workflow at once: a withdrawal stops what waits.
	// The import owed each change's signal in its own transaction; this delivers what is owed, from
	// this file and from earlier runs whose signal failed, so running the import again is safe.
	told, err := a.relayConsent(ctx, st, nil)
	if err != nil {
		owed, _, countErr := st.PendingConsentSignals(ctx)
		if countErr != nil {
			return fmt.Errorf("consent changes are saved in the database, but workflows were not told (the worker tells them within %s once Temporal answers, or import again, it is safe): %w",
				consentRelayInterval, err)
		}
		return fmt.Errorf("consent changes are saved in the database, but %d customer workflow(s) are still to be told (the worker tells them within %s once Temporal answers, or import again, it is safe): %w",
			owed, consentRelayInterval, err)
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
