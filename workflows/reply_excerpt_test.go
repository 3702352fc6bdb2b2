package workflows_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// A long reply is cut for the decision and the hand-off on a character, never inside one: a
// curly quote (3 bytes) straddling the cut leaves no replacement character behind.
func TestReplyExcerptCutsOnACharacter(t *testing.T) {
	for _, at := range []int{118, 119, 198, 199} { // the quote's bytes straddle the 120 and 200 byte cuts
		text := strings.Repeat("a", at) + "’ call me " + strings.Repeat("b", 300)
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		key := lifecycle.SendKey("david", lifecycle.KindCheckin, "p1")
		h.signal(day, workflows.SignalReply, workflows.ReplySignal{NoteID: "reply-1", Key: key, Kind: lifecycle.KindCheckin,
			Text: text, ContactPhrase: "call me", At: storyStart.Add(day)})
		h.requireCanceled(h.runUntil(2*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		var texts []string
		for _, d := range h.status.Decisions {
			if d.Key == key {
				texts = append(texts, d.Reason)
			}
		}
		for _, ho := range h.status.Handoffs {
			texts = append(texts, ho.What)
		}
		require.NotEmpty(t, texts, "quote at byte %d: a decision and a hand-off about the reply", at)
		for _, s := range texts {
			require.True(t, utf8.ValidString(s), "quote at byte %d: %q", at, s)
			require.NotContains(t, s, "\uFFFD", "quote at byte %d: %q", at, s)
		}
	}
}
