package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tailorhq/tailor/internal/report"
	"github.com/tailorhq/tailor/internal/store"
)

const reportDetails = `Per group (kind, campaign, value segment, or behaviour at the moment of truth, which counts
offers only): marketing emails sent, held out, delivered, opened and clicked (SendGrid's Event
Webhook), offers accepted, conversions and attributed revenue of the emailed (purchases credited to
the email, last touch within attribution_window) and of the holdout (purchases within the window
after the hold-out decision), both conversion rates, the absolute lift with a 95% Newcombe
(Wilson score) interval, incremental revenue and revenue per email, and whether the group is big
enough to conclude (at least 50 emailed and 50 held out, interval at most 20 points wide).
Held-out counts come from follow-ups recorded as held_out (sale, season and restock --holdout, or
the policy's holdout per kind); without a holdout they are 0 and the lift cannot be measured.
The period is [--since, --until): dates (YYYY-MM-DD, UTC) or RFC 3339 times; default the last
30 days. --json prints {"rows": [...]} for the shop's own tools; --html FILE also writes the
self-contained HTML report (charts over time, lift per kind and segment, acceptance per behaviour).
By segment counts each email under the value segment its customer was in when it was sent, and each
held-out follow-up under the segment at the decision (not the segment today; emails sent before
the upgrade that brought this count under the customer's segment at the upgrade). Revenue is the
price paid: the order's, else the product's price when the purchase was recorded.`

func runReport(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	since := fs.String("since", "", "start of the period, inclusive (YYYY-MM-DD or RFC 3339; default 30 days before --until)")
	until := fs.String("until", "", "end of the period, exclusive (YYYY-MM-DD or RFC 3339; default now)")
	by := fs.String("by", string(store.ByKind), "group by kind, campaign, segment or behaviour")
	asJSON := fs.Bool("json", false, "print the report as JSON with a top-level rows array")
	htmlFile := fs.String("html", "", "also write the HTML report to this file")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	grouping := store.ReportGrouping(*by)
	if !slices.Contains(store.ReportGroupings, grouping) {
		return usagef("--by %q: want kind, campaign, segment or behaviour", *by)
	}
	end := a.now().UTC()
	if *until != "" {
		t, err := parseReportTime(*until)
		if err != nil {
			return usagef("--until: %v", err)
		}
		end = t
	}
	start := end.AddDate(0, 0, -30)
	if *since != "" {
		t, err := parseReportTime(*since)
		if err != nil {
			return usagef("--since: %v", err)
		}
		start = t
	}
	if !start.Before(end) {
		return usagef("--since %s is not before --until %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	rep, err := buildReport(ctx, st, start, end, grouping)
	if err != nil {
		return explainStoreError(err)
	}
	if *htmlFile != "" {
		if err := writeHTMLReport(ctx, st, start, end, *htmlFile); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	writeReport(a, rep)
	if *htmlFile != "" {
		fmt.Fprintf(a.stdout, "HTML report written to %s\n", *htmlFile)
	}
	return nil
}

func parseReportTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func buildReport(ctx context.Context, st *store.DB, since, until time.Time, by store.ReportGrouping) (report.Report, error) {
	counts, err := st.Report(ctx, store.ReportQuery{Since: since, Until: until, By: by})
	if err != nil {
		return report.Report{}, err
	}
	rep := report.Report{Since: since, Until: until, By: by, Interval: report.IntervalMethod, Rows: []report.Row{}}
	for _, c := range counts {
		rep.Rows = append(rep.Rows, report.NewRow(c))
	}
	return rep, nil
}

func writeHTMLReport(ctx context.Context, st *store.DB, since, until time.Time, file string) error {
	in := report.HTMLInput{Since: since, Until: until}
	for _, g := range []struct {
		by   store.ReportGrouping
		rows *[]report.Row
	}{{store.ByKind, &in.ByKind}, {store.BySegment, &in.BySegment}, {store.ByBehaviour, &in.ByBehaviour}} {
		rep, err := buildReport(ctx, st, since, until, g.by)
		if err != nil {
			return explainStoreError(err)
		}
		*g.rows = rep.Rows
	}
	days, err := st.ReportSeries(ctx, since, until)
	if err != nil {
		return explainStoreError(err)
	}
	in.Days = days
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("write the HTML report: %w", err)
	}
	if err := report.WriteHTML(f, in); err != nil {
		f.Close()
		return fmt.Errorf("write the HTML report to %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the HTML report to %s: %w", file, err)
	}
	return nil
}

func pct(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**v)
}

func orDash(v *string) string {
	if v == nil {
		return "-"
	}
	return *v
}

func writeReport(a *app, rep report.Report) {
	fmt.Fprintf(a.stdout, "follow-ups emailed or held out from %s until %s, by %s\n\n",
		rep.Since.Format(time.RFC3339), rep.Until.Format(time.RFC3339), rep.By)
	if len(rep.Rows) == 0 {
		fmt.Fprintln(a.stdout, "no marketing email was sent or held out in this period")
		return
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tSENT\tHELD OUT\tDELIVERED\tOPENED\tCLICKED\tOFFERS ACCEPTED\tCONVERSIONS\tHOLDOUT CONV.\tLIFT (POINTS, 95%)\tREVENUE\tINCREMENTAL\tPER EMAIL")
	for _, r := range rep.Rows {
		lift := "-"
		if in, ok := r.Interval(); ok {
			lift = fmt.Sprintf("%+.1f [%+.1f, %+.1f]", 100*in.Estimate, 100*in.Low, 100*in.High)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d/%d (%s)\t%d (%s)\t%d (%s)\t%s\t%s\t%s\t%s\n",
			r.Group, r.Sent, r.HeldOut, r.Delivered, r.Opened, r.Clicked, r.OffersAccepted, r.Offers, pct(r.AcceptanceRate),
			r.Conversions, pct(r.ConversionRate), r.HoldoutConversions, pct(r.HoldoutConversionRate), lift,
			r.Revenue, orDash(r.IncrementalRevenue), orDash(r.RevenuePerEmail))
	}
	tw.Flush()
	fmt.Fprintln(a.stdout)
	for _, r := range rep.Rows {
		fmt.Fprintf(a.stdout, "%s: %s\n", r.Group, r.Verdict)
	}
	fmt.Fprintf(a.stdout, "\nlift: %s; %s\n", rep.Interval,
		strings.TrimSpace("revenue is attributed (last touch); incremental revenue subtracts what the holdout spent per follow-up"))
}
