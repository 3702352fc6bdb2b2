package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// `starter status` lists the replies by email, and says which asked for contact; a customer who
// never replied has no such section.
func TestStatusShowsRepliesByEmail(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	st := workflows.Status{CustomerID: "david", Stage: workflows.StagePurchased, Replies: []workflows.Reply{
		{At: at, NoteID: "reply-1", Key: "customer/david/exit/20261201", Kind: lifecycle.KindExit, Text: "Moved to Ghent."},
		{At: at.Add(time.Hour), NoteID: "reply-2", Key: "customer/david/checkin/p1", Kind: lifecycle.KindCheckin, Text: "Te lang. Bel me.", ContactPhrase: "bel me"},
	}}
	var out bytes.Buffer
	require.NoError(t, writeStatusReport(&out, statusReport{Status: st}, false, at.Add(2*time.Hour)))
	got := out.String()
	require.Contains(t, got, "replies by email:")
	require.Contains(t, got, `"Moved to Ghent."`)
	require.Contains(t, got, `asks for contact ("bel me")`)

	out.Reset()
	st.Replies = nil
	require.NoError(t, writeStatusReport(&out, statusReport{Status: st}, false, at))
	require.NotContains(t, out.String(), "replies by email")
}
