package workflows

import (
	"fmt"
	"slices"
	"strings"

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
		if reason := segmentUnwanted(s.Segment, f.Kind); reason != "" {
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
	default:
		l.decide(Decision{At: now, Outcome: OutcomeScheduled, Code: lifecycle.ReasonSegment, Reason: why})
	}
}
