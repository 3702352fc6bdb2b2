package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/outbox"
	"github.com/tailorhq/tailor/internal/sendgrid"
	"github.com/tailorhq/tailor/internal/store"
)

const previewUsage = "--customer ID --kind KIND [--sku SKU] [--category CAT --discount PCT [--until YYYY-MM-DD]] [--collection NAME] [--purchase ID] [--metric NAME [--offer NAME] [--used PCT]] [--offer-key KEY]"

const previewDetails = `The email is rendered by the worker's own code from what is stored now: the customer, their
preferences and segment, the products in stock in their sizes and colours, the templates, the
links (signed with LINK_SECRET for PUBLIC_BASE_URL, as the worker signs them) and the shop's look
(SHOP_NAME, SHOP_LOGO_URL, SHOP_ACCENT_COLOR, SHOP_POSTAL_ADDRESS). Run it with the worker's
environment. It changes nothing: no send log, no workflow, no report.

Kinds: restock (--sku: the SKU back in stock), sale (--category, --discount, --until as for
starter sale), season (--collection, or the newest items without), invitation, winback, feedback,
exit (the segments' emails). Built from the customer's own data as the workflow builds them:
care, checkin and service (--purchase: one of the customer's purchases; default their latest
whose category has a care plan in the policy, which care and checkin need); offer (--metric,
required, as only the customer's workflow keeps their readings: the meter, e.g. data_mb;
--offer: one of the policy's usage offers, default the first, worded for the first behaviour it
is for; --used: the percentage of the bundle used, default the policy's threshold); the
transactional confirmation (--offer-key: the send key of the offer-like email the customer said
yes to, default their latest one sent in the send log). An email the customer would not get (no
consent, suppressed) is still shown, with the reason; one with nothing to show (no products in
their sizes) is not.`

const previewOutDetails = `
Without --out the subject, headers and text part are printed and the HTML is left out. With
--out DIR, DIR/<customer>-<kind>.html, .txt and .eml-headers are written, readable by their owner
only (the HTML as the customer gets it, CSS inlined, with the customer's name and signed links); --png adds pictures at a phone's and a desktop's width (375 and 800 px),
taken with headless Chromium (CHROMIUM_PATH).`

const testSendDetails = `
The email goes through the worker's mailer (SendGrid with SENDGRID_API_KEY, else the local outbox)
to --to, which need not be a customer, with "[test] " before its subject. It is sent under a key of
its own (test/<customer>/<kind>/<time>) and no customer id, so no send log, workflow, report or
suppression hears of it. It carries no List-Unsubscribe headers (a mailbox's unsubscribe button
would act for the customer), but the links in it are the customer's own: clicking unsubscribe in
the body of a test email unsubscribes the customer.`

// previewFlags are the flags preview and test-send share: whose email of which kind, and the
// campaign it belongs to.
type previewFlags struct {
	customer, kind, sku, category, until, collection *string
	discount                                         *int
	purchase, offer, metric, offerKey                *string
	used                                             *int
}

// previewKinds are the kinds preview can build a follow-up for from flags alone.
var previewKinds = []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSale, lifecycle.KindSeason,
	lifecycle.KindInvitation, lifecycle.KindWinback, lifecycle.KindFeedback, lifecycle.KindExit,
	lifecycle.KindCare, lifecycle.KindCheckin, lifecycle.KindOffer, lifecycle.KindService, lifecycle.KindConfirmation}

func addPreviewFlags(fs *flag.FlagSet) previewFlags {
	var names []string
	for _, k := range previewKinds {
		names = append(names, string(k))
	}
	return previewFlags{
		customer:   fs.String("customer", "", "`ID` of the customer whose email to render (required)"),
		kind:       fs.String("kind", "", "the email's `KIND`: "+strings.Join(names, ", ")+" (required)"),
		sku:        fs.String("sku", "", "restock: the `SKU` back in stock"),
		category:   fs.String("category", "", "sale: the `CATEGORY` on sale"),
		discount:   fs.Int("discount", 0, fmt.Sprintf("sale: the discount in `PCT`, %d to %d", minDiscount, maxDiscount)),
		until:      fs.String("until", "", "sale: its last day, `YYYY-MM-DD` (default: no end)"),
		collection: fs.String("collection", "", "season: the collection's `NAME` (default: the newest items)"),
		purchase:   fs.String("purchase", "", "care, checkin, service: the `ID` of one of the customer's purchases (default: their latest whose category has a care plan)"),
		offer:      fs.String("offer", "", "offer: the `NAME` of one of the policy's usage offers (default: the first)"),
		used:       fs.Int("used", 0, "offer: the `PCT` of the bundle used (default: the policy's threshold)"),
		metric:     fs.String("metric", "", "offer: the meter's `NAME` as readings name it, e.g. data_mb (required for an offer)"),
		offerKey:   fs.String("offer-key", "", "confirmation: the send `KEY` of the offer said yes to (default: the customer's latest emailed offer-like email)"),
	}
}

// followUp checks the flags, adding their mistakes to p, and builds the follow-up the customer's
// workflow would schedule for them now.
func (f previewFlags) followUp(fs *flag.FlagSet, now time.Time, p *problems) lifecycle.FollowUp {
	p.require("customer", "ID", *f.customer)
	p.id("customer", *f.customer)
	p.require("kind", "KIND", *f.kind)
	kind := lifecycle.Kind(*f.kind)
	if *f.kind != "" && !slices.Contains(previewKinds, kind) {
		p.addf("--kind %q cannot be previewed: use one of %v", *f.kind, previewKinds)
	}
	// Flags that belong to another kind are a mistake worth saying, not something to ignore.
	purchaseKinds := []lifecycle.Kind{lifecycle.KindCare, lifecycle.KindCheckin, lifecycle.KindService}
	offerKinds := []lifecycle.Kind{lifecycle.KindOffer}
	for _, only := range []struct {
		flag  string
		kinds []lifecycle.Kind
	}{{"sku", []lifecycle.Kind{lifecycle.KindRestock}}, {"category", []lifecycle.Kind{lifecycle.KindSale}},
		{"discount", []lifecycle.Kind{lifecycle.KindSale}}, {"until", []lifecycle.Kind{lifecycle.KindSale}},
		{"collection", []lifecycle.Kind{lifecycle.KindSeason}}, {"purchase", purchaseKinds},
		{"offer", offerKinds}, {"used", offerKinds}, {"metric", offerKinds},
		{"offer-key", []lifecycle.Kind{lifecycle.KindConfirmation}}} {
		if flagSet(fs, only.flag) && !slices.Contains(only.kinds, kind) {
			p.addf("--%s is for --kind %s", only.flag, kindList(only.kinds))
		}
	}
	fu := lifecycle.FollowUp{Kind: kind, Due: now}
	customerID := *f.customer
	switch kind {
	case lifecycle.KindRestock:
		p.require("sku", "SKU", *f.sku)
		p.id("sku", *f.sku)
		fu.Product = &lifecycle.Product{SKU: *f.sku}
		fu.WishID = "preview"
		fu.Key = lifecycle.SendKey(customerID, kind, "preview")
	case lifecycle.KindSale:
		p.require("category", "CAT", *f.category)
		p.line("category", *f.category, lifecycle.MaxLabelLen)
		if *f.discount < minDiscount || *f.discount > maxDiscount {
			p.addf("--discount must be between %d and %d percent, got %d", minDiscount, maxDiscount, *f.discount)
		}
		var end time.Time
		if *f.until != "" {
			day, err := time.Parse(dateLayout, *f.until)
			if err != nil {
				p.addf("--until %q is not a date like %s", *f.until, now.AddDate(0, 0, 14).Format(dateLayout))
			}
			end = day.Add(24*time.Hour - time.Second) // as starter sale: the day's last second, UTC
		}
		fu.Category, fu.DiscountPct, fu.ExpiresAt = lifecycle.Normalize(*f.category), *f.discount, end
		fu.SaleID = saleID(fu.Category, end, *f.discount)
		fu.Key = lifecycle.SendKey(customerID, kind, fu.SaleID)
	case lifecycle.KindSeason:
		p.line("collection", *f.collection, lifecycle.MaxLabelLen)
		fu.Collection = strings.TrimSpace(*f.collection)
		fu.Key = lifecycle.SendKey(customerID, kind, fu.Collection)
	case lifecycle.KindCare, lifecycle.KindCheckin, lifecycle.KindService:
		p.id("purchase", *f.purchase) // the rest comes from the customer's purchases: previewer.fillIn
	case lifecycle.KindOffer:
		p.line("offer", *f.offer, lifecycle.MaxLabelLen)
		// The workflow never offers without a metric (a reading without one is ignored), and
		// nothing outside the customer's workflow keeps their readings to take it from.
		p.require("metric", "NAME", *f.metric)
		p.line("metric", *f.metric, lifecycle.MaxLabelLen)
		if flagSet(fs, "used") && (*f.used < 0 || *f.used > maxUsedPct) {
			p.addf("--used must be between 0 and %d percent, got %d", maxUsedPct, *f.used)
		}
	case lifecycle.KindConfirmation:
		p.line("offer-key", *f.offerKey, maxOfferKeyLen)
	default: // the segments' emails are keyed by day
		fu.Key = lifecycle.SendKey(customerID, kind, now.Format("20060102"))
	}
	return fu
}

// previewer renders with the worker's configuration; see previewDetails.
type previewer struct {
	worker config.Worker
	acts   *activities.Activities
	st     *store.DB
}

func (a *app) previewer(ctx context.Context) (*previewer, error) {
	worker, err := config.LoadWorker(a.getenv)
	if err != nil {
		return nil, fmt.Errorf("preview and test-send render with the worker's configuration, which is wrong; fix these and run again:\n%w", err)
	}
	st, err := a.db(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := links.New(worker.HTTP.LinkSecret, worker.HTTP.PublicBaseURL, worker.HTTP.LinkTTL, a.now)
	if err != nil {
		return nil, fmt.Errorf("LINK_SECRET: %w", err)
	}
	acts := &activities.Activities{
		Store: st, Policy: worker.Policy, Links: signer, Now: a.now, Signature: worker.Signature,
		Brand: activities.Brand{Name: worker.Brand.Name, LogoURL: worker.Brand.LogoURL, Accent: worker.Brand.Accent, PostalAddress: worker.Brand.PostalAddress},
	}
	return &previewer{worker: worker, acts: acts, st: st}, nil
}

// render is the email fu would send the customer now, with the segment their workflow would
// word it for.
func (pv *previewer) render(ctx context.Context, customerID string, fu lifecycle.FollowUp) (activities.PreviewResult, error) {
	seg, err := pv.st.Segment(ctx, customerID)
	switch {
	case err == nil:
		fu.Segment = seg.Segment
	case !errors.Is(err, lifecycle.ErrNotFound):
		return activities.PreviewResult{}, explainStoreError(err)
	}
	res, err := activities.Preview(ctx, pv.acts, activities.PreviewInput{CustomerID: customerID, FollowUp: fu})
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeUnknownProduct && fu.Product != nil:
		return res, fmt.Errorf("no product with SKU %q: import it with starter import products", fu.Product.SKU)
	case errors.Is(err, lifecycle.ErrNotFound):
		return res, fmt.Errorf("no customer %q: check the id (starter status --customer ID) or import it first", customerID)
	case err != nil:
		return res, explainStoreError(err)
	}
	if res.Email.Subject == "" {
		return res, fmt.Errorf("customer %s would get no %s email now: %s", customerID, fu.Kind, res.NotSent)
	}
	return res, nil
}

func runPreview(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	pf := addPreviewFlags(fs)
	out := fs.String("out", "", "write the email's HTML, text and headers into `DIR` (default: print the text part only)")
	png := fs.Bool("png", false, "with --out: also pictures of the HTML at 375 and 800 px, taken with headless Chromium")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	fu := pf.followUp(fs, a.now().UTC(), &p)
	if *png && *out == "" {
		p.addf("--png needs --out DIR")
	}
	if err := p.err(); err != nil {
		return err
	}
	pv, err := a.previewer(ctx)
	if err != nil {
		return err
	}
	if fu, err = pv.fillIn(ctx, fs, pf, fu); err != nil {
		return err
	}
	res, err := pv.render(ctx, *pf.customer, fu)
	if err != nil {
		return err
	}
	e := res.Email
	writeEmail(a.stdout, e, res.NotSent, *out == "")
	if *out == "" {
		return nil
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("make --out %s: %w", *out, err)
	}
	base := filepath.Join(*out, fileSafe(e.CustomerID)+"-"+string(e.Kind))
	files := map[string]string{".html": e.HTML, ".txt": e.Text, ".eml-headers": headerBlock(e)}
	for _, ext := range []string{".html", ".txt", ".eml-headers"} {
		// Private, as starter export's: the email names the customer and carries their signed links.
		if err := writePrivateFile(base+ext, []byte(files[ext])); err != nil {
			return fmt.Errorf("write %s: %w", base+ext, err)
		}
		fmt.Fprintf(a.stdout, "wrote %s\n", base+ext)
	}
	if !*png {
		return nil
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	for _, width := range []int64{375, 800} {
		path := fmt.Sprintf("%s-%d.png", base, width)
		if err := screenshot(ctx, cfg.ChromiumPath, base+".html", width, path); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "wrote %s\n", path)
	}
	return nil
}

func runTestSend(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	pf := addPreviewFlags(fs)
	to := fs.String("to", "", "the `ADDRESS` to send the test to; need not be a customer's (required)")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	now := a.now().UTC()
	var p problems
	fu := pf.followUp(fs, now, &p)
	p.require("to", "ADDRESS", *to)
	if *to != "" {
		if err := lifecycle.ValidateEmail("--to", *to); err != nil {
			p.addf("%v", err)
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	pv, err := a.previewer(ctx)
	if err != nil {
		return err
	}
	if fu, err = pv.fillIn(ctx, fs, pf, fu); err != nil {
		return err
	}
	res, err := pv.render(ctx, *pf.customer, fu)
	if err != nil {
		return err
	}
	e := testEmail(res.Email, *to, now)
	id, err := pv.mailer(a).Send(ctx, e)
	if err != nil {
		return fmt.Errorf("send the test to %s: %w", *to, err)
	}
	fmt.Fprintf(a.stdout, "sent test %s (%s of customer %s) to %s: %q, message id %s\n", e.Key, e.Kind, *pf.customer, *to, e.Subject, id)
	if res.NotSent != "" {
		fmt.Fprintf(a.stdout, "note: the customer would not get it now: %s\n", res.NotSent)
	}
	return nil
}

// testEmail is e readdressed as a test: to the given address, "[test]" in its subject, under a key
// of its own and without the customer's id, so the provider's events about it reach no send log,
// report or suppression of the customer.
func testEmail(e lifecycle.Email, to string, now time.Time) lifecycle.Email {
	e.Key = "test/" + e.CustomerID + "/" + string(e.Kind) + "/" + now.Format("20060102T150405.000Z")
	e.CustomerID = ""
	e.ToEmail, e.ToName = to, ""
	e.Subject = "[test] " + e.Subject
	// Without the one-click unsubscribe headers: a mailbox's "Unsubscribe" button on a test copy
	// would otherwise POST the customer's real link and unsubscribe them with no page to confirm.
	headers := make(map[string]string, len(e.Headers))
	for k, v := range e.Headers {
		if k != "List-Unsubscribe" && k != "List-Unsubscribe-Post" {
			headers[k] = v
		}
	}
	e.Headers = headers
	return e
}

// mailer is the worker's mailer: SendGrid with SENDGRID_API_KEY, else the local outbox.
func (pv *previewer) mailer(a *app) activities.Mailer {
	w := pv.worker
	if w.SendGridAPIKey != "" {
		return sendgrid.New(sendgrid.Config{APIKey: w.SendGridAPIKey, BaseURL: w.SendGridBaseURL, FromEmail: w.MailFrom.Address, FromName: w.MailFrom.Name})
	}
	return outbox.New(pv.st, w.OutboxDir, a.now)
}

// writeEmail prints the subject, the headers and (withText) the text part.
func writeEmail(w io.Writer, e lifecycle.Email, notSent string, withText bool) {
	fmt.Fprintf(w, "%s email of customer %s (key %s)\n", e.Kind, e.CustomerID, e.Key)
	if notSent != "" {
		fmt.Fprintf(w, "NOT SENT NOW: %s\n", notSent)
	}
	fmt.Fprint(w, headerBlock(e))
	fmt.Fprintf(w, "HTML: %d bytes (Gmail clips above 102 KB)\n", len(e.HTML))
	if withText {
		fmt.Fprintf(w, "\n%s", e.Text)
	}
}

// headerBlock is the email's headers as the provider gets them, one a line.
func headerBlock(e lifecycle.Email) string {
	var b strings.Builder
	fmt.Fprintf(&b, "To: %s <%s>\nSubject: %s\n", e.ToName, e.ToEmail, e.Subject)
	names := make([]string, 0, len(e.Headers))
	for name := range e.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "%s: %s\n", name, e.Headers[name])
	}
	fmt.Fprintf(&b, "X-Tailor-Key: %s\n", e.Key)
	return b.String()
}

// fileSafe keeps an id usable as a file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

// screenshot opens htmlFile in headless Chromium at width (a phone's below 800, with the viewport
// meta tag honoured) and saves a full-page PNG at path.
func screenshot(ctx context.Context, chromium, htmlFile string, width int64, path string) error {
	if _, err := os.Stat(chromium); err != nil {
		return fmt.Errorf("--png needs headless Chromium, not found at %s (CHROMIUM_PATH): install it (apt-get install chromium) or set CHROMIUM_PATH", chromium)
	}
	abs, err := filepath.Abs(htmlFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	userData, err := os.MkdirTemp("", "tailor-preview-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(userData)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(userData))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	view := chromedp.EmulateViewport(width, 900)
	if width < 800 {
		view = chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	}
	err = chromedp.Do(tab, view, chromedp.Navigate("file://"+abs), chromedp.WaitReady("body"),
		chromedp.Poll[chromedp.Void](`[...document.images].every(i => i.complete)`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		return fmt.Errorf("open %s in Chromium (%s): %w", htmlFile, chromium, err)
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("picture of %s: %w", htmlFile, err)
	}
	return writePrivateFile(path, png)
}
