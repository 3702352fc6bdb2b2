package activities

import (
	"errors"
	"slices"

	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// EmailCounter counts the outcomes of SendFollowUp (tailor_emails_total in the worker's /metrics).
// Every argument is a bounded label value: a follow-up kind, an Email* outcome and a Skip* or
// Fail* reason.
type EmailCounter interface {
	CountEmail(kind, outcome, reason string)
}

// Outcomes of SendFollowUp, as metric labels.
const (
	EmailSent    = "sent"
	EmailSkipped = "skipped"
	EmailFailed  = "failed"
	// EmailHeld: sending is paused (the provider refuses the API key); the follow-up waits.
	EmailHeld = "held"
	// EmailHeldOut: the customer is in the follow-up's holdout; nothing was sent, by design.
	EmailHeldOut = "held_out"
)

// Reasons, as metric labels. A skip's sentence (SkipReason) stays in the workflow's decisions; its
// code (SkipCode, one of these) is the label and the campaign outcome's reason.
const (
	ReasonNone     = "none"
	SkipNoConsent  = lifecycle.ReasonNoConsent
	SkipSuppressed = lifecycle.ReasonSuppressed
	SkipNoProducts = lifecycle.ReasonNoProducts // nothing in stock, in the customer's sizes or categories
	SkipOther      = lifecycle.ReasonOther      // e.g. refused earlier by the mail provider
)

const (
	// FailPermanent is a non-retryable error: the workflow records the follow-up as failed.
	FailPermanent = "permanent"
	// FailTransient is an error Temporal retries: counted per attempt, so it may exceed the
	// follow-ups that finally failed.
	FailTransient = "transient"
	// HeldSendingPaused is the reason of every held attempt.
	HeldSendingPaused = "sending_paused"
)

func (a *Activities) countEmail(kind lifecycle.Kind, res SendFollowUpResult, err error) {
	if a.Emails == nil {
		return
	}
	outcome, reason := EmailSent, ReasonNone
	switch {
	case err != nil:
		outcome, reason = EmailFailed, FailTransient
		if appErr := (*temporal.ApplicationError)(nil); errors.As(err, &appErr) && appErr.Type() == ErrTypeSendingPaused {
			outcome, reason = EmailHeld, HeldSendingPaused
		} else if errors.As(err, &appErr) && appErr.NonRetryable() {
			reason = FailPermanent
		}
	case res.HeldOut:
		outcome, reason = EmailHeldOut, string(res.SkipCode)
	case !res.Sent:
		outcome, reason = EmailSkipped, string(res.SkipCode)
	}
	a.Emails.CountEmail(KindLabel(kind), outcome, reason)
}

// KindLabel is kind as a metric label: one of the known kinds, "none" or "unknown".
func KindLabel(kind lifecycle.Kind) string {
	switch {
	case kind == "":
		return ReasonNone
	case slices.Contains(lifecycle.AllKinds, kind):
		return string(kind)
	}
	return "unknown"
}
