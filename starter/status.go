package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// queryTimeout bounds the status query: it is answered by a worker, and none may be running.
const queryTimeout = 15 * time.Second

// timeLayout is how the starter shows times: in UTC, to the minute.
const timeLayout = "2006-01-02 15:04:05 UTC"

func runStatus(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	asJSON := fs.Bool("json", false, "print the status as JSON (customer_id, stage, preferences, purchases, wishes, pending, emails, decisions, policy, segment, usage, moments, attributed, ...)")
	customerID, err := a.parseCustomerFlags(c, fs, args, "`ID` of the customer (required)", nil)
	if err != nil {
		return err
	}
	st, err := a.queryStatus(ctx, customerID)
	if err != nil {
		return err
	}
	report := statusReport{Status: st}
	if pause, paused, err := a.sendingPause(ctx); err != nil {
		// The customer's status came from Temporal; only the pause of all sending is unknown.
		fmt.Fprintf(a.stderr, "starter: cannot tell whether sending is paused: %v\n", err)
	} else if paused {
		report.SendingPaused = &pause
	}
	if attributed, err := a.attributions(ctx, customerID); err != nil {
		fmt.Fprintf(a.stderr, "starter: cannot read the purchases credited to emails: %v\n", err)
	} else {
		report.Attributed = attributed
	}
	return writeStatusReport(a.stdout, report, *asJSON, a.now())
}

// statusReport is a customer's status and, while the mail provider refuses the API key, the pause
// of all sending, which holds this customer's follow-ups too.
type statusReport struct {
	workflows.Status
	SendingPaused *lifecycle.SendingPause `json:"sending_paused,omitempty"`
	// Attributed are the customer's purchases credited to an email (PostgreSQL), the latest first.
	Attributed []store.Attribution `json:"attributed,omitempty"`
}

// attributions reads the customer's purchases credited to an email from PostgreSQL.
func (a *app) attributions(ctx context.Context, customerID string) ([]store.Attribution, error) {
	st, err := a.db(ctx)
	if err != nil {
		return nil, err
	}
	return st.Attributions(ctx, customerID)
}

// sendingPause reads the pause of all sending from PostgreSQL.
func (a *app) sendingPause(ctx context.Context) (lifecycle.SendingPause, bool, error) {
	st, err := a.db(ctx)
	if err != nil {
		return lifecycle.SendingPause{}, false, err
	}
	return st.SendingPause(ctx)
}

// queryStatus asks the customer's workflow for its status snapshot.
func (a *app) queryStatus(ctx context.Context, customerID string) (workflows.Status, error) {
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return workflows.Status{}, err
	}
	id := workflows.CustomerWorkflowID(customerID)
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	value, err := tc.QueryWorkflow(qctx, id, "", workflows.QueryStatus)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return workflows.Status{}, fmt.Errorf("no workflow for customer %s: record a purchase first (starter purchase --customer %s --sku SKU)", customerID, customerID)
	case ctx.Err() == nil && noWorkerAnswered(err):
		// The workflow exists, but a query is answered by a worker, and none did in time.
		return workflows.Status{}, fmt.Errorf("no worker answered the status query of %s: is the worker running on task queue %q against namespace %q? (go run ./worker): %w",
			id, workflows.TaskQueue, a.cfg.Temporal.Namespace, err)
	case err != nil:
		return workflows.Status{}, fmt.Errorf("query status of %s: %w", id, err)
	}
	var st workflows.Status
	if err := value.Get(&st); err != nil {
		return workflows.Status{}, fmt.Errorf("decode status of %s: %w", id, err)
	}
	return st, nil
}

// writeStatusReport prints r as JSON (the status's own field names, and sending_paused while
// sending is paused) or as a report that starts with the pause.
func writeStatusReport(w io.Writer, r statusReport, asJSON bool, now time.Time) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	if r.SendingPaused != nil {
		fmt.Fprintf(w, "SENDING PAUSED for all customers since %s (%s ago): the mail provider refused the API key (%d: %s); follow-ups are held, none is lost; fix SENDGRID_API_KEY and they go out once\n\n",
			formatTime(r.SendingPaused.Since), formatAge(now.Sub(r.SendingPaused.Since)), r.SendingPaused.Status, r.SendingPaused.Message)
	}
	printStatus(w, r.Status, now)
	section(w, "purchases credited to an email", len(r.Attributed), func(tw *tabwriter.Writer) {
		for _, at := range r.Attributed {
			how := "last email sent"
			if at.Clicked {
				how = "clicked"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d.%02d\t%s\t%s (%s)\n", formatTime(at.PurchasedAt), at.PurchaseID,
				at.RevenueCents/100, at.RevenueCents%100, at.Kind, at.SendKey, how)
		}
	})
	return nil
}

// noWorkerAnswered reports whether err says that the query reached a workflow but no worker
// answered it: the server says so outright, or the query timed out.
func noWorkerAnswered(err error) bool {
	if err == nil {
		return false
	}
	var deadline *serviceerror.DeadlineExceeded
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) ||
		strings.Contains(err.Error(), "no poller")
}

// printStatus writes the status as a report a person reads top to bottom.
func printStatus(w io.Writer, st workflows.Status, now time.Time) {
	fmt.Fprintf(w, "customer %s (workflow %s)\n", st.CustomerID, workflows.CustomerWorkflowID(st.CustomerID))
	fmt.Fprintf(w, "stage: %s\n", st.Stage)
	prefs := st.Preferences
	fmt.Fprintf(w, "preferences: colours %s; sizes %s; categories %s\n",
		listOrNone(prefs.Colors), listOrNone(prefs.Sizes), listOrNone(prefs.Categories))
	if st.ConsentSource != "" {
		fmt.Fprintf(w, "consent last changed: %s, by %s\n", formatTime(st.ConsentAt), st.ConsentSource)
	}
	if len(st.Kinds) > 0 || st.Paused {
		kinds := make([]string, len(st.Kinds))
		for i, k := range st.Kinds {
			kinds[i] = string(k)
		}
		fmt.Fprintf(w, "wants: %s; paused: %t\n", listOrNone(kinds), st.Paused)
	}
	if len(st.Goals) > 0 {
		fmt.Fprintf(w, "goals reached (no more such offers): %s\n", listOrNone(st.Goals))
	}
	printSegmentAndUsage(w, st)

	section(w, "purchases", len(st.Purchases), func(tw *tabwriter.Writer) {
		for _, p := range st.Purchases {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s, %s, size %s\n", formatTime(p.At), p.ID, p.SKU, p.Name, p.Color, p.Size)
		}
	})
	section(w, "open wishes", len(st.Wishes), func(tw *tabwriter.Writer) {
		for _, wish := range st.Wishes {
			fmt.Fprintf(tw, "  %s in %s, size %s\t(wish %s)\texpires %s\n", wish.Name, wish.Color, wish.Size, wish.ID, formatTime(wish.ExpiresAt))
		}
	})
	section(w, "pending follow-ups", len(st.Pending), func(tw *tabwriter.Writer) {
		for _, p := range st.Pending {
			due := "due " + formatTime(p.Due)
			if p.Due.After(now) {
				due += " (in " + formatAge(p.Due.Sub(now)) + ")"
			}
			expires := ""
			if !p.ExpiresAt.IsZero() {
				expires = "expires " + formatTime(p.ExpiresAt)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Kind, due, expires, p.Key)
		}
	})
	if len(st.Handoffs) > 0 { // only workflows with hand-offs show the section
		section(w, "open hand-offs to the shop", len(st.Handoffs), func(tw *tabwriter.Writer) {
			for _, h := range st.Handoffs {
				state := "open"
				if h.Overdue {
					state = "OVERDUE"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\topened %s (%s ago), reminded %d\t%s\n", state, h.Kind, h.What, formatTime(h.CreatedAt), formatAge(now.Sub(h.CreatedAt)), h.Reminded, h.ID)
			}
		})
	}
	if len(st.Replies) > 0 { // only customers who replied show the section
		section(w, "replies by email", len(st.Replies), func(tw *tabwriter.Writer) {
			for _, r := range st.Replies {
				contact := ""
				if r.ContactPhrase != "" {
					contact = fmt.Sprintf("asks for contact (%q)", r.ContactPhrase)
				}
				fmt.Fprintf(tw, "  %s\t%s\t%q\t%s\n", formatTime(r.At), r.Kind, r.Text, contact)
			}
		})
	}
	section(w, "emails sent", len(st.Emails), func(tw *tabwriter.Writer) {
		for _, e := range st.Emails {
			fmt.Fprintf(tw, "  %s\t%s\t%q\n", formatTime(e.SentAt), e.Kind, e.Subject)
		}
	})
	if len(st.HeldOut) > 0 {
		section(w, "held out (control group: decided like an email, not sent; counts as a contact)", len(st.HeldOut), func(tw *tabwriter.Writer) {
			for _, e := range st.HeldOut {
				fmt.Fprintf(tw, "  %s\t%s\t%q\n", formatTime(e.SentAt), e.Kind, e.Subject)
			}
		})
	}
	section(w, "last decisions", len(st.Decisions), func(tw *tabwriter.Writer) {
		for _, d := range st.Decisions {
			kind := string(d.Kind)
			if kind == "" {
				kind = "-"
			}
			reason := d.Reason
			if !d.Until.IsZero() {
				reason += " (until " + formatTime(d.Until) + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", formatTime(d.At), d.Outcome, kind, reason)
		}
	})
}

func section(w io.Writer, title string, n int, rows func(tw *tabwriter.Writer)) {
	if n == 0 {
		fmt.Fprintf(w, "%s: none\n", title)
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	rows(tw)
	tw.Flush()
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timeLayout)
}

// formatAge writes a duration the way a person says it: 6d 23h, 5h 10m, 42s.
func formatAge(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= day:
		return fmt.Sprintf("%dd %dh", d/day, (d%day)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return fmt.Sprintf("%ds", d/time.Second)
	}
}

// printSegmentAndUsage shows the value segment and why, the usage profile per metric, the churn
// indicators present and every moment of truth with what was decided.
func printSegmentAndUsage(w io.Writer, st workflows.Status) {
	if st.Segment == "" {
		fmt.Fprintln(w, "segment: none (nothing bought yet, or no segment recompute since the first purchase)")
	} else {
		fmt.Fprintf(w, "segment: %s since %s, because %s\n", st.Segment, formatTime(st.SegmentAt), listOrNone(st.SegmentReasons))
	}
	if st.Unhappy != "" {
		fmt.Fprintf(w, "unhappy with: %s (service contact before any upsell)\n", st.Unhappy)
	}
	if len(st.ChurnIndicators) > 0 {
		fmt.Fprintf(w, "churn indicators: %s\n", strings.Join(st.ChurnIndicators, "; "))
	}
	section(w, "usage", len(st.Usage), func(tw *tabwriter.Writer) {
		for _, u := range st.Usage {
			for _, p := range u.Periods {
				warned := "no warning"
				if !p.WarnedAt.IsZero() {
					warned = fmt.Sprintf("warned at %g on %s", p.UsedAtWarning, formatTime(p.WarnedAt))
				}
				over := ""
				if p.Over() {
					over = "over the bundle"
				}
				fmt.Fprintf(tw, "  %s\tfrom %s\t%g of %g\t%s\t%s\n", u.Metric, formatTime(p.StartedAt), p.Used, p.Limit, warned, over)
			}
		}
	})
	section(w, "moments of truth", len(st.Moments), func(tw *tabwriter.Writer) {
		for _, m := range st.Moments {
			offer := m.Offer
			if offer == "" {
				offer = "no offer"
			}
			fmt.Fprintf(tw, "  %s\t%s %d%%\t%s\t%s\t%s; %s\n", formatTime(m.At), m.Metric, m.UsedPct, m.Behaviour, offer, m.Why, m.Decision)
		}
	})
}
