package api

import (
	"context"
	"sync"
	"time"

	"github.com/tailorhq/tailor/internal/store"
)

// fakeEvents records what it is asked to apply; fail, when set, answers instead.
type fakeEvents struct {
	mu      sync.Mutex
	applied []any
	told    [][]string // the customers of each Deliver call
	fail    func(v any) error
	block   chan struct{} // when set, every call waits for it to close
	entered chan struct{} // when set, every call reports here first
}

func (f *fakeEvents) do(ctx context.Context, v any) error {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(v); err != nil {
			return err
		}
	}
	f.applied = append(f.applied, v)
	return nil
}

func (f *fakeEvents) Order(ctx context.Context, o Order) error       { return f.do(ctx, o) }
func (f *fakeEvents) Stock(ctx context.Context, s Stock) error       { return f.do(ctx, s) }
func (f *fakeEvents) Usage(ctx context.Context, u Usage) error       { return f.do(ctx, u) }
func (f *fakeEvents) Customer(ctx context.Context, c Customer) error { return f.do(ctx, c) }
func (f *fakeEvents) Consent(ctx context.Context, c Consent) error   { return f.do(ctx, c) }

func (f *fakeEvents) Deliver(_ context.Context, customerIDs []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.told = append(f.told, customerIDs)
}

func (f *fakeEvents) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.applied)
}

// memLedger is an in-memory Ledger with the store's semantics (leases aside).
type memLedger struct {
	mu   sync.Mutex
	rows map[string]*store.APIEvent
}

func newMemLedger() *memLedger { return &memLedger{rows: map[string]*store.APIEvent{}} }

func (l *memLedger) ClaimAPIEvent(_ context.Context, id, _, _, fp string, _ time.Duration) (store.APIEvent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.rows[id]; ok {
		return store.APIEvent{Fingerprint: r.Fingerprint, Result: r.Result}, nil
	}
	l.rows[id] = &store.APIEvent{Fingerprint: fp}
	return store.APIEvent{Claimed: true, Fingerprint: fp}, nil
}

func (l *memLedger) FinishAPIEvent(_ context.Context, id string, result []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows[id].Result = result
	return nil
}

func (l *memLedger) ReleaseAPIEvent(_ context.Context, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.rows[id]; ok && r.Result == nil {
		delete(l.rows, id)
	}
	return nil
}
