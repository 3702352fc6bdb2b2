package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

const tasksDetails = `A task is a hand-off to the shop: a customer said "yes, I'm interested" to an offer, or said a
purchase is not what they hoped for. The worker tells the shop once (SHOP_NOTIFY_EMAIL,
SHOP_WEBHOOK_URL) and reminds it after handoff_remind_after, and once more, while it stays open.
list: the open tasks, oldest first (--all: the done ones too), overdue ones marked.
show ID: one task.
done ID: mark it done; the customer's workflow is told and stops reminding. Done twice changes nothing.`

// taskView is a hand-off as `tasks` prints it.
type taskView struct {
	lifecycle.Handoff
	Overdue bool `json:"overdue"`
}

func runTasks(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "list: the done tasks too")
	rest, err := a.parseFlags(c, fs, args, 2)
	if err != nil {
		return err
	}
	verb := "list"
	if len(rest) > 0 {
		verb = rest[0]
	}
	switch verb {
	case "list":
		if len(rest) > 1 {
			return usagef("list takes no ID")
		}
	case "show", "done":
		if len(rest) < 2 || rest[1] == "" {
			return usagef("%s needs a task ID (starter tasks list shows them)", verb)
		}
	default:
		return usagef("unknown %q: want list, show ID or done ID", verb)
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	horizon := cfg.Policy.RemindAfter()
	view := func(h lifecycle.Handoff) taskView {
		return taskView{Handoff: h, Overdue: h.DoneAt.IsZero() && a.now().After(h.CreatedAt.Add(horizon))}
	}
	switch verb {
	case "list":
		st, err := a.db(ctx)
		if err != nil {
			return err
		}
		hs, err := st.Handoffs(ctx, *all)
		if err != nil {
			return explainStoreError(err)
		}
		views := make([]taskView, len(hs))
		for i, h := range hs {
			views[i] = view(h)
		}
		if *asJSON {
			return writeJSON(a, views)
		}
		if len(views) == 0 {
			fmt.Fprintln(a.stdout, "no open tasks")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "STATE\tOPENED\tCUSTOMER\tKIND\tWHAT\tREMINDED\tID")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", taskState(v), formatTime(v.CreatedAt), v.CustomerID, v.Kind, v.What, v.Reminded, v.ID)
		}
		return tw.Flush()
	case "show":
		st, err := a.db(ctx)
		if err != nil {
			return err
		}
		h, err := st.Handoff(ctx, rest[1])
		if err != nil {
			return explainStoreError(err)
		}
		v := view(h)
		if *asJSON {
			return writeJSON(a, v)
		}
		printTask(a, v, horizon)
		return nil
	default: // done
		ev, _, err := a.events(ctx)
		if err != nil {
			return err
		}
		h, res, err := ev.HandoffDone(ctx, rest[1])
		if err != nil {
			return explainStoreError(err)
		}
		if *asJSON {
			return writeJSON(a, struct {
				taskView
				AlreadyDone bool `json:"already_done"`
				Delivered   bool `json:"delivered"`
			}{view(h), !res.New, res.Delivered})
		}
		switch {
		case !res.New:
			fmt.Fprintf(a.stdout, "task %s was already done (%s); nothing changed\n", h.ID, formatTime(h.DoneAt))
		case res.Delivered:
			fmt.Fprintf(a.stdout, "task %s done; customer %s's workflow stops reminding the shop\n", h.ID, h.CustomerID)
		default:
			fmt.Fprintf(a.stdout, "task %s done; customer %s's workflow is told by the worker within %s", h.ID, h.CustomerID, relayInterval)
			if res.DeliveryError != nil {
				fmt.Fprintf(a.stdout, " (%v)", res.DeliveryError)
			}
			fmt.Fprintln(a.stdout)
		}
		return nil
	}
}

func taskState(v taskView) string {
	switch {
	case !v.DoneAt.IsZero():
		return "done"
	case v.Overdue:
		return "OVERDUE"
	}
	return "open"
}

func printTask(a *app, v taskView, horizon time.Duration) {
	tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "task\t%s\n", v.ID)
	fmt.Fprintf(tw, "state\t%s\n", taskState(v))
	fmt.Fprintf(tw, "customer\t%s (starter status --customer %s)\n", v.CustomerID, v.CustomerID)
	fmt.Fprintf(tw, "kind\t%s\n", v.Kind)
	fmt.Fprintf(tw, "what\t%s\n", v.What)
	fmt.Fprintf(tw, "opened\t%s\n", formatTime(v.CreatedAt))
	fmt.Fprintf(tw, "reminded\t%d of %d (every %s while open)\n", v.Reminded, lifecycle.MaxHandoffReminders, horizon)
	if !v.DoneAt.IsZero() {
		fmt.Fprintf(tw, "done\t%s\n", formatTime(v.DoneAt))
	}
	tw.Flush()
}

func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
