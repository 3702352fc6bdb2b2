// Package sendinggate pauses all sending while the mail provider refuses the API key (SendGrid
// 401 or 403): a revoked or rotated key is an outage of the worker, not a fault of each email.
//
// On the first refusal the gate records the pause in PostgreSQL (for `starter status`), logs it
// at error level, and from then on lets one send through per probe interval to learn whether the
// key works again; every other send is held, and its follow-up waits in the customer's workflow
// (activities.ErrTypeSendingPaused) for as long as the pause has lasted, between the probe
// interval and HoldMax. The first accepted email ends the pause. Every refusal is counted
// (tailor_provider_auth_failures_total).
//
// The gate's memory is per worker process; the row in PostgreSQL is shared. A worker that starts
// while the row says paused starts paused, and probes at once.
package sendinggate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Defaults used for zero Config fields.
const (
	DefaultProbeInterval = time.Minute
	DefaultHoldMax       = 15 * time.Minute
	DefaultRemindEvery   = 10 * time.Minute
)

// Config says how a paused worker tries again.
type Config struct {
	// ProbeInterval is how often a paused worker lets one email through to the provider, and the
	// shortest a held follow-up waits.
	ProbeInterval time.Duration
	// HoldMin is the shortest a held follow-up waits; 0 means ProbeInterval.
	HoldMin time.Duration
	// HoldMax is the longest a held follow-up waits before it tries again, however long the pause
	// has lasted: at most this long after the key works again, every held follow-up goes out.
	HoldMax time.Duration
	// RemindEvery is how often a pause that goes on is logged again.
	RemindEvery time.Duration
}

// Store keeps the pause where operators see it (internal/store).
type Store interface {
	SendingPause(ctx context.Context) (lifecycle.SendingPause, bool, error)
	PauseSending(ctx context.Context, p lifecycle.SendingPause) error
	ResumeSending(ctx context.Context) error
}

// Counter counts the provider's refusals of the API key (tailor_provider_auth_failures_total).
type Counter interface {
	CountAuthFailure(status int)
}

// Deps are the gate's collaborators; Counter may be nil, Now nil means time.Now.
type Deps struct {
	Store   Store
	Counter Counter
	Logger  *slog.Logger
	Now     func() time.Time
}

// Gate decides whether a send may call the provider. It is safe for concurrent use.
type Gate struct {
	cfg  Config
	deps Deps

	mu         sync.Mutex
	paused     bool
	pause      lifecycle.SendingPause
	lastProbe  time.Time // when a paused gate last let a send through
	lastRemind time.Time
	held       int // sends held since the pause began
}

// New returns a gate that starts paused when the store says sending is paused.
func New(ctx context.Context, cfg Config, deps Deps) (*Gate, error) {
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = DefaultProbeInterval
	}
	if cfg.HoldMin <= 0 {
		cfg.HoldMin = cfg.ProbeInterval
	}
	if cfg.HoldMax <= 0 {
		cfg.HoldMax = DefaultHoldMax
	}
	cfg.HoldMax = max(cfg.HoldMax, cfg.HoldMin)
	if cfg.RemindEvery <= 0 {
		cfg.RemindEvery = DefaultRemindEvery
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	g := &Gate{cfg: cfg, deps: deps}
	p, paused, err := deps.Store.SendingPause(ctx)
	if err != nil {
		return nil, fmt.Errorf("load sending pause: %w", err)
	}
	if paused {
		g.paused, g.pause, g.lastRemind = true, p, deps.Now()
		deps.Logger.Error("sending is paused: the mail provider refused the API key before this worker started; the first email due probes it",
			"since", p.Since, "status", p.Status, "provider_message", p.Message)
	}
	return g, nil
}

// Hold reports whether a send must wait instead of calling the provider, with the pause and how
// long its follow-up waits. A gate that is not paused never holds; a paused one lets one send
// through per probe interval.
func (g *Gate) Hold(ctx context.Context) (lifecycle.SendingPause, time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		return lifecycle.SendingPause{}, 0, false
	}
	now := g.deps.Now()
	if now.Sub(g.lastProbe) >= g.cfg.ProbeInterval {
		g.lastProbe = now // this send probes
		return lifecycle.SendingPause{}, 0, false
	}
	g.held++
	g.remind(now)
	return g.pause, g.holdFor(now), true
}

// Refused records that the provider refused the API key: the pause starts, or goes on. It returns
// the pause and how long the refused follow-up waits.
func (g *Gate) Refused(ctx context.Context, refusal *lifecycle.SendError) (lifecycle.SendingPause, time.Duration) {
	if g.deps.Counter != nil {
		g.deps.Counter.CountAuthFailure(refusal.Status)
	}
	g.mu.Lock()
	now := g.deps.Now()
	started := !g.paused
	if started {
		g.paused, g.held, g.lastRemind = true, 0, now
		g.pause = lifecycle.SendingPause{Since: now}
	}
	g.pause.Status, g.pause.Message, g.pause.LastRefusedAt = refusal.Status, refusal.Message, now
	g.lastProbe = now
	g.held++
	if !started {
		g.remind(now)
	}
	p, wait := g.pause, g.holdFor(now)
	g.mu.Unlock()

	if started {
		g.deps.Logger.Error("SENDING PAUSED: the mail provider refused the API key; no follow-up is sent until it accepts one. Fix SENDGRID_API_KEY (revoked, rotated, or missing the mail send permission); held follow-ups go out once, when a probe succeeds",
			"status", refusal.Status, "provider_message", refusal.Message, "probe_every", g.cfg.ProbeInterval.String())
	}
	if err := g.deps.Store.PauseSending(ctx, p); err != nil {
		// The pause holds in this worker either way; only `starter status` misses it.
		g.deps.Logger.Warn("sending paused, but recording the pause for `starter status` failed", "error", err.Error())
	}
	return p, wait
}

// Accepted records that the provider accepted an email: a pause ends.
func (g *Gate) Accepted(ctx context.Context) {
	g.mu.Lock()
	if !g.paused {
		g.mu.Unlock()
		return
	}
	p, held := g.pause, g.held
	g.paused, g.pause, g.held, g.lastProbe = false, lifecycle.SendingPause{}, 0, time.Time{}
	now := g.deps.Now()
	g.mu.Unlock()

	g.deps.Logger.Warn("sending resumed: the mail provider accepted the API key again; held follow-ups go out at their next try",
		"paused_for", now.Sub(p.Since).Round(time.Second).String(), "sends_held", held)
	if err := g.deps.Store.ResumeSending(ctx); err != nil {
		g.deps.Logger.Warn("sending resumed, but clearing the pause for `starter status` failed", "error", err.Error())
	}
}

// Check is the worker's health check: an error while sending is paused.
func (g *Gate) Check(context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		return nil
	}
	return errors.New(g.pause.String())
}

// holdFor is how long a follow-up held at now waits: as long as the pause has lasted, within
// HoldMin and HoldMax, so a short outage costs little delay and a long one little load.
func (g *Gate) holdFor(now time.Time) time.Duration {
	return min(max(now.Sub(g.pause.Since), g.cfg.HoldMin), g.cfg.HoldMax)
}

// remind logs a pause that goes on, once per RemindEvery. Called with mu held.
func (g *Gate) remind(now time.Time) {
	if now.Sub(g.lastRemind) < g.cfg.RemindEvery {
		return
	}
	g.lastRemind = now
	g.deps.Logger.Error("SENDING STILL PAUSED: the mail provider refuses the API key; fix SENDGRID_API_KEY",
		"since", g.pause.Since, "paused_for", now.Sub(g.pause.Since).Round(time.Second).String(),
		"status", g.pause.Status, "provider_message", g.pause.Message, "sends_held", g.held)
}
