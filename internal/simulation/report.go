package simulation

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/tailorhq/tailor/workflows"
)

// WriteTimeline writes the result for a person: the scenario, the timeline, the emails, the stage
// and every expectation.
func (res *Result) WriteTimeline(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("Scenario %s", res.Scenario)
	if res.Description != "" {
		ew.printf(": %s", res.Description)
	}
	c := res.Customer
	ew.printf("\nCustomer %s: %s <%s>, locale %s, time zone %s\n", c.ID, c.Name, c.Email, c.Locale, c.Timezone)
	if res.CustomerFrom != "" {
		ew.printf("  from %s\n", res.CustomerFrom)
	}
	if res.CatalogueFrom != "" {
		ew.printf("Catalogue: %s\n", res.CatalogueFrom)
	}
	ew.printf("Policy: %s\n", res.Policy)
	ew.printf("Simulated day 0 (%s) to day %d (%s); times are the customer's local time\n\n",
		res.local(res.Start), res.EndDay, res.local(res.End))

	tw := tabwriter.NewWriter(ew, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "DAY\tLOCAL TIME\tWHAT\tKIND\tDETAIL\n")
	for _, e := range res.Timeline {
		if e.Event != "" {
			kind, detail, _ := strings.Cut(e.Event, " ")
			fmt.Fprintf(tw, "%d\t%s\tevent\t%s\t%s\n", e.Day, e.Local, kind, detail)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Day, e.Local, e.Outcome, e.Kind, res.describe(e))
	}
	tw.Flush()

	ew.printf("\nEmails: %d\n", len(res.Emails))
	tw = tabwriter.NewWriter(ew, 2, 8, 2, ' ', 0)
	for _, e := range res.Emails {
		fmt.Fprintf(tw, "  day %d\t%s\t%s\t%q\n", e.Day, e.Local, e.Kind, e.Subject)
	}
	tw.Flush()
	if len(res.Attributions) > 0 {
		ew.printf("Purchases as the report counts them (attribution_window %s):\n", res.Policy.AttributionWindow)
		for _, a := range res.Attributions {
			ew.printf("  day %d  %s\n", a.Day, a)
		}
	}
	ew.printf("Stage at the end: %s\n", res.Stage)

	if len(res.Checks) > 0 {
		failed := 0
		for _, c := range res.Checks {
			if !c.Passed {
				failed++
			}
		}
		ew.printf("\nExpectations: %d passed, %d failed\n", len(res.Checks)-failed, failed)
		for _, c := range res.Checks {
			if c.Passed {
				ew.printf("  ok    line %d  %s\n", c.Line, c.Expectation)
				continue
			}
			ew.printf("  FAIL  line %d  %s\n        %s\n", c.Line, c.Expectation, c.Message)
		}
	}
	return ew.err
}

// describe is a decision as a person reads it.
func (res *Result) describe(e Entry) string {
	switch e.Outcome {
	case workflows.OutcomeSent:
		return fmt.Sprintf("%q", e.Reason)
	case workflows.OutcomeDeferred:
		return fmt.Sprintf("until day %d, %s: %s", *e.UntilDay, res.local(e.Until), e.Reason)
	case workflows.OutcomeScheduled:
		if e.UntilDay != nil && e.Until.After(e.At) {
			return fmt.Sprintf("for day %d, %s: %s", *e.UntilDay, res.local(e.Until), e.Reason)
		}
		return "now: " + e.Reason
	}
	return e.Reason
}

// Failures returns one line per failed expectation, for an error message.
func (res *Result) Failures() []string {
	var out []string
	for _, c := range res.Checks {
		if !c.Passed {
			out = append(out, fmt.Sprintf("%s: line %d: %s", res.Scenario, c.Line, c.Message))
		}
	}
	return out
}

// WriteEmails writes each email as <day>-<kind>.html and .txt into dir, creating it, and returns
// the paths written. A second email of one kind on one day gets a -2 suffix.
func (res *Result) WriteEmails(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create email folder: %w", err)
	}
	var paths []string
	used := map[string]int{}
	for _, e := range res.Emails {
		base := fmt.Sprintf("%d-%s", e.Day, e.Kind)
		used[base]++
		if n := used[base]; n > 1 {
			base = fmt.Sprintf("%s-%d", base, n)
		}
		for _, f := range []struct{ ext, body string }{{".html", e.HTML}, {".txt", e.Text}} {
			path := filepath.Join(dir, base+f.ext)
			body := f.body
			if f.ext == ".txt" {
				body = "To: " + e.To + "\nSubject: " + e.Subject + "\n\n" + strings.TrimLeft(body, "\n")
			}
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				return paths, fmt.Errorf("write email: %w", err)
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

// errWriter keeps the first write error so that a report is written without checking every line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
