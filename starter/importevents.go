package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// Defaults of `starter import orders|usage`.
const (
	defaultImportConcurrency = 16
	// defaultHistoryAge: an order older than this is history (see events.Purchase.Historical).
	defaultHistoryAge = 30 * 24 * time.Hour
)

// eventImport is one `starter import orders|usage` run: the rows are checked all at once (a bad
// row writes nothing), then recorded with the signals they owe, a chunk per transaction, and
// delivered at bounded concurrency while the next chunks are recorded (events.ImportPurchases),
// with a progress bar; a second import of the same file owes and sends nothing.
type eventImport struct {
	path        string
	file        io.Reader // the opened file at path
	concurrency int
	historyAge  time.Duration
}

// csvRows reads a CSV file with a header and returns the index of each column and the rows with
// their line numbers. required columns must be present; the others are optional.
func csvRows(r io.Reader, required, optional []string) (map[string]int, [][]string, []int, []string) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, nil, []string{fmt.Sprintf("line 1: no header (%v)", err)}
	}
	cols := map[string]int{}
	var problems []string
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(required, h) && !slices.Contains(optional, h) {
			problems = append(problems, fmt.Sprintf("line 1: unknown column %q (columns: %s, optional %s)", h, strings.Join(required, ","), strings.Join(optional, ",")))
			continue
		}
		if _, dup := cols[h]; dup {
			problems = append(problems, fmt.Sprintf("line 1: column %q appears twice", h))
		}
		cols[h] = i
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			problems = append(problems, fmt.Sprintf("line 1: missing column %q", c))
		}
	}
	var rows [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, err.Error())
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			problems = append(problems, fmt.Sprintf("line %d: %d fields, the header has %d", line, len(rec), len(header)))
			continue
		}
		rows, lines = append(rows, rec), append(lines, line)
	}
	return cols, rows, lines, problems
}

func field(cols map[string]int, row []string, name string) string {
	i, ok := cols[name]
	if !ok {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// parseTime takes RFC 3339 or a bare date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(dateLayout, s)
}

// parseOrders checks every row and returns the purchases, one per order line (purchase id
// <order id>:<sku>), or every problem with its line number. Existence of customers and SKUs is
// checked against st.
func (a *app) parseOrders(ctx context.Context, st *store.DB, r io.Reader, historyAge time.Duration) ([]events.Purchase, []int, []string, error) {
	cols, rows, lines, problems := csvRows(r,
		[]string{"order_id", "customer_id", "sku", "ordered_at"}, []string{"price", "wanted_color", "wanted_size"})
	now := a.now().UTC()
	seen := map[string]int{}
	var ps []events.Purchase
	for i, row := range rows {
		line := lines[i]
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		}
		p := events.Purchase{CustomerID: field(cols, row, "customer_id"), SKU: field(cols, row, "sku"),
			WantedColor: field(cols, row, "wanted_color"), WantedSize: field(cols, row, "wanted_size")}
		order := field(cols, row, "order_id")
		for _, f := range []struct{ name, v string }{{"order_id", order}, {"customer_id", p.CustomerID}, {"sku", p.SKU}} {
			if err := lifecycle.ValidateID(f.name, f.v); err != nil {
				bad("%v", err)
			}
		}
		p.ID = order + ":" + p.SKU
		if err := lifecycle.ValidateID("order_id:sku", p.ID); err != nil && order != "" && p.SKU != "" {
			bad("%v", err)
		}
		if first, dup := seen[p.ID]; dup {
			bad("order %s has SKU %s twice (first on line %d): give each order line once", order, p.SKU, first)
		}
		seen[p.ID] = line
		at, err := parseTime(field(cols, row, "ordered_at"))
		switch {
		case err != nil:
			bad("ordered_at %q is not a time like %s or a date like %s", field(cols, row, "ordered_at"), now.Format(time.RFC3339), now.Format(dateLayout))
		case at.After(now.Add(time.Minute)):
			bad("ordered_at %s is in the future", at.Format(time.RFC3339))
		}
		p.At = at
		p.Historical = now.Sub(at) > historyAge
		if v := field(cols, row, "price"); v != "" {
			cents, ok := lifecycle.ParsePrice(v)
			if !ok {
				bad("price %q is not an amount like 79.95", v)
			}
			p.PriceCents = &cents
		}
		for _, f := range []string{"wanted_color", "wanted_size"} {
			if err := lifecycle.CheckLine(f, field(cols, row, f), lifecycle.MaxLabelLen); err != nil {
				bad("%v", err)
			}
		}
		ps = append(ps, p)
	}
	if len(problems) > 0 {
		return nil, nil, problems, nil
	}
	// Unknown customers and SKUs, and order lines recorded before for another customer or SKU,
	// named with their lines before anything is written: the import records in chunks, so a row
	// refused while recording would leave the chunks before it recorded.
	customerIDs, skus, ids := make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		customerIDs[i], skus[i], ids[i] = p.CustomerID, p.SKU, p.ID
	}
	unknownCustomers, unknownProducts, err := st.Unknown(ctx, customerIDs, skus)
	if err != nil {
		return nil, nil, nil, explainStoreError(err)
	}
	owners, err := st.PurchaseOwners(ctx, ids)
	if err != nil {
		return nil, nil, nil, explainStoreError(err)
	}
	for i, p := range ps {
		if unknownCustomers[p.CustomerID] {
			problems = append(problems, fmt.Sprintf("line %d: no customer %q (import it first: starter import customers FILE.csv)", lines[i], p.CustomerID))
		}
		if unknownProducts[p.SKU] {
			problems = append(problems, fmt.Sprintf("line %d: no product with SKU %q (import it first: starter import products FILE.csv)", lines[i], p.SKU))
		}
		if o, ok := owners[p.ID]; ok && (o.CustomerID != p.CustomerID || o.SKU != p.SKU) {
			problems = append(problems, fmt.Sprintf("line %d: order %s with SKU %s was imported before for customer %s: an order id belongs to one customer",
				lines[i], strings.TrimSuffix(p.ID, ":"+p.SKU), p.SKU, o.CustomerID))
		}
	}
	return ps, lines, problems, nil
}

// parseUsage checks every row of a readings file.
func (a *app) parseUsage(ctx context.Context, st *store.DB, r io.Reader) ([]events.Usage, []int, []string, error) {
	cols, rows, lines, problems := csvRows(r, []string{"customer_id", "metric", "used", "limit", "read_at"}, []string{"contract_ends"})
	now := a.now().UTC()
	seen := map[string]int{}
	var us []events.Usage
	for i, row := range rows {
		line := lines[i]
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		}
		u := events.Usage{CustomerID: field(cols, row, "customer_id")}
		if err := lifecycle.ValidateID("customer_id", u.CustomerID); err != nil {
			bad("%v", err)
		}
		u.Reading.Metric = lifecycle.Normalize(field(cols, row, "metric"))
		if err := lifecycle.CheckLine("metric", u.Reading.Metric, lifecycle.MaxLabelLen); err != nil || u.Reading.Metric == "" {
			bad("metric %q must be a name like data_mb", field(cols, row, "metric"))
		}
		used, err := strconv.ParseFloat(field(cols, row, "used"), 64)
		if err != nil || math.IsNaN(used) || math.IsInf(used, 0) || used < 0 {
			bad("used %q must be a number of units, 0 or more", field(cols, row, "used"))
		}
		limit, err := strconv.ParseFloat(field(cols, row, "limit"), 64)
		if err != nil || math.IsNaN(limit) || math.IsInf(limit, 0) || limit <= 0 {
			bad("limit %q must be a number of units above 0", field(cols, row, "limit"))
		}
		u.Reading.Used, u.Reading.Limit = used, limit
		at, err := parseTime(field(cols, row, "read_at"))
		switch {
		case err != nil:
			bad("read_at %q is not a time like %s", field(cols, row, "read_at"), now.Format(time.RFC3339))
		case at.After(now.Add(time.Minute)):
			bad("read_at %s is in the future", at.Format(time.RFC3339))
		}
		u.Reading.At = at
		if v := field(cols, row, "contract_ends"); v != "" {
			day, err := time.Parse(dateLayout, v)
			if err != nil {
				bad("contract_ends %q is not a date like %s", v, now.AddDate(1, 0, 0).Format(dateLayout))
			}
			u.Reading.ContractEndsAt = day
		}
		key := events.UsageEventID(u.CustomerID, u.Reading.Metric, u.Reading.At)
		if first, dup := seen[key]; dup {
			bad("the same customer, metric and read_at as line %d", first)
		}
		seen[key] = line
		us = append(us, u)
	}
	if len(problems) > 0 {
		return nil, nil, problems, nil
	}
	customerIDs := make([]string, len(us))
	for i, u := range us {
		customerIDs[i] = u.CustomerID
	}
	unknown, _, err := st.Unknown(ctx, customerIDs, nil)
	if err != nil {
		return nil, nil, nil, explainStoreError(err)
	}
	for i, u := range us {
		if unknown[u.CustomerID] {
			problems = append(problems, fmt.Sprintf("line %d: no customer %q (import it first: starter import customers FILE.csv)", lines[i], u.CustomerID))
		}
	}
	return us, lines, problems, nil
}

// importEvents runs `starter import orders|usage FILE.csv`.
func (a *app) importEvents(ctx context.Context, ev *events.Service, st *store.DB, kind string, imp eventImport) error {
	var (
		problems []string
		lines    []int // each row's line in the file
		run      func(opts events.ImportOptions) (fresh, history, total int, res events.ImportResult, err error)
	)
	switch kind {
	case "orders":
		ps, lns, probs, err := a.parseOrders(ctx, st, imp.file, imp.historyAge)
		if err != nil {
			return err
		}
		problems, lines = probs, lns
		run = func(opts events.ImportOptions) (int, int, int, events.ImportResult, error) {
			rs, res, err := ev.ImportPurchases(ctx, ps, opts)
			fresh, history := 0, 0
			for i, r := range rs {
				if r.New && ps[i].Historical {
					history++
				} else if r.New {
					fresh++
				}
			}
			return fresh, history, len(ps), res, err
		}
	default: // usage
		us, lns, probs, err := a.parseUsage(ctx, st, imp.file)
		if err != nil {
			return err
		}
		problems, lines = probs, lns
		run = func(opts events.ImportOptions) (int, int, int, events.ImportResult, error) {
			rs, res, err := ev.ImportUsages(ctx, us, opts)
			fresh := 0
			for _, r := range rs {
				if r.New {
					fresh++
				}
			}
			return fresh, 0, len(us), res, err
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "%s: %s\n", imp.path, p)
		}
		return fmt.Errorf("%s has %d problem(s) listed above; nothing from it was imported: fix them and run `starter import %s %s` again",
			imp.path, len(problems), kind, imp.path)
	}

	what := map[string]string{"orders": "order line(s)", "usage": "reading(s)"}[kind]
	tty := isTerminal(a.stdout)
	shown := -1 // the tenth of the way last printed when not on a terminal
	progress := func(p events.ImportProgress) {
		line, frac := importProgressLine(p, what)
		switch {
		case tty:
			fmt.Fprintf(a.stdout, "\r\033[K%s", line)
		case int(frac*10) > shown:
			shown = int(frac * 10)
			fmt.Fprintf(a.stdout, "import %s: %s\n", kind, line)
		}
	}
	fresh, history, total, res, err := run(events.ImportOptions{Concurrency: imp.concurrency, Progress: progress})
	if tty {
		fmt.Fprintln(a.stdout)
	}
	if err != nil {
		if res.Recorded == 0 {
			return fmt.Errorf("import %s from %s: nothing was imported: %w", kind, imp.path, explainStoreError(err))
		}
		return fmt.Errorf("import %s from %s stopped after recording the first %d of %d %s (up to line %d): %w; "+
			"their workflows are told (by the worker within %s, for what this import did not tell); run `starter import %s %s` again for the rest (what was recorded is skipped)",
			kind, imp.path, res.Recorded, total, what, lines[res.Recorded-1], explainStoreError(err), relayInterval, kind, imp.path)
	}
	msg := fmt.Sprintf("imported %d new %s of %d", fresh+history, what, total)
	if history > 0 {
		msg += fmt.Sprintf("; %d older than %s kept as history (preferences, wishes, segments): their follow-ups' moments have passed, so their workflows are not told and nothing is sent late",
			history, formatAge(imp.historyAge))
	}
	if old := total - fresh - history; old > 0 {
		msg += fmt.Sprintf("; %d recorded before, nothing new owed", old)
	}
	fmt.Fprintln(a.stdout, msg)
	if res.NotTold > 0 {
		return fmt.Errorf("%s imported; %d customer workflow(s) not told yet (the worker tells them within %s once Temporal answers, or import again, it is safe); the first error: %w",
			kind, res.NotTold, relayInterval, res.DeliveryError)
	}
	if res.DeliveryError != nil {
		return fmt.Errorf("%s imported, but the workflows were not all told yet (the worker tells them within %s): %w", kind, relayInterval, res.DeliveryError)
	}
	fmt.Fprintf(a.stdout, "told %d signal(s) to customer workflows\n", res.Delivered)
	return nil
}

// importProgressLine draws how far an import is: the bar is the share of rows recorded and of
// the customers they owe a signal told (or refused).
func importProgressLine(p events.ImportProgress, what string) (string, float64) {
	frac := 1.0
	if p.Rows > 0 {
		frac = float64(p.Recorded) / float64(p.Rows)
	}
	if p.Owed > 0 {
		frac *= float64(p.Told+p.NotTold) / float64(p.Owed)
	}
	cells := int(frac * progressBarWidth)
	line := fmt.Sprintf("[%s%s] %d/%d %s recorded, %d/%d customers told", strings.Repeat("#", cells), strings.Repeat(".", progressBarWidth-cells),
		p.Recorded, p.Rows, what, p.Told, p.Owed)
	if p.NotTold > 0 {
		line += fmt.Sprintf(" (%d not yet)", p.NotTold)
	}
	return line, frac
}
