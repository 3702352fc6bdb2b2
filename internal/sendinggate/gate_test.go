package sendinggate_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendinggate"
)

type memStore struct {
	mu     sync.Mutex
	pause  lifecycle.SendingPause
	paused bool
}

func (s *memStore) SendingPause(context.Context) (lifecycle.SendingPause, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pause, s.paused, nil
}

func (s *memStore) PauseSending(_ context.Context, p lifecycle.SendingPause) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused {
		p.Since = s.pause.Since
	}
	s.pause, s.paused = p, true
	return nil
}

func (s *memStore) ResumeSending(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pause, s.paused = lifecycle.SendingPause{}, false
	return nil
}

type countByStatus map[int]int

func (c countByStatus) CountAuthFailure(status int) { c[status]++ }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func newGate(t *testing.T, st *memStore, c *clock, counter countByStatus, logs *bytes.Buffer) *sendinggate.Gate {
	t.Helper()
	g, err := sendinggate.New(context.Background(),
		sendinggate.Config{ProbeInterval: time.Minute, HoldMax: 15 * time.Minute, RemindEvery: 10 * time.Minute},
		sendinggate.Deps{Store: st, Counter: counter, Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: c.now})
	require.NoError(t, err)
	return g
}

func TestGatePausesProbesAndResumes(t *testing.T) {
	ctx := context.Background()
	st, c, counter, logs := &memStore{}, &clock{t: t0}, countByStatus{}, &bytes.Buffer{}
	g := newGate(t, st, c, counter, logs)
	requireHold := func(at time.Duration, wantHeld bool, wantWait time.Duration) {
		t.Helper()
		c.t = t0.Add(at)
		_, wait, held := g.Hold(ctx)
		require.Equal(t, wantHeld, held, "held at +%v", at)
		require.Equal(t, wantWait, wait, "wait of a send held at +%v", at)
	}

	requireHold(0, false, 0) // sending runs
	require.NoError(t, g.Check(ctx))

	p, wait := g.Refused(ctx, &lifecycle.SendError{Status: 401, Message: "revoked", AuthRefused: true})
	require.Equal(t, time.Minute, wait, "a fresh pause holds for the probe interval")
	require.True(t, p.Since.Equal(t0))
	require.True(t, st.paused, "the pause is recorded for starter status")
	err := g.Check(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "sending paused since 2026-03-01T10:00:00Z")
	require.Contains(t, err.Error(), "401: revoked")

	requireHold(time.Second, true, time.Minute) // within the probe interval: held
	requireHold(30*time.Second, true, time.Minute)
	requireHold(61*time.Second, false, 0) // a probe
	requireHold(62*time.Second, true, time.Minute+2*time.Second)
	c.t = t0.Add(61 * time.Second)
	_, wait = g.Refused(ctx, &lifecycle.SendError{Status: 403, Message: "no scope", AuthRefused: true})
	require.Equal(t, 61*time.Second, wait, "held as long as the pause has lasted")
	require.True(t, st.pause.Since.Equal(t0), "the pause keeps its start")
	require.Equal(t, 403, st.pause.Status)
	requireHold(2*time.Hour, false, 0) // a probe
	requireHold(2*time.Hour+time.Second, true, 15*time.Minute)

	require.Equal(t, countByStatus{401: 1, 403: 1}, counter, "every refusal counted, by status")
	require.Equal(t, 1, strings.Count(logs.String(), "SENDING PAUSED"), "the pause is logged once when it starts:\n%s", logs)
	require.Equal(t, 1, strings.Count(logs.String(), "SENDING STILL PAUSED"), "and reminded once after 10m, not per email:\n%s", logs)

	g.Accepted(ctx)
	require.NoError(t, g.Check(ctx))
	require.False(t, st.paused, "resuming clears the recorded pause")
	require.Contains(t, logs.String(), "sending resumed")
	requireHold(2*time.Hour+2*time.Second, false, 0)
}

func TestGateStartsPausedFromTheStoreAndProbesAtOnce(t *testing.T) {
	ctx := context.Background()
	st := &memStore{paused: true, pause: lifecycle.SendingPause{Since: t0, Status: 401, Message: "revoked", LastRefusedAt: t0}}
	c := &clock{t: t0.Add(time.Hour)}
	g := newGate(t, st, c, countByStatus{}, &bytes.Buffer{})
	require.Error(t, g.Check(ctx), "paused by an earlier worker")
	_, _, held := g.Hold(ctx)
	require.False(t, held, "the first send probes")
	_, wait, held := g.Hold(ctx)
	require.True(t, held, "the second waits for the probe")
	require.Equal(t, 15*time.Minute, wait, "an hour-old pause holds for HoldMax")
	g.Accepted(ctx)
	require.False(t, st.paused)
}
