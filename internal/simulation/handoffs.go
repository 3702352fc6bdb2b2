package simulation

import (
	"context"
	"fmt"
	"sync"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// handoffs keeps a scenario's hand-offs to the shop in memory, as the handoffs table would: the
// simulated shop never marks one done, so each is reminded twice.
type handoffs struct {
	mu   sync.Mutex
	rows map[string]lifecycle.Handoff
}

func newHandoffs() *handoffs { return &handoffs{rows: map[string]lifecycle.Handoff{}} }

func (h *handoffs) OpenHandoff(_ context.Context, in lifecycle.Handoff) (lifecycle.Handoff, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if row, ok := h.rows[in.ID]; ok {
		return row, nil
	}
	h.rows[in.ID] = in
	return in, nil
}

func (h *handoffs) Handoff(_ context.Context, id string) (lifecycle.Handoff, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	row, ok := h.rows[id]
	if !ok {
		return lifecycle.Handoff{}, fmt.Errorf("hand-off %q: %w", id, lifecycle.ErrNotFound)
	}
	return row, nil
}

func (h *handoffs) NoteHandoffReminded(ctx context.Context, id string, n int) (lifecycle.Handoff, error) {
	h.mu.Lock()
	row, ok := h.rows[id]
	if ok && n > row.Reminded {
		row.Reminded = n
		h.rows[id] = row
	}
	h.mu.Unlock()
	return h.Handoff(ctx, id)
}
