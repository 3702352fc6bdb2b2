package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

func TestSendingPauseKeepsItsStartUntilResumed(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, paused, err := st.SendingPause(ctx)
	require.NoError(t, err)
	require.False(t, paused, "a fresh database sends")

	first := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	require.NoError(t, st.PauseSending(ctx, lifecycle.SendingPause{Since: first, Status: 401, Message: "revoked", LastRefusedAt: first}))
	later := first.Add(time.Hour)
	require.NoError(t, st.PauseSending(ctx, lifecycle.SendingPause{Since: later, Status: 403, Message: "no mail.send scope", LastRefusedAt: later}))
	p, paused, err := st.SendingPause(ctx)
	require.NoError(t, err)
	require.True(t, paused)
	require.True(t, p.Since.Equal(first), "the pause began at the first refusal, got %s", p.Since)
	require.True(t, p.LastRefusedAt.Equal(later), "last refusal %s", p.LastRefusedAt)
	require.Equal(t, 403, p.Status)
	require.Equal(t, "no mail.send scope", p.Message)

	require.NoError(t, st.ResumeSending(ctx))
	require.NoError(t, st.ResumeSending(ctx), "resuming twice is harmless")
	_, paused, err = st.SendingPause(ctx)
	require.NoError(t, err)
	require.False(t, paused, "resumed")
}
