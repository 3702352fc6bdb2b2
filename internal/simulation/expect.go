package simulation

import (
	"fmt"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// Check is the outcome of one expectation.
type Check struct {
	Expectation string `json:"expectation"`
	Line        int    `json:"line"`
	Passed      bool   `json:"passed"`
	Message     string `json:"message"` // what happened; on failure, what happened instead
}

func check(expect []Expectation, res *Result) []Check {
	checks := make([]Check, 0, len(expect))
	for _, x := range expect {
		c := Check{Expectation: x.String(), Line: x.Line}
		switch x.Type {
		case ExpectEmail:
			c.Passed, c.Message = checkEmail(x, res)
		case ExpectNoEmail:
			c.Passed, c.Message = checkNoEmail(x, res)
		case ExpectDecision:
			c.Passed, c.Message = checkDecision(x, res)
		case ExpectAttributed:
			c.Passed, c.Message = checkAttributed(x, res)
		case ExpectStage:
			c.Passed = res.Stage == x.Stage
			if c.Passed {
				c.Message = fmt.Sprintf("stage %s at the end (day %d)", x.Stage, res.EndDay)
			} else {
				c.Message = fmt.Sprintf("expected stage %s at the end (day %d), but it is %s", x.Stage, res.EndDay, res.Stage)
			}
		}
		checks = append(checks, c)
	}
	return checks
}

func checkEmail(x Expectation, res *Result) (bool, string) {
	var same, sameDay []Email
	for _, e := range res.Emails {
		if e.Kind != x.Kind {
			continue
		}
		if e.Day == x.Day && (x.At == "" || res.clock(e.At) == x.At) {
			return true, fmt.Sprintf("%s email on day %d at %s: %q", x.Kind, x.Day, res.clock(e.At), e.Subject)
		}
		if e.Day == x.Day {
			sameDay = append(sameDay, e)
		}
		same = append(same, e)
	}
	msg := fmt.Sprintf("expected %s %s email on day %d, but ", article(x.Kind), x.Kind, x.Day)
	if x.At != "" {
		msg = fmt.Sprintf("expected %s %s email on day %d at %s, but ", article(x.Kind), x.Kind, x.Day, x.At)
	}
	if len(sameDay) > 0 {
		e := sameDay[0]
		msg += fmt.Sprintf("the %s email of day %d went out at %s", x.Kind, x.Day, res.clock(e.At))
		if why := res.whyThen(e); why != "" {
			msg += " (" + why + ")"
		}
		return false, msg
	}
	switch len(same) {
	case 0:
		msg += fmt.Sprintf("no %s email went out", x.Kind)
		if why := res.whyNone(x.Kind); why != "" {
			msg += " (" + why + ")"
		}
	case 1:
		msg += fmt.Sprintf("the only %s email went out on day %d", x.Kind, same[0].Day)
		if why := res.whyThen(same[0]); why != "" {
			msg += " (" + why + ")"
		}
	default:
		days := make([]string, len(same))
		for i, e := range same {
			days[i] = fmt.Sprint(e.Day)
		}
		msg += fmt.Sprintf("%s emails went out on days %s", x.Kind, strings.Join(days, ", "))
	}
	return false, msg
}

// clock is t's local time of day as an expectation's at: writes it.
func (res *Result) clock(t time.Time) string { return t.In(res.location).Format("15:04") }

func article(k lifecycle.Kind) string {
	if strings.ContainsRune("aeiou", rune(string(k)[0])) {
		return "an"
	}
	return "a"
}

func checkNoEmail(x Expectation, res *Result) (bool, string) {
	var found []string
	for _, e := range res.Emails {
		if e.Day >= x.FromDay && e.Day <= x.ToDay {
			found = append(found, fmt.Sprintf("%s on day %d (%q)", e.Kind, e.Day, e.Subject))
		}
	}
	if len(found) == 0 {
		return true, fmt.Sprintf("no email from day %d to day %d", x.FromDay, x.ToDay)
	}
	return false, fmt.Sprintf("expected no email from day %d to day %d, but %s went out", x.FromDay, x.ToDay, strings.Join(found, ", "))
}

// checkDecision looks for a decision with x's outcome, kind, day and reason text; on failure it
// lists the decisions about that kind (on that day) that were made instead.
func checkDecision(x Expectation, res *Result) (bool, string) {
	var instead []string
	for _, e := range res.Timeline {
		if e.Event != "" || (x.Kind != "" && e.Kind != x.Kind) || (!x.AnyDay && e.Day != x.Day) {
			continue
		}
		if e.Outcome == x.Outcome && strings.Contains(e.Reason, x.ReasonContains) {
			return true, fmt.Sprintf("%s %s on day %d: %s", e.Outcome, e.Kind, e.Day, e.Reason)
		}
		instead = append(instead, fmt.Sprintf("%s %s on day %d: %s", e.Outcome, e.Kind, e.Day, e.Reason))
	}
	what := string(x.Outcome)
	if x.Kind != "" {
		what += " " + string(x.Kind)
	}
	msg := "expected a " + what + " decision"
	if !x.AnyDay {
		msg += fmt.Sprintf(" on day %d", x.Day)
	}
	if x.ReasonContains != "" {
		msg += fmt.Sprintf(" with a reason containing %q", x.ReasonContains)
	}
	if len(instead) == 0 {
		return false, msg + ", but there was none"
	}
	return false, msg + ", but the workflow decided: " + strings.Join(instead, "; ")
}

// whyThen explains the day an email went out from the decisions about its key: a min_gap
// deferral, or the time it was scheduled for.
func (res *Result) whyThen(e Email) string {
	var scheduled *Entry
	for i := range res.Timeline {
		d := &res.Timeline[i]
		if d.Key != e.Key {
			continue
		}
		switch d.Outcome {
		case workflows.OutcomeDeferred:
			why := fmt.Sprintf("deferred on day %d", d.Day)
			if d.UntilDay != nil {
				why += fmt.Sprintf(" until day %d", *d.UntilDay)
			}
			rules, afterEmail := res.deferralRules(d.Reason)
			why += " by " + rules
			if last, ok := res.lastEmailBefore(d.At); ok && afterEmail {
				why += fmt.Sprintf(" after the %s email on day %d", last.Kind, last.Day)
			}
			return why
		case workflows.OutcomeScheduled:
			if scheduled == nil {
				scheduled = d
			}
		}
	}
	if scheduled == nil {
		return ""
	}
	return fmt.Sprintf("scheduled on day %d: %s", scheduled.Day, scheduled.Reason)
}

// deferralRules names the rules of the policy a deferral's reason gives, and whether they count
// from an earlier email (min_gap, max_per_window) rather than the clock (quiet hours).
func (res *Result) deferralRules(reason string) (string, bool) {
	var rules []string
	afterEmail := false
	if strings.Contains(reason, "min_gap") {
		rules = append(rules, "min_gap "+res.Policy.MinGap)
		afterEmail = true
	}
	if strings.Contains(reason, "max_per_window") {
		rules = append(rules, fmt.Sprintf("max_per_window %d per %s", res.Policy.MaxPerWindow, res.Policy.CapWindow))
		afterEmail = true
	}
	if strings.Contains(reason, "quiet hours") {
		rules = append(rules, "quiet_hours "+res.Policy.QuietHours+" in "+res.Customer.Timezone)
	}
	if len(rules) == 0 {
		return "the contact policy", true
	}
	return strings.Join(rules, " and "), afterEmail
}

func (res *Result) lastEmailBefore(t time.Time) (Email, bool) {
	var last Email
	found := false
	for _, e := range res.Emails {
		if !e.At.After(t) {
			last, found = e, true
		}
	}
	return last, found
}

// whyNone explains a kind that never went out: the decisions that stopped it and what was still
// pending at the end.
func (res *Result) whyNone(k lifecycle.Kind) string {
	var why []string
	for _, d := range res.Timeline {
		if d.Kind != k {
			continue
		}
		switch d.Outcome {
		case workflows.OutcomeDropped, workflows.OutcomeSkipped, workflows.OutcomeIgnored, workflows.OutcomeFailed:
			why = append(why, fmt.Sprintf("%s on day %d: %s", d.Outcome, d.Day, d.Reason))
		}
	}
	for _, p := range res.status.Pending {
		if p.Kind == k {
			why = append(why, fmt.Sprintf("still pending at the end, due on day %d", res.day(p.Due)))
		}
	}
	if len(why) == 0 && !res.hasKind(k) {
		return "the workflow never scheduled one"
	}
	return strings.Join(why, "; ")
}

func (res *Result) hasKind(k lifecycle.Kind) bool {
	for _, d := range res.Timeline {
		if d.Kind == k {
			return true
		}
	}
	return false
}

// checkAttributed looks for a purchase the report counts for x's kind (the holdout's when
// x.Holdout), with x's revenue and day when given; on failure it says what was counted instead.
func checkAttributed(x Expectation, res *Result) (bool, string) {
	var instead []string
	for _, a := range res.Attributions {
		if a.Kind == x.Kind && a.Holdout == x.Holdout && (x.Revenue == "" || a.Revenue == x.Revenue) && (x.AnyDay || a.Day == x.Day) {
			return true, fmt.Sprintf("day %d: %s", a.Day, a)
		}
		instead = append(instead, fmt.Sprintf("day %d: %s", a.Day, a))
	}
	what := fmt.Sprintf("a purchase credited to %s %s email", article(x.Kind), x.Kind)
	if x.Holdout {
		what = fmt.Sprintf("a purchase counted for the holdout of %s %s follow-up", article(x.Kind), x.Kind)
	}
	if x.Revenue != "" {
		what += " with revenue " + x.Revenue
	}
	if !x.AnyDay {
		what += fmt.Sprintf(" on day %d", x.Day)
	}
	if len(instead) == 0 {
		return false, "expected " + what + ", but no purchase was counted for any email or holdout (attribution_window " + res.Policy.AttributionWindow + ")"
	}
	return false, "expected " + what + ", but the report counts: " + strings.Join(instead, "; ")
}
