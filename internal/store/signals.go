package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConsentSignalName is the name of the signal a consent change owes (workflows.SignalConsent; the
// store does not import workflows, internal/events checks the two agree). Its payload is
// {"Granted", "Source", "At"}, the fields of workflows.ConsentSignal.
const ConsentSignalName = "consent"

const (
	// signalDeliveryTimeout bounds one delivery of an owed signal.
	signalDeliveryTimeout = 10 * time.Second
	// signalLease is how long a relay holds a customer's oldest owed signal: longer than a
	// delivery, so a relay that died mid-delivery gives it up, and no other relay delivers any of
	// that customer's signals meanwhile.
	signalLease = 3 * signalDeliveryTimeout
	// signalBookkeepingTimeout bounds recording what became of a delivery.
	signalBookkeepingTimeout = 5 * time.Second
)

// OwedSignal is a signal a customer's workflow is owed (table signal_outbox, migration 0009).
type OwedSignal struct {
	// EventID is the business key of the event, e.g. purchase/<purchase id>: owing an EventID
	// already recorded owes nothing new.
	EventID    string
	CustomerID string
	Signal     string          // the workflow's signal name
	Payload    json.RawMessage // the signal's payload as JSON
	Attempts   int             // deliveries tried, this one included (when handed to a relay)
	CreatedAt  time.Time
}

// owe records sigs in tx and returns how many were new (an EventID already recorded, delivered or
// not, is skipped). Callers run it in the transaction of the change the signals report.
func owe(ctx context.Context, tx pgx.Tx, sigs ...OwedSignal) (int, error) {
	n := 0
	for _, s := range sigs {
		if s.EventID == "" || s.CustomerID == "" || s.Signal == "" {
			return n, fmt.Errorf("owe signal %q to customer %q: event id, customer and signal are required", s.EventID, s.CustomerID)
		}
		payload := s.Payload
		if len(payload) == 0 {
			payload = json.RawMessage("{}")
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO signal_outbox (event_id, customer_id, signal, payload) VALUES ($1, $2, $3, $4)
			ON CONFLICT (event_id) DO NOTHING`, s.EventID, s.CustomerID, s.Signal, []byte(payload))
		if isForeignKeyViolation(err) {
			return n, notFound("customer", s.CustomerID)
		}
		if err != nil {
			return n, fmt.Errorf("owe %s to customer %s: %w", s.EventID, s.CustomerID, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// Owe records signals that report no other change in PostgreSQL (a meter reading, a preference
// edit), and returns which of them were new: an EventID already recorded owes nothing. All or
// none are recorded. An unknown customer is an error wrapping lifecycle.ErrNotFound.
func (s *DB) Owe(ctx context.Context, sigs []OwedSignal) ([]bool, error) {
	fresh := make([]bool, len(sigs))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i, sig := range sigs {
			n, err := owe(ctx, tx, sig)
			if err != nil {
				return err
			}
			fresh[i] = n == 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("owe signals: %w", err)
	}
	return fresh, nil
}

// oweConsentSignals owes, for each row of selectSQL (customer id, consent, source, changed at),
// the customer's workflow a consent signal. It runs in the transaction that changes consent, so
// a change and what is owed for it commit together. The event id is consent/<customer>/<changed
// at in microseconds>: one per change.
func oweConsentSignals(ctx context.Context, tx pgx.Tx, selectSQL string, args ...any) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO signal_outbox (event_id, customer_id, signal, payload)
		SELECT 'consent/' || owed.id || '/' || (extract(epoch FROM owed.changed_at) * 1000000)::bigint,
		       owed.id, '`+ConsentSignalName+`',
		       jsonb_build_object('Granted', owed.consent, 'Source', owed.source,
		                          'At', to_char(owed.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
		FROM (`+selectSQL+`) AS owed (id, consent, source, changed_at)
		ON CONFLICT (event_id) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("owe consent signals: %w", err)
	}
	return nil
}

// OwedSignals returns how many signals are still owed, and the oldest among them (zero when none).
func (s *DB) OwedSignals(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM signal_outbox WHERE delivered_at IS NULL`).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count owed signals: %w", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}

// OwedCustomers returns, sorted, those of customerIDs (all when nil) that are owed a signal.
func (s *DB) OwedCustomers(ctx context.Context, customerIDs []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT customer_id FROM signal_outbox
		WHERE delivered_at IS NULL AND ($1::text[] IS NULL OR customer_id = ANY($1))
		GROUP BY customer_id ORDER BY customer_id COLLATE "C"`, customerIDs)
	if err != nil {
		return nil, fmt.Errorf("list customers owed a signal: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list customers owed a signal: %w", err)
	}
	return ids, nil
}

// EventRecorded reports whether the event with eventID owes or owed a signal.
func (s *DB) EventRecorded(ctx context.Context, eventID string) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signal_outbox WHERE event_id = $1)`, eventID).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look up event %s: %w", eventID, err)
	}
	return found, nil
}

// RelaySignals hands each owed signal to deliver, one at a time: those of customerIDs, or all
// when customerIDs is nil; the customers least tried and waiting longest first, each customer's
// signals in the order they were written. A signal deliver accepted is marked delivered; one it
// refused stays owed with the error, and so do the customer's later ones (the order holds). It
// stops at the first refusal (the workflow service is most likely unreachable, and every further
// call would wait as long) and returns how many signals were delivered and that error.
//
// It is RelayOwed with one delivery in flight that stops at the first refusal; RelayOwed says how
// the relay claims, leases and records.
func (s *DB) RelaySignals(ctx context.Context, customerIDs []string, deliver func(context.Context, OwedSignal) error) (int, error) {
	return s.RelayOwed(ctx, customerIDs, RelayOptions{InFlight: 1}, deliver)
}

// RelayOptions says how RelayOwed delivers.
type RelayOptions struct {
	// InFlight is how many deliveries run at once (less than 1 counts as 1). deliver must be safe
	// for concurrent use when it is more than 1.
	InFlight int
	// PastRefusals, when true, holds back only the refused customer's signals and goes on with the
	// other customers (an import or an API batch, where each customer's result counts); when false
	// the relay starts no delivery after the first refusal (the worker's relay, which tries again).
	PastRefusals bool
	// Settled, if not nil, is called once for each customer this relay is done with: the last
	// signal it was owed when claimed was delivered (err nil), or one was refused (err says why).
	// delivered is how many of its signals this relay delivered. Calls come one at a time. A
	// customer whose signals another relay holds, or that the relay stopped before, is not settled.
	// With Arrivals a customer that arrives again with more signals is settled again.
	Settled func(customerID string, delivered int, err error)
	// Arrivals, when not nil, brings more customers while the relay runs: an import that commits
	// its rows chunk by chunk sends each chunk's customers owed a signal once the chunk committed.
	// The relay then claims only among the customers given (customerIDs, nil meaning none, and
	// the arrivals), drops each once settled (until it arrives again), so that its claims stay as
	// small as what is still owed, and, finding nothing to claim, waits for the next arrival
	// instead of ending, until Arrivals is closed.
	Arrivals <-chan []string
	// Waiting, if not nil, is called (on the relay's goroutine) each time the relay has nothing
	// to claim or deliver and waits for Arrivals, with how many arrivals it has received:
	// whatever those brought is settled, refused, or held by another relay. (An arrival sent
	// meanwhile is not counted yet.)
	Waiting func(arrived int)
}

// relayBatchRounds is how many deliveries per slot in flight one claim hands out: more amortise
// the claim and the bookkeeping over more deliveries, fewer keep a lease short.
const relayBatchRounds = 4

// claimedSignal is a customer's oldest owed signal, leased to this relay.
type claimedSignal struct {
	OwedSignal
	tries int64 // the most attempts among the customer's owed signals before this claim
	seq   int64
	last  bool // the only signal the customer was owed when claimed
}

// RelayOwed hands owed signals to deliver, opts.InFlight at a time: those of customerIDs, or all
// when customerIDs is nil; the customers least tried and waiting longest first, each customer's
// signals in the order they were written. A signal deliver accepted is marked delivered; one it
// refused stays owed with the error, and so do the customer's later ones (the order holds): the
// relay claims nothing more of that customer. It returns how many signals were delivered and an
// error: one that stopped the relay short (the bookkeeping, a claim, ctx ending) wraps
// ErrRelayStopped and comes before any refusal; else the first refusal.
//
// The relay works in batches, so that the bookkeeping costs two statements per batch rather than
// four per signal. One UPDATE claims the oldest owed signal of up to relayBatchRounds x InFlight
// customers, each only when none of that customer's signals is leased, and gives each a lease and
// counts its attempt before delivering, so a delivery that hangs still moves that customer behind
// the others next time. The claimed signals are delivered, InFlight at a time across batches (the
// next batch is claimed once this one has handed out its last signal, so no slot waits for a
// batch's slowest delivery), and one UPDATE marks a batch's delivered signals once they all ended; the refused ones are recorded with their error, and those the relay did
// not start (it stopped, or their lease was running short) are given back with the attempt
// uncounted. A customer owed several signals gets its next one in the next batch, after the
// previous one is marked.
//
// No connection is held while deliver runs (a slow Temporal must not take the pool from the
// pages, the webhook and the activities). A batch's lease outlasts its deliveries (each cut off
// after signalDeliveryTimeout), and a delivery starts only while its lease has a delivery and its
// bookkeeping left, so two relays never deliver one customer's signals at once and a late
// delivery cannot overtake a newer one.
func (s *DB) RelayOwed(ctx context.Context, customerIDs []string, opts RelayOptions, deliver func(context.Context, OwedSignal) error) (int, error) {
	inFlight := max(opts.InFlight, 1)
	batch := relayBatchRounds * inFlight
	// The slowest batch delivers relayBatchRounds rounds of signals that each hang until their
	// timeout; the lease covers that as signalLease covers one.
	lease := signalLease + (relayBatchRounds-1)*signalDeliveryTimeout
	// The deliveries in flight, across batches: the next batch is claimed as soon as this one has
	// handed out its last signal, so the slots stay busy while a batch waits for its slowest
	// delivery, and a batch is recorded when its last delivery ends.
	slots := make(chan struct{}, inFlight)
	var stopped atomic.Bool // a refusal stopped the relay (not opts.PastRefusals)
	type finishedBatch struct {
		claimed  []claimedSignal
		outcomes []relayOutcome
	}
	finished := make(chan finishedBatch)
	active := 0 // batches delivering
	delivered := 0
	perCustomer := map[string]int{}
	var refused []string // customers with a refusal: nothing more of theirs in this relay
	var firstErr, stopErr error
	bookkeepingFailed := false
	fail := func(err error) { // a refusal
		if firstErr == nil {
			firstErr = err
		}
	}
	stop := func(err error) { // what ends the relay before it is done
		if stopErr == nil {
			stopErr = fmt.Errorf("%w: %w", ErrRelayStopped, err)
		}
	}

	// With opts.Arrivals the customers to claim among change as the relay runs: given counts each
	// customer's arrivals, and atClaim what it was when the customer's signal in flight was
	// claimed, so a customer that arrived again meanwhile is kept for its newer signals.
	arrivals := opts.Arrivals
	arrivedBatches := 0 // arrivals received, for Waiting
	var given, atClaim map[string]int
	if arrivals != nil {
		given, atClaim = map[string]int{}, map[string]int{}
		for _, id := range customerIDs {
			given[id]++
		}
	}
	arrive := func(ids []string, ok bool) {
		if !ok {
			arrivals = nil
			return
		}
		arrivedBatches++
		for _, id := range ids {
			if !slices.Contains(refused, id) {
				given[id]++
			}
		}
	}
	drop := func(customerID string) {
		if given != nil && given[customerID] == atClaim[customerID] {
			delete(given, customerID)
		}
	}
	claimAmong := func() ([]string, bool) {
		if given == nil {
			return customerIDs, true
		}
		ids := make([]string, 0, len(given))
		for id := range given {
			ids = append(ids, id)
		}
		return ids, len(ids) > 0
	}

	// record does the bookkeeping of a finished batch; it runs on this goroutine only.
	record := func(b finishedBatch) {
		active--
		n, settled, err := s.recordRelayed(ctx, b.claimed, b.outcomes)
		delivered += n
		for i, c := range b.claimed {
			if b.outcomes[i].tried && b.outcomes[i].err == nil {
				perCustomer[c.CustomerID]++
			}
			if b.outcomes[i].err != nil {
				refused = append(refused, c.CustomerID)
				if given != nil {
					delete(given, c.CustomerID)
				}
				fail(fmt.Errorf("deliver %s to customer %s: %w", c.EventID, c.CustomerID, b.outcomes[i].err))
			}
		}
		for _, i := range settled {
			drop(b.claimed[i].CustomerID)
			if opts.Settled != nil {
				opts.Settled(b.claimed[i].CustomerID, perCustomer[b.claimed[i].CustomerID], b.outcomes[i].err)
			}
		}
		if err != nil {
			stop(err)
			bookkeepingFailed = true
		}
	}
	emptyClaims := 0
	for {
		if err := ctx.Err(); err != nil {
			stop(err)
			break
		}
		if bookkeepingFailed || stopped.Load() || (firstErr != nil && !opts.PastRefusals) {
			break
		}
		for drained := false; arrivals != nil && !drained; {
			select {
			case ids, ok := <-arrivals:
				arrive(ids, ok)
			default:
				drained = true
			}
		}
		leasedUntil := time.Now().Add(lease)
		var claimed []claimedSignal
		if among, any := claimAmong(); any {
			var err error
			claimed, err = s.claimOwedHeads(ctx, among, refused, batch, lease)
			if err != nil {
				stop(err)
				break
			}
		}
		if len(claimed) == 0 {
			if active > 0 || arrivals != nil {
				// The rest may be this relay's own (a customer's next signal is claimable once
				// the batch delivering its previous one is recorded), or still to arrive.
				if active == 0 && opts.Waiting != nil {
					opts.Waiting(arrivedBatches)
				}
				select {
				case b := <-finished:
					record(b)
				case ids, ok := <-arrivals:
					arrive(ids, ok)
				case <-ctx.Done():
				}
				continue
			}
			// Nothing claimed: nothing owed, other relays hold what is, or another relay's claim
			// took the very heads this one was after (its statement saw them free). Only the last
			// leaves some to claim: claim again, now seeing that relay's leases.
			emptyClaims++
			if emptyClaims > relayEmptyClaims {
				break
			}
			among, any := claimAmong()
			if !any {
				break
			}
			more, err := s.claimableLeft(ctx, among, refused)
			if err != nil {
				stop(err)
				break
			}
			if !more {
				break
			}
			continue
		}
		emptyClaims = 0
		if atClaim != nil {
			for _, c := range claimed {
				atClaim[c.CustomerID] = given[c.CustomerID]
			}
		}
		handedOut := make(chan struct{})
		active++
		go func() {
			outcomes := deliverClaimed(ctx, claimed, slots, &stopped, !opts.PastRefusals, leasedUntil, deliver, handedOut)
			finished <- finishedBatch{claimed, outcomes}
		}()
		for waiting := true; waiting; {
			select {
			case <-handedOut:
				waiting = false
			case b := <-finished:
				record(b)
			case ids, ok := <-arrivals: // nil (never ready) without Arrivals or once closed
				arrive(ids, ok)
			}
		}
	}
	for active > 0 {
		record(<-finished)
	}
	if stopErr != nil {
		return delivered, stopErr
	}
	return delivered, firstErr
}

// ErrRelayStopped is wrapped by RelayOwed's error when the relay ended before it was done (the
// bookkeeping or a claim failed, or ctx ended), as opposed to having only refused deliveries.
var ErrRelayStopped = errors.New("the relay stopped")

// relayEmptyClaims bounds how often in a row a relay claims again after a claim that lost every
// head to another relay's: each retry sees the leases of the claim it lost to, so one is normally
// enough; the bound keeps a relay from spinning against many others.
const relayEmptyClaims = 5

// claimableLeft reports whether any customer of customerIDs (all when nil), none of except, is
// owed a signal and has none leased: what claimOwedHeads would claim.
func (s *DB) claimableLeft(ctx context.Context, customerIDs, except []string) (bool, error) {
	var more bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM signal_outbox
			WHERE delivered_at IS NULL
				AND ($1::text[] IS NULL OR customer_id IN (SELECT unnest($1::text[])))
				AND customer_id NOT IN (SELECT unnest($2::text[]))
			GROUP BY customer_id
			HAVING bool_and(leased_until IS NULL OR leased_until < now()))`, customerIDs, except).Scan(&more)
	if err != nil {
		return false, fmt.Errorf("look for owed signals left to claim: %w", err)
	}
	return more, nil
}

// claimOwedHeads leases the oldest owed signal of up to limit customers (of customerIDs, all when
// nil, none of except) none of whose signals is leased, counting an attempt on each, and returns
// them the customers least tried and waiting longest first.
func (s *DB) claimOwedHeads(ctx context.Context, customerIDs, except []string, limit int, lease time.Duration) ([]claimedSignal, error) {
	// The head's own conditions are repeated in the UPDATE: when two relays race for the same
	// head, the second re-checks the row the first updated (READ COMMITTED) and claims nothing. A
	// customer's other signals are leased only as its head, so a head that moved on was delivered,
	// which the re-check sees too.
	rows, err := s.pool.Query(ctx, `
		WITH owed AS (
			SELECT customer_id, min(seq) AS head, max(attempts) AS tries, count(*) AS owed
			FROM signal_outbox
			WHERE delivered_at IS NULL
				AND ($1::text[] IS NULL OR customer_id IN (SELECT unnest($1::text[])))
				AND customer_id NOT IN (SELECT unnest($2::text[]))
			GROUP BY customer_id
			HAVING bool_and(leased_until IS NULL OR leased_until < now())
			ORDER BY max(attempts), min(seq)
			LIMIT $3)
		UPDATE signal_outbox AS s
		SET leased_until = now() + make_interval(secs => $4), attempts = s.attempts + 1, last_attempt_at = now()
		FROM owed
		WHERE s.customer_id = owed.customer_id AND s.seq = owed.head
			AND s.delivered_at IS NULL
			AND (s.leased_until IS NULL OR s.leased_until < now())
			AND NOT EXISTS (
				SELECT 1 FROM signal_outbox AS o
				WHERE o.customer_id = s.customer_id AND o.delivered_at IS NULL AND o.leased_until >= now())
		RETURNING s.event_id, s.customer_id, s.signal, s.payload, s.attempts, s.created_at, owed.tries, s.seq, owed.owed = 1`,
		customerIDs, except, limit, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claim owed signals: %w", err)
	}
	claimed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimedSignal, error) {
		var c claimedSignal
		var payload []byte
		err := row.Scan(&c.EventID, &c.CustomerID, &c.Signal, &payload, &c.Attempts, &c.CreatedAt, &c.tries, &c.seq, &c.last)
		c.Payload = payload
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim owed signals: %w", err)
	}
	// RETURNING keeps no order: the order of the claim's ORDER BY.
	slices.SortFunc(claimed, func(a, b claimedSignal) int {
		return cmp.Or(cmp.Compare(a.tries, b.tries), cmp.Compare(a.seq, b.seq))
	})
	return claimed, nil
}

// relayOutcome is what became of one claimed signal.
type relayOutcome struct {
	tried bool  // handed to deliver
	err   error // deliver refused it (tried only)
}

// deliverClaimed hands the claimed signals to deliver, in order, each once it has one of slots
// (shared by the relay's batches), and closes handedOut when it will start no more. It starts no
// delivery once ctx ended, once stopped (set here on a refusal when stopAtRefusal), or when the
// lease (until leasedUntil) has no longer a delivery and its bookkeeping left. It returns when the
// deliveries it started have ended.
func deliverClaimed(ctx context.Context, claimed []claimedSignal, slots chan struct{}, stopped *atomic.Bool, stopAtRefusal bool,
	leasedUntil time.Time, deliver func(context.Context, OwedSignal) error, handedOut chan<- struct{}) []relayOutcome {
	outcomes := make([]relayOutcome, len(claimed))
	var wg sync.WaitGroup
	for i := range claimed {
		acquired := false
		select {
		case slots <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil || stopped.Load() || time.Until(leasedUntil) < signalDeliveryTimeout+signalBookkeepingTimeout {
			if acquired {
				<-slots
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			dctx, cancel := context.WithTimeout(ctx, signalDeliveryTimeout)
			err := deliver(dctx, claimed[i].OwedSignal)
			cancel()
			outcomes[i] = relayOutcome{tried: true, err: err} // each delivery its own index; read after Wait
			if err != nil && stopAtRefusal {
				stopped.Store(true)
			}
		}()
	}
	close(handedOut)
	wg.Wait()
	return outcomes
}

// recordRelayed records what became of a batch: the delivered signals marked in one statement,
// the refused ones given their error and the untried ones given back in another. It returns how
// many were marked delivered and the indexes of the customers settled (see RelayOptions.Settled).
func (s *DB) recordRelayed(ctx context.Context, claimed []claimedSignal, outcomes []relayOutcome) (int, []int, error) {
	var done, given []string
	var errs []string
	var tried []bool
	var settled []int
	for i, c := range claimed {
		switch o := outcomes[i]; {
		case !o.tried:
			given, errs, tried = append(given, c.EventID), append(errs, ""), append(tried, false)
		case o.err != nil:
			given, errs, tried = append(given, c.EventID), append(errs, o.err.Error()), append(tried, true)
			settled = append(settled, i)
		default:
			done = append(done, c.EventID)
			if c.last {
				settled = append(settled, i)
			}
		}
	}
	// The bookkeeping gets its own time: a round that ended during the deliveries still records them.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), signalBookkeepingTimeout)
	defer cancel()
	if len(done) > 0 {
		if _, err := s.pool.Exec(bctx, `
			UPDATE signal_outbox SET delivered_at = now(), leased_until = NULL, last_error = NULL
			WHERE event_id = ANY($1)`, done); err != nil {
			// Delivered but still owed: delivered again once their leases run out (every signal
			// the event layer owes is harmless when heard twice).
			return 0, nil, fmt.Errorf("mark %d delivered signals (%s first): %w", len(done), done[0], err)
		}
	}
	if len(given) > 0 {
		// A refused signal keeps its attempt and gets its error; one never handed to deliver was
		// not tried and gets its attempt back.
		if _, err := s.pool.Exec(bctx, `
			UPDATE signal_outbox AS s
			SET leased_until = NULL,
				last_error = CASE WHEN f.tried THEN left(f.error, 1000) ELSE s.last_error END,
				attempts = CASE WHEN f.tried THEN s.attempts ELSE s.attempts - 1 END
			FROM unnest($1::text[], $2::text[], $3::bool[]) AS f (event_id, error, tried)
			WHERE s.event_id = f.event_id`, given, errs, tried); err != nil {
			// Still owed: their leases run out.
			return len(done), nil, fmt.Errorf("record %d refused or untried signal deliveries (%s first): %w", len(given), given[0], err)
		}
	}
	return len(done), settled, nil
}

// pruneBatch bounds one DELETE of PruneDeliveredSignals, so that a first prune of a large outbox
// holds no long lock and writes no huge transaction.
const pruneBatch = 5000

// PruneDeliveredSignals deletes the signals delivered before deliveredBefore and returns how many.
// Owed signals are never deleted. A delivered row is what recognises a repeated event (an event id
// already in signal_outbox owes nothing new), so once pruned, an event repeated after the
// retention is owed again where signal_outbox is its only record (a meter reading, a recall);
// every signal the event layer owes is harmless when heard twice. Purchases, notes, consent
// changes and suppressions keep their own records and stay recognised.
func (s *DB) PruneDeliveredSignals(ctx context.Context, deliveredBefore time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `
			DELETE FROM signal_outbox WHERE event_id IN (
				SELECT event_id FROM signal_outbox WHERE delivered_at < $1 LIMIT $2)`,
			deliveredBefore, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune signals delivered before %s: %w", deliveredBefore.Format(time.RFC3339), err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
