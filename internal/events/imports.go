package events

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/tailorhq/tailor/internal/store"
)

// ImportChunk is how many rows one transaction of an import records. A chunk's signals are
// delivered while the next chunks are recorded, so the workflows hear of the first orders while
// the last are still being written; small enough that the first delivery starts within a fraction
// of a second, large enough that a commit per chunk costs little.
const ImportChunk = 250

// importAhead bounds how many customers an import may have recorded and not yet told before it
// records its next chunk: the database is not made to hold (and the relay to sort through) a
// whole file's backlog while Temporal takes the signals at its own pace. (A variable for the
// tests.)
var importAhead = 4 * ImportChunk

// ImportOptions says how an import delivers.
type ImportOptions struct {
	// Concurrency is how many deliveries run at once (less than 1 counts as 1).
	Concurrency int
	// Progress, if not nil, is called after each chunk recorded and each customer told, one call
	// at a time.
	Progress func(ImportProgress)
}

// ImportProgress is how far an import is.
type ImportProgress struct {
	Recorded, Rows int // rows recorded (committed) of the import's
	// Told is how many customers were told everything the recorded rows owe them, of Owed; the
	// customers whose delivery was refused are in NotTold and not in Told.
	Told, NotTold, Owed int
}

// ImportResult is what an import did.
type ImportResult struct {
	// Recorded is how many rows, from the first, were committed: all of them, or those before the
	// chunk that failed (the import's error says why).
	Recorded int
	// Delivered is how many signals this import delivered; NotTold how many customers' deliveries
	// were refused (their signals stay owed and the worker's relay delivers them), the first
	// refusal in DeliveryError.
	Delivered     int
	NotTold       int
	DeliveryError error
}

// ImportPurchases records the purchases as RecordPurchases does, ImportChunk at a time (each
// chunk all or none), and delivers what the chunk's customers are owed while the next chunks are
// recorded, opts.Concurrency at a time, each customer's signals in the order written. Check the
// rows before: a chunk that fails stops the import with the chunks before it recorded and
// delivered (importing the same rows again records the rest; what was recorded owes nothing new).
// It returns what became of each recorded row.
func (s *Service) ImportPurchases(ctx context.Context, ps []Purchase, opts ImportOptions) ([]PurchaseResult, ImportResult, error) {
	out := make([]PurchaseResult, 0, len(ps))
	res, err := s.importInChunks(ctx, len(ps), opts, func(i int) string { return ps[i].CustomerID }, func(ctx context.Context, from, to int) error {
		rs, err := s.RecordPurchases(ctx, ps[from:to])
		out = append(out, rs...)
		return err
	})
	return out, res, err
}

// ImportUsages owes the readings' signals as RecordUsages does, in chunks delivered as they
// commit, as ImportPurchases does.
func (s *Service) ImportUsages(ctx context.Context, us []Usage, opts ImportOptions) ([]Result, ImportResult, error) {
	out := make([]Result, 0, len(us))
	res, err := s.importInChunks(ctx, len(us), opts, func(i int) string { return us[i].CustomerID }, func(ctx context.Context, from, to int) error {
		rs, err := s.RecordUsages(ctx, us[from:to])
		out = append(out, rs...)
		return err
	})
	return out, res, err
}

// importInChunks records rows [0, n) with record, ImportChunk at a time, while one relay delivers
// what the recorded chunks' customers are owed. customerOf says whose row i is: a chunk's customers
// owed a signal once it committed (by its rows, or left owed by earlier runs) are handed to the
// relay. The recording
// waits while more than importAhead customers are still to be told, unless the relay has nothing
// it can do (the rest are refused or held by another relay).
func (s *Service) importInChunks(ctx context.Context, n int, opts ImportOptions, customerOf func(i int) string,
	record func(ctx context.Context, from, to int) error) (ImportResult, error) {
	var (
		mu       sync.Mutex
		progress = ImportProgress{Rows: n}
		owed     = map[string]bool{} // customers handed to the relay, not yet told or refused
		told     = map[string]bool{}
		notTold  = map[string]bool{}
		counted  = map[string]bool{} // every customer handed to the relay
		sent     int                 // arrivals handed to the relay
		idleAt   = -1                // the arrivals the relay had received when it last had nothing to do
		changed  = make(chan struct{}, 1)
	)
	wake := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	report := func() { // with mu held
		progress.Told, progress.NotTold, progress.Owed = len(told), len(notTold), len(counted)
		if opts.Progress != nil {
			opts.Progress(progress)
		}
	}

	arrivals := make(chan []string, 1)
	type relayDone struct {
		delivered int
		err       error
	}
	relayed := make(chan relayDone, 1)
	relayEnded := make(chan struct{}) // closed when the relay returns: early only on an error or ctx
	go func() {
		defer close(relayEnded)
		delivered, err := s.store.RelayOwed(ctx, nil, store.RelayOptions{
			InFlight:     opts.Concurrency,
			PastRefusals: true,
			Arrivals:     arrivals,
			Waiting: func(arrived int) {
				mu.Lock()
				idleAt = arrived
				mu.Unlock()
				wake()
			},
			Settled: func(customerID string, _ int, err error) {
				mu.Lock()
				delete(owed, customerID)
				if err != nil {
					notTold[customerID] = true
					delete(told, customerID)
				} else if !notTold[customerID] {
					told[customerID] = true
				}
				report()
				mu.Unlock()
				wake()
			},
		}, s.deliverSignal)
		relayed <- relayDone{delivered, err}
	}()

	var recordErr error
	relayStopped := false // the relay ended before the file was recorded: record no more
	for from := 0; from < n && recordErr == nil && !relayStopped; from += ImportChunk {
		// Wait while the relay is well behind, unless it has nothing it can do.
		for !relayStopped && ctx.Err() == nil {
			mu.Lock()
			// The relay had nothing to do once it had all that was sent: the rest is refused or
			// another relay's.
			idle := idleAt == sent
			wait := len(owed) > importAhead && !idle
			mu.Unlock()
			if !wait {
				break
			}
			select {
			case <-changed:
			case <-relayEnded:
				relayStopped = true
			case <-ctx.Done():
			}
		}
		select {
		case <-relayEnded:
			relayStopped = true
		default:
		}
		if err := ctx.Err(); err != nil {
			recordErr = err
			break
		}
		if relayStopped {
			break
		}
		to := min(from+ImportChunk, n)
		if err := record(ctx, from, to); err != nil {
			recordErr = err
			break
		}
		customers := make([]string, 0, to-from)
		for i := from; i < to; i++ {
			customers = append(customers, customerOf(i))
		}
		// Only the customers owed something are handed over: a customer owed nothing would
		// never be settled. The relay claims among the customers handed to it only, so none of
		// these is delivered by this import before it is counted.
		slices.Sort(customers)
		customers = slices.Compact(customers)
		waiting, err := s.store.OwedCustomers(ctx, customers)
		mu.Lock()
		progress.Recorded = to // committed, whatever follows
		if err != nil {
			mu.Unlock()
			recordErr = err
			break
		}
		waiting = slices.DeleteFunc(waiting, func(c string) bool { return notTold[c] }) // the relay takes no more of theirs
		for _, c := range waiting {
			delete(told, c) // told before and owed again: told once this is delivered too
			owed[c] = true
			counted[c] = true
		}
		if len(waiting) > 0 {
			sent++
		}
		report()
		mu.Unlock()
		if len(waiting) > 0 {
			select {
			case arrivals <- waiting:
			case <-relayEnded:
				relayStopped = true
			case <-ctx.Done():
				recordErr = ctx.Err()
			}
		}
	}
	close(arrivals)
	r := <-relayed
	if relayStopped && recordErr == nil && progress.Recorded < n {
		// Recording on would owe signals nobody here delivers, past any bound.
		recordErr = fmt.Errorf("the import stopped telling the workflows, so it stopped recording: %w", cmp.Or(r.err, errors.New("the relay ended early")))
	}

	mu.Lock()
	defer mu.Unlock()
	res := ImportResult{Recorded: progress.Recorded, Delivered: r.delivered, NotTold: len(notTold)}
	if r.err != nil {
		res.DeliveryError = fmt.Errorf("relay owed signals: %w", r.err)
	}
	// Customers another relay (the worker's) took are told by it: told here too, unless this
	// relay stopped short (ctx ended, or the database failed it).
	if len(told)+len(notTold) < len(counted) && !errors.Is(r.err, store.ErrRelayStopped) {
		for c := range counted {
			if !notTold[c] {
				told[c] = true
			}
		}
	}
	report()
	return res, recordErr
}
