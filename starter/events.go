package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/campaigns"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// Sale discounts the starter accepts, in percent.
const (
	minDiscount = 1
	maxDiscount = 90
)

const dateLayout = "2006-01-02"

func runPurchase(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	customerID := fs.String("customer", "", "`ID` of the customer who bought (required)")
	sku := fs.String("sku", "", "`SKU` bought (required)")
	wanted := fs.String("wanted-color", "", "the `COLOR` the customer wanted but could not get; opens a wish for a restock")
	purchaseID := fs.String("id", "", "`PURCHASE_ID`, e.g. the order line; repeating an id records nothing new (default: a new random p-... id)")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	p.require("customer", "ID", *customerID)
	p.require("sku", "SKU", *sku)
	p.id("customer", *customerID)
	p.id("sku", *sku)
	p.line("wanted-color", *wanted, lifecycle.MaxLabelLen)
	if flagSet(fs, "id") {
		p.require("id", "PURCHASE_ID", *purchaseID)
		p.id("id", *purchaseID)
	}
	if err := p.err(); err != nil {
		return err
	}
	id := strings.TrimSpace(*purchaseID)
	if id == "" {
		id = newPurchaseID()
	}

	ev, st, err := a.events(ctx)
	if err != nil {
		return err
	}
	// Check both before recording anything, to name every one missing.
	var missing []string
	if _, err := st.Customer(ctx, *customerID); errors.Is(err, lifecycle.ErrNotFound) {
		missing = append(missing, fmt.Sprintf("no customer %q: import it first (starter import customers FILE.csv)", *customerID))
	} else if err != nil {
		return explainStoreError(err)
	}
	if _, err := st.Product(ctx, *sku); errors.Is(err, lifecycle.ErrNotFound) {
		missing = append(missing, fmt.Sprintf("no product with SKU %q: import it first (starter import products FILE.csv)", *sku))
	} else if err != nil {
		return explainStoreError(err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("nothing recorded: %s", strings.Join(missing, "; "))
	}
	// The purchase (preferences, a wish) and its signal commit together, so a wish is in
	// PostgreSQL when this command returns and a restock right after finds it; then the signal.
	res, err := ev.Purchase(ctx, events.Purchase{ID: id, CustomerID: *customerID, SKU: *sku, WantedColor: *wanted, At: a.now().UTC()})
	if err != nil {
		return explainStoreError(err)
	}
	if res.DeliveryError != nil {
		return fmt.Errorf("purchase %s recorded, but the workflow was not told yet (the worker tells it within %s once Temporal answers): %w",
			id, relayInterval, res.DeliveryError)
	}
	product := res.Product
	sig := struct{ WantedColor string }{strings.TrimSpace(*wanted)}
	if !res.New {
		fmt.Fprintf(a.stdout, "purchase %s was recorded before; nothing new sent\n", id)
		return nil
	}
	what := []string{product.Name}
	if product.Color != "" {
		what = append(what, product.Color)
	}
	if product.Size != "" {
		what = append(what, "size "+product.Size)
	}
	msg := fmt.Sprintf("recorded purchase %s: customer %s bought %s (%s)", id, *customerID, product.SKU, strings.Join(what, ", "))
	if sig.WantedColor != "" {
		msg += fmt.Sprintf(", wanted %s", sig.WantedColor)
	}
	fmt.Fprintf(a.stdout, "%s; workflow %s\n", msg, workflows.CustomerWorkflowID(*customerID))
	return nil
}

// newPurchaseID returns a random purchase id like p-3f9c0a1b2c3d4e5f.
func newPurchaseID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return "p-" + hex.EncodeToString(b)
}

func runRestock(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	sku := fs.String("sku", "", "`SKU` back in stock (required)")
	quantity := fs.Int("quantity", 0, "number of items added, at least 1 (required)")
	cf := addCampaignFlags(fs)
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	p.require("sku", "SKU", *sku)
	p.id("sku", *sku)
	switch {
	case !flagSet(fs, "quantity"):
		p.addf("missing --quantity N")
	case *quantity < 1:
		p.addf("--quantity must be at least 1, got %d", *quantity)
	}
	cf.check(&p)
	if err := p.err(); err != nil {
		return err
	}

	cfg, st, err := a.configAndDB(ctx)
	if err != nil {
		return err
	}
	now := a.now().UTC()
	if *cf.dryRun {
		product, err := st.Product(ctx, *sku)
		if errors.Is(err, lifecycle.ErrNotFound) {
			return fmt.Errorf("no product with SKU %q: import it first (starter import products FILE.csv)", *sku)
		}
		if err != nil {
			return explainStoreError(err)
		}
		return a.dryRun(ctx, st, campaigns.Restock(product, now, cfg.Policy.RestockWindow), restockAudience, *cf.holdout)
	}
	product, err := st.Restock(ctx, *sku, *quantity)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("no product with SKU %q: import it first (starter import products FILE.csv)", *sku)
	}
	if err != nil {
		return explainStoreError(err)
	}
	prefix := fmt.Sprintf("restocked %s (+%d, now %d in stock); ", product.SKU, *quantity, product.Stock)
	return a.announceRestock(ctx, st, product, cf, prefix)
}

// restockAudience names who a restock campaign reaches.
const restockAudience = "customers with a matching wish"

// announceRestock is the restock use case of the starter, for `starter restock` and for `starter
// import products` alike: it starts the campaign telling the customers who wished for product
// (as it is now, back in stock) that it is back, or reports the one that exists.
func (a *app) announceRestock(ctx context.Context, st *store.DB, product lifecycle.Product, cf campaignFlags, prefix string) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	in := campaigns.Restock(product, a.now(), cfg.Policy.RestockWindow)
	return a.launch(ctx, st, in, cf, prefix, restockAudience)
}

func runSale(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	category := fs.String("category", "", "product `CATEGORY` on sale, e.g. trousers (required)")
	discount := fs.Int("discount", 0, fmt.Sprintf("discount in `PCT`, %d to %d (required)", minDiscount, maxDiscount))
	until := fs.String("until", "", "last day of the sale, `YYYY-MM-DD`, today or later (default: no end)")
	cf := addCampaignFlags(fs)
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	now := a.now().UTC()
	var p problems
	p.require("category", "CAT", *category)
	p.line("category", *category, lifecycle.MaxLabelLen)
	switch {
	case !flagSet(fs, "discount"):
		p.addf("missing --discount PCT")
	case *discount < minDiscount || *discount > maxDiscount:
		p.addf("--discount must be between %d and %d percent, got %d", minDiscount, maxDiscount, *discount)
	}
	var end time.Time
	if *until != "" {
		day, err := time.Parse(dateLayout, *until)
		switch {
		case err != nil:
			p.addf("--until %q is not a date like %s", *until, now.AddDate(0, 0, 14).Format(dateLayout))
		case day.Before(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)):
			p.addf("--until %s is in the past: give today (%s, UTC) or a later day, or leave it out for a sale without end", *until, now.Format(dateLayout))
		default:
			// The last second of that day in UTC, so the email shows the day the shop chose.
			end = day.Add(24*time.Hour - time.Second)
		}
	}
	cf.check(&p)
	if err := p.err(); err != nil {
		return err
	}
	cat := lifecycle.Normalize(*category)
	saleID := saleID(cat, end, *discount)

	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	ok, err := st.CategoryExists(ctx, cat)
	if err != nil {
		return explainStoreError(err)
	}
	if !ok {
		return fmt.Errorf("no product has category %q: check the spelling or import the products first (starter import products FILE.csv)", cat)
	}
	in := workflows.SaleCampaign(workflows.SaleSignal{SaleID: saleID, Category: cat, DiscountPct: *discount, Until: end})
	who := "customers who bought or like " + cat
	if *cf.dryRun {
		return a.dryRun(ctx, st, in, who, *cf.holdout)
	}
	endText := "without end"
	if !end.IsZero() {
		endText = "until " + end.Format(dateLayout)
	}
	return a.launch(ctx, st, in, cf, fmt.Sprintf("sale %s: %d%% off %s %s; ", saleID, *discount, cat, endText), who)
}

// saleID names a sale stably, so repeating the command does not announce it twice:
// sale/<category>/<yyyymmdd of the last day, or open>-<pct>.
func saleID(category string, until time.Time, pct int) string {
	day := "open"
	if !until.IsZero() {
		day = until.UTC().Format("20060102")
	}
	return fmt.Sprintf("sale/%s/%s-%d", category, day, pct)
}

func runSeason(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	collection := fs.String("collection", "", "`NAME` of the collection, as in the products' collections column (required)")
	cf := addCampaignFlags(fs)
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	p.require("collection", "NAME", *collection)
	p.line("collection", *collection, lifecycle.MaxLabelLen)
	cf.check(&p)
	if err := p.err(); err != nil {
		return err
	}
	name := strings.TrimSpace(*collection)
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	ok, err := st.CollectionExists(ctx, name)
	if err != nil {
		return explainStoreError(err)
	}
	if !ok {
		return fmt.Errorf("no product belongs to collection %q (names match exactly): check the spelling or import the products first (starter import products FILE.csv)", name)
	}
	in := workflows.SeasonCampaign(workflows.SeasonSignal{Collection: name})
	const who = "customers who bought before"
	if *cf.dryRun {
		return a.dryRun(ctx, st, in, who, *cf.holdout)
	}
	return a.launch(ctx, st, in, cf, fmt.Sprintf("season %s: ", name), who)
}

func runUnsubscribe(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	customerID, err := a.parseCustomerFlags(c, fs, args, "`ID` of the customer who unsubscribes (required)", nil)
	if err != nil {
		return err
	}
	ev, _, err := a.events(ctx)
	if err != nil {
		return err
	}
	// Consent first: from here on no activity sends to this customer, even before the signal lands.
	// The same transaction owes the workflow a consent signal, delivered next.
	if err := a.consent(ctx, ev, events.Consent{CustomerID: customerID, Granted: false, Source: "starter"}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "unsubscribed customer %s: consent withdrawn, pending follow-ups stopped\n", customerID)
	return nil
}
