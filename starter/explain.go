package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// explainFollowUps is how many of the latest follow-ups `starter explain` walks through.
const explainFollowUps = 5

func runExplain(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	customerID, err := a.parseCustomerFlags(c, fs, args, "`ID` of the customer (required)", nil)
	if err != nil {
		return err
	}
	st, err := a.queryStatus(ctx, customerID)
	if err != nil {
		return err
	}
	writeExplanation(a.stdout, st, a.now())
	db, err := a.db(ctx)
	if err != nil {
		return err
	}
	n, history, err := db.HistoryPurchases(ctx, customerID, explainFollowUps)
	if err != nil {
		return explainStoreError(err)
	}
	writeHistory(a.stdout, n, history)
	return nil
}

// writeHistory says which orders were kept as history and why nothing was sent for them: n of
// them, the latest first.
func writeHistory(w io.Writer, n int, latest []lifecycle.Purchase) {
	if n == 0 {
		return
	}
	var names []string
	for _, p := range latest {
		names = append(names, fmt.Sprintf("%s (%s, %s)", p.ID, p.SKU, p.At.UTC().Format(dateLayout)))
	}
	more := ""
	if n > len(latest) {
		more = fmt.Sprintf(" and %d earlier", n-len(latest))
	}
	fmt.Fprintf(w, "%d order line(s) kept as history: %s%s. They were imported long after they were bought "+
		"(starter import orders --history-older-than): they taught preferences, wishes and the value segment, "+
		"but the moments of their follow-ups (care tips, check-ins) had passed, so the workflow was not told "+
		"and nothing was sent late for them.\n", n, strings.Join(names, ", "), more)
}

// writeExplanation tells, in sentences, why the customer's latest follow-ups did or did not go
// out: first what holds all marketing back, then each follow-up's path through the decisions.
func writeExplanation(w io.Writer, st workflows.Status, now time.Time) {
	fmt.Fprintf(w, "Customer %s is %s.\n", st.CustomerID, st.Stage)
	switch st.Stage {
	case workflows.StageUnsubscribed:
		fmt.Fprintf(w, "No marketing email goes out: consent was withdrawn%s.\n", consentOrigin(st))
	case workflows.StageSuppressed:
		fmt.Fprintln(w, "No marketing email goes out: the mail provider reported the address as bouncing, dropped, spam or unsubscribed.")
	}
	if st.Paused {
		fmt.Fprintln(w, "The customer paused all mail on the preference page.")
	}
	if len(st.Kinds) > 0 {
		fmt.Fprintf(w, "The customer wants only these follow-ups: %s.\n", joinKinds(st.Kinds))
	}
	for _, g := range st.Goals {
		fmt.Fprintf(w, "Goal reached, no more such offers: %s.\n", g)
	}
	if st.Segment != "" {
		fmt.Fprintf(w, "Segment %s (%s): %s\n", st.Segment, strings.Join(st.SegmentReasons, "; "), segmentStrategy[st.Segment])
	}
	if st.Unhappy != "" {
		fmt.Fprintf(w, "The customer said %s is not what they hoped for: service contact comes before any upsell.\n", st.Unhappy)
	}
	if len(st.ChurnIndicators) > 0 {
		fmt.Fprintf(w, "Churn indicators: %s.\n", strings.Join(st.ChurnIndicators, "; "))
	}
	pol := st.Policy
	fmt.Fprintf(w, "Contact policy: min_gap %s", formatAge(pol.MinGap))
	if pol.MaxPerWindow > 0 {
		fmt.Fprintf(w, ", at most %d per %s", pol.MaxPerWindow, formatAge(pol.CapWindow))
	}
	if q := pol.QuietHours.String(); q != "" {
		zone := st.Timezone
		if zone == "" {
			zone = "UTC"
		}
		fmt.Fprintf(w, ", quiet hours %s in %s", q, zone)
	}
	fmt.Fprintln(w, ".")

	// The latest follow-ups, each with every decision about it, oldest first.
	var keys []string
	for i := len(st.Decisions) - 1; i >= 0 && len(keys) < explainFollowUps; i-- {
		if k := st.Decisions[i].Key; k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		fmt.Fprintln(w, "\nNo follow-up has been decided yet.")
		return
	}
	slices.Reverse(keys)
	for _, key := range keys {
		var path []workflows.Decision
		for _, d := range st.Decisions {
			if d.Key == key {
				path = append(path, d)
			}
		}
		last := path[len(path)-1]
		fmt.Fprintf(w, "\n%s (%s): %s\n", last.Kind, key, verdict(last, st, now))
		for _, d := range path {
			fmt.Fprintf(w, "  %s  %-9s %s%s\n", d.At.UTC().Format(timeLayout), d.Outcome, d.Reason, untilSuffix(d))
		}
	}
}

func verdict(last workflows.Decision, st workflows.Status, now time.Time) string {
	switch last.Outcome {
	case workflows.OutcomeSent:
		return "sent."
	case workflows.OutcomeAccepted:
		return "sent, and the customer said yes."
	case workflows.OutcomeScheduled, workflows.OutcomeDeferred:
		for _, p := range st.Pending {
			if p.Key == last.Key {
				return fmt.Sprintf("waiting, goes out at %s (%s).", p.Due.UTC().Format(timeLayout), relative(p.Due, now))
			}
		}
		return "no longer pending."
	case workflows.OutcomeDropped:
		return "dropped (" + string(last.ReasonCode()) + "), not sent: " + last.Reason + "."
	case workflows.OutcomeSkipped:
		return "not sent (" + string(last.ReasonCode()) + "): " + last.Reason + "."
	case workflows.OutcomeFailed:
		return "failed: " + last.Reason + "."
	case workflows.OutcomeHeldOut:
		return "held out, not sent: the customer is in this follow-up's control group. Everything else was decided as for an email, " +
			"it counts as a contact for min_gap and the cap, and a purchase within the attribution window counts for the holdout in `starter report`."
	}
	return string(last.Outcome) + " (" + string(last.ReasonCode()) + "): " + last.Reason + "."
}

func untilSuffix(d workflows.Decision) string {
	if d.Until.IsZero() {
		return ""
	}
	return " (until " + d.Until.UTC().Format(timeLayout) + ")"
}

func relative(t, now time.Time) string {
	if d := t.Sub(now); d > 0 {
		return "in " + formatAge(d)
	}
	return "now"
}

func consentOrigin(st workflows.Status) string {
	if st.ConsentSource == "" {
		return ""
	}
	return " (" + st.ConsentSource + ", " + st.ConsentAt.UTC().Format(timeLayout) + ")"
}

func joinKinds(kinds []lifecycle.Kind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// segmentStrategy says in a sentence what each segment's strategy does to the follow-ups.
var segmentStrategy = map[lifecycle.Segment]string{
	lifecycle.SegmentAmbassador: "an invitation to early access, sales worded as early access.",
	lifecycle.SegmentLoyal:      "a short feedback ask to involve them.",
	lifecycle.SegmentShopper:    "discount-led sale mail only, no collections or invitations.",
	lifecycle.SegmentLeaver:     "only the exit question and, after a quiet period, one win-back.",
}
