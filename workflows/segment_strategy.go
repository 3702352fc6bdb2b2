package workflows

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// segmentPolicy is the segment policy; a policy loaded before it existed has none, and then the
// defaults hold.
func (l *lifecycleRun) segmentPolicy() lifecycle.SegmentPolicy {
	if l.policy.Segments.WinbackAfter <= 0 {
		return lifecycle.DefaultSegmentPolicy()
	}
	return l.policy.Segments
}

// onSegment takes the customer's new value segment (from SegmentRecompute) and adapts the
// follow-ups to its strategy: ambassadors get an invitation to early access, loyal customers a
// short feedback ask, shoppers discount-led sale mail only, leavers an exit question and, after a
// quiet period, one win-back. Waiting follow-ups the new strategy leaves out are dropped.
func (l *lifecycleRun) onSegment(ctx workflow.Context, sig SegmentSignal) {
	s, now := l.state, workflow.Now(ctx)
	at := eventTime(ctx, sig.At)
	if sig.Segment == s.Segment {
		s.SegmentReasons, s.SegmentAt = slices.Clone(sig.Reasons), at
		return
	}
	if sig.Segment != lifecycle.SegmentNone && !slices.Contains(lifecycle.Segments, sig.Segment) {
		l.decide(Decision{At: now, Outcome: OutcomeIgnored, Code: lifecycle.ReasonOther, Reason: fmt.Sprintf("unknown segment %q", sig.Segment)})
		return
	}
	from := s.Segment
	s.Segment, s.SegmentReasons, s.SegmentAt = sig.Segment, slices.Clone(sig.Reasons), at
	why := fmt.Sprintf("segment %s → %s (%s)", segmentName(from), segmentName(sig.Segment), strings.Join(sig.Reasons, "; "))
	for _, f := range slices.Clone(s.Pending) {
		if reason := segmentUnwanted(s.Segment, f); reason != "" {
			l.drop(now, f, lifecycle.ReasonSegment, reason)
		}
	}
	day := at.UTC().Format("20060102")
	switch s.Segment {
	case lifecycle.SegmentAmbassador:
		l.scheduleFor(now, lifecycle.FollowUp{Key: lifecycle.SendKey(s.CustomerID, lifecycle.KindInvitation, day), Kind: lifecycle.KindInvitation, Due: now}, lifecycle.ReasonSegment,
			why+": an invitation to early access")
	case lifecycle.SegmentLoyal:
		l.scheduleFor(now, lifecycle.FollowUp{Key: lifecycle.SendKey(s.CustomerID, lifecycle.KindFeedback, day), Kind: lifecycle.KindFeedback, Due: now}, lifecycle.ReasonSegment,
			why+": a short feedback ask")
	case lifecycle.SegmentLeaver:
		l.scheduleFor(now, lifecycle.FollowUp{Key: lifecycle.SendKey(s.CustomerID, lifecycle.KindExit, day), Kind: lifecycle.KindExit, Due: now}, lifecycle.ReasonSegment,
			why+": the exit question")
		after := l.segmentPolicy().WinbackAfter
		l.scheduleFor(now, lifecycle.FollowUp{Key: lifecycle.SendKey(s.CustomerID, lifecycle.KindWinback, day), Kind: lifecycle.KindWinback, Due: now.Add(after)}, lifecycle.ReasonSegment,
			fmt.Sprintf("%s: one win-back after a quiet period of %s", why, formatDuration(after)))
		l.offerRetention(ctx, now)
	default:
		l.decide(Decision{At: now, Outcome: OutcomeScheduled, Code: lifecycle.ReasonSegment, Reason: why})
	}
}

// leaverRetentionChange is the change id of the retention offer to leavers (docs/VERSIONING.md):
// version 1 queues an offer (and later sends it) where histories recorded before queued nothing.
const leaverRetentionChange = "leaver-retention"

// retentionOn reports whether this run offers leavers retention: a GetVersion marker at the first
// leaver whose contract ends soon, asked once per run.
func (l *lifecycleRun) retentionOn(ctx workflow.Context) bool {
	if !l.retentionChecked {
		l.retention = workflow.GetVersion(ctx, leaverRetentionChange, workflow.DefaultVersion, 1) == 1
		l.retentionChecked = true
	}
	return l.retention
}

// offerRetention queues the retention offer for a leaver whose contract ends within the policy's
// contract_end_within: the first offer configured for churn-risk, once per metric and contract end
// (key customer/<id>/offer/<metric>/retention/<end day>), valid until the contract ends. Without
// such an offer configured it records why none goes out. The leaver strategy skips every other
// offer; this one it lets through (segmentUnwanted).
func (l *lifecycleRun) offerRetention(ctx workflow.Context, now time.Time) {
	s := l.state
	if s.Segment != lifecycle.SegmentLeaver {
		return
	}
	pol := l.usagePolicy()
	for _, p := range s.Usage { // sorted by metric
		end := p.ContractEndsAt
		if end.IsZero() || !end.After(now) || end.Sub(now) > pol.ContractEndWithin {
			continue
		}
		key := lifecycle.SendKey(s.CustomerID, lifecycle.KindOffer, p.Metric+"/retention/"+end.UTC().Format("20060102"))
		if s.known(key) || !l.retentionOn(ctx) {
			continue
		}
		what := fmt.Sprintf("leaver whose %s contract ends on %s, within contract_end_within %s", p.Metric, end.Format(time.DateOnly), formatDuration(pol.ContractEndWithin))
		offer, ok, decision := lifecycle.ChooseOffer(lifecycle.BehaviourChurnRisk, pol)
		if !ok {
			s.markDone(key)
			l.decide(Decision{At: now, Kind: lifecycle.KindOffer, Key: key, Outcome: OutcomeSkipped, Code: lifecycle.ReasonNoOffer, Reason: what + "; " + decision})
			continue
		}
		usedPct := 0
		if n := len(p.Periods); n > 0 && p.Periods[n-1].Limit > 0 {
			usedPct = int(math.Floor(p.Periods[n-1].Used / p.Periods[n-1].Limit * 100))
		}
		l.scheduleFor(now, lifecycle.FollowUp{
			Key:            key,
			Kind:           lifecycle.KindOffer,
			Due:            now,
			ExpiresAt:      end,
			BundleOffer:    &offer,
			Metric:         p.Metric,
			UsedPct:        usedPct,
			Behaviour:      lifecycle.BehaviourChurnRisk,
			ContractEndsAt: end,
		}, lifecycle.ReasonSegment, what+": the retention offer; "+decision)
	}
}
