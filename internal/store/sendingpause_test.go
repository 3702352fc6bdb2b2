package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

func TestSendingPauseKeepsItsStartUntilResumed(t *testing.T) {
	b := setup(t)
	_, paused, err := b.s.SendingPause(b.ctx)
	require.NoError(t, err)
	require.False(t, paused, "a fresh database sends")

	first := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	require.NoError(t, b.s.PauseSending(b.ctx, lifecycle.SendingPause{Since: first, Status: 401, Message: "revoked", LastRefusedAt: first}))
	later := first.Add(time.Hour)
	require.NoError(t, b.s.PauseSending(b.ctx, lifecycle.SendingPause{Since: later, Status: 403, Message: "no mail.send scope", LastRefusedAt: later}))
	p, paused, err := b.s.SendingPause(b.ctx)
	require.NoError(t, err)
	require.True(t, paused)
	require.True(t, p.Since.Equal(first), "the pause began at the first refusal, got %s", p.Since)
	require.True(t, p.LastRefusedAt.Equal(later), "last refusal %s", p.LastRefusedAt)
	require.Equal(t, 403, p.Status)
	require.Equal(t, "no mail.send scope", p.Message)

	require.NoError(t, b.s.ResumeSending(b.ctx))
	require.NoError(t, b.s.ResumeSending(b.ctx), "resuming twice is harmless")
	_, paused, err = b.s.SendingPause(b.ctx)
	require.NoError(t, err)
	require.False(t, paused, "resumed")
}
