package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// Store writes an event's change and the signal it owes in one transaction, and relays what is
// owed; *store.DB is one, the simulation's Catalogue another.
type Store interface {
	// RecordPurchases records the purchases and owes each new one's signal, all or none.
	RecordPurchases(ctx context.Context, ps []store.PurchaseOwing) ([]store.RecordedPurchase, error)
	// Owe records signals that report no other change and returns which were new.
	Owe(ctx context.Context, sigs []store.OwedSignal) ([]bool, error)
	// SetConsent changes consent and owes the consent signal in one transaction.
	SetConsent(ctx context.Context, customerID string, consent bool, source string) error
	// SetLearningOwing records whether the shop may learn from what the customer does and owes
	// signal, in one transaction.
	SetLearningOwing(ctx context.Context, customerID string, stopped bool, signal store.OwedSignal) error
	// SetConsentOwing changes consent and owes signal instead of the consent signal.
	SetConsentOwing(ctx context.Context, customerID string, consent bool, source string, signal *store.OwedSignal) error
	// AddNoteOwing adds the note and, when new, owes signal (nil: none).
	AddNoteOwing(ctx context.Context, n store.Note, signal *store.OwedSignal) (store.Note, bool, error)
	// SuppressOwing suppresses the address ("" for none) and owes signal (nil: none).
	SuppressOwing(ctx context.Context, email, reason string, at time.Time, signal *store.OwedSignal) (bool, error)
	// CustomerExists reports whether the customer is known.
	CustomerExists(ctx context.Context, id string) (bool, error)
	// ImportCustomersWithConsentChanges upserts customers from CSV, owing consent signals.
	ImportCustomersWithConsentChanges(ctx context.Context, r io.Reader) (int, []store.ConsentChange, error)
	// OwedCustomers returns those of customerIDs (nil: all) owed a signal.
	OwedCustomers(ctx context.Context, customerIDs []string) ([]string, error)
	// RelaySignals hands each owed signal of customerIDs (nil: all) to deliver, per customer in order.
	RelaySignals(ctx context.Context, customerIDs []string, deliver func(context.Context, store.OwedSignal) error) (int, error)
	// RelayOwed does as RelaySignals, opts.InFlight deliveries at a time (store.RelayOwed).
	RelayOwed(ctx context.Context, customerIDs []string, opts store.RelayOptions, deliver func(context.Context, store.OwedSignal) error) (int, error)
	// PruneDeliveredSignals forgets the signals delivered before deliveredBefore.
	PruneDeliveredSignals(ctx context.Context, deliveredBefore time.Time) (int64, error)
}

// Lifecycle reaches a customer's workflow with SignalWithStart; *lifecycleclient.Client is one.
type Lifecycle interface {
	Signal(ctx context.Context, customerID, signalName string, payload any) error
}

// Service is the event layer. Its zero value is not usable: build it with New.
type Service struct {
	store     Store
	lifecycle Lifecycle
	now       func() time.Time
}

// New returns the Service writing to st and delivering through lc. now is the clock (nil: time.Now).
func New(st Store, lc Lifecycle, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, lifecycle: lc, now: now}
}

// Result is what became of one event.
type Result struct {
	EventID string
	// New is false when the event was recorded before: nothing new is owed.
	New bool
	// Delivered is true when every signal the customer was owed, this one included, reached the
	// workflow before the method returned; false means the worker delivers it (or it was not new).
	Delivered bool
	// DeliveryError is why the delivery at once failed (nil when Delivered or nothing was owed);
	// the event stays owed and the worker's relay delivers it.
	DeliveryError error
}

// Purchase is one order line bought by a customer.
type Purchase struct {
	// ID is the purchase id (e.g. the order line), the idempotency key: EventID purchase/<ID>.
	ID          string
	CustomerID  string
	SKU         string
	At          time.Time // zero: now
	WantedColor string    // the colour wanted but not available; opens a wish
	WantedSize  string    // the size wanted but not available; stored with the purchase
	PriceCents  *int64    // what the customer paid; nil: the product's price
	// Historical records the purchase as history: it teaches preferences, opens its wish and counts
	// in segments (all kept in PostgreSQL), but owes the workflow no signal, so no follow-up whose
	// moment has long passed is sent late. The workflow does not list it.
	Historical bool
}

// PurchaseResult is what became of one purchase.
type PurchaseResult struct {
	Result
	Product     lifecycle.Product
	Preferences lifecycle.Preferences
}

// Usage is one meter reading of a metered product.
type Usage struct {
	CustomerID string
	Reading    lifecycle.UsageReading // Reading.At zero: now
}

// Consent is a change of marketing consent.
type Consent struct {
	CustomerID string
	Granted    bool
	Source     string // e.g. starter, unsubscribe-link, import, api
}

// Note is what a customer told the shop (referral, exit, complaint); its ID is the idempotency key.
type Note = store.Note

// Suppression is the mail provider giving up on an address (bounce, dropped, spamreport, unsubscribe).
type Suppression struct {
	// EventID is the provider's event key (e.g. the webhook's dedupe key): EventID suppress/<it>.
	EventID    string
	Email      string // the address suppressed; "" when the event carries none
	CustomerID string // "" or unknown: the address is suppressed, no workflow is signalled
	Event      string
	At         time.Time
}

// Preferences is the customer's own edit of their preferences.
type Preferences struct {
	CustomerID string
	Signal     workflows.PreferencesSignal
}

// EventID helpers: the business keys of the events.

// PurchaseEventID is purchase/<purchase id>.
func PurchaseEventID(purchaseID string) string { return "purchase/" + purchaseID }

// UsageEventID is usage/<customer>/<metric>/<at>.
func UsageEventID(customerID, metric string, at time.Time) string {
	return "usage/" + customerID + "/" + metric + "/" + at.UTC().Format(time.RFC3339Nano)
}

// ConsentEventID is consent/<customer>/<time of the change in microseconds since 1970>, as the
// store writes it in the transaction of the change (store.SetConsent).
func ConsentEventID(customerID string, at time.Time) string {
	return fmt.Sprintf("consent/%s/%d", customerID, at.UnixMicro())
}

// ConsentOwed is the signal a consent change owes, as the store writes it: for a store that keeps
// its outbox elsewhere (the simulation's).
func ConsentOwed(ch lifecycle.ConsentChange) (store.OwedSignal, error) {
	return owed(ConsentEventID(ch.CustomerID, ch.At), ch.CustomerID, workflows.SignalConsent,
		workflows.ConsentSignal{Granted: ch.Granted, Source: ch.Source, At: ch.At.UTC().Truncate(time.Microsecond)})
}

// NoteEventID is note/<note id>.
func NoteEventID(noteID string) string { return "note/" + noteID }

// SuppressionEventID is suppress/<provider's event key>.
func SuppressionEventID(key string) string { return "suppress/" + key }

func owed(eventID, customerID, signal string, payload any) (store.OwedSignal, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return store.OwedSignal{}, fmt.Errorf("encode %s signal of %s: %w", signal, eventID, err)
	}
	return store.OwedSignal{EventID: eventID, CustomerID: customerID, Signal: signal, Payload: b}, nil
}

// Purchase records one purchase; see Purchases.
func (s *Service) Purchase(ctx context.Context, p Purchase) (PurchaseResult, error) {
	res, err := s.Purchases(ctx, []Purchase{p})
	if err != nil {
		return PurchaseResult{}, err
	}
	return res[0], nil
}

// Purchases records the purchases (all or none: an unknown customer or SKU, or a purchase id
// already used for another customer or SKU, records nothing) with the purchase signal each new
// one owes, then delivers what their customers are owed. A purchase recorded before owes nothing.
func (s *Service) Purchases(ctx context.Context, ps []Purchase) ([]PurchaseResult, error) {
	out, err := s.RecordPurchases(ctx, ps)
	if err != nil {
		return nil, err
	}
	var customers []string
	for i, r := range out {
		if r.New && !ps[i].Historical {
			customers = append(customers, ps[i].CustomerID)
		}
	}
	s.deliverResults(ctx, customers, func(customerID string, delivered bool, err error) {
		for i := range out {
			if out[i].New && !ps[i].Historical && ps[i].CustomerID == customerID {
				out[i].Delivered, out[i].DeliveryError = delivered, err
			}
		}
	})
	return out, nil
}

// RecordPurchases records the purchases as Purchases does, all or none, and delivers nothing: for
// a caller that delivers itself (an import's chunk, ImportPurchases; an API batch, DeliverOwed).
func (s *Service) RecordPurchases(ctx context.Context, ps []Purchase) ([]PurchaseResult, error) {
	now := s.now().UTC()
	in := make([]store.PurchaseOwing, len(ps))
	for i, p := range ps {
		if err := checkIDs("purchase", p.ID, p.CustomerID); err != nil {
			return nil, err
		}
		at := p.At.UTC()
		if p.At.IsZero() {
			at = now
		}
		wanted := strings.TrimSpace(p.WantedColor)
		in[i].Purchase = lifecycle.Purchase{ID: p.ID, CustomerID: p.CustomerID, SKU: p.SKU, WantedColor: wanted, At: at,
			PriceCents: p.PriceCents, WantedSize: strings.TrimSpace(p.WantedSize)}
		if p.Historical {
			continue
		}
		payload := workflows.PurchaseSignal{PurchaseID: p.ID, SKU: p.SKU, WantedColor: wanted, At: at}
		sig, err := owed(PurchaseEventID(p.ID), p.CustomerID, workflows.SignalPurchase, payload)
		if err != nil {
			return nil, err
		}
		in[i].Signal = sig
		// The workflow needs the product and the preferences after this purchase: written into the
		// signal in the transaction that records them, they save its RecordPurchase activity
		// (workflows, recordedPurchase, says why they are still right when the signal arrives).
		in[i].SignalPayload = func(r store.RecordedPurchase) (json.RawMessage, error) {
			withRecorded := payload
			withRecorded.Recorded = &workflows.PurchaseRecorded{Product: r.Product, PreferencesBefore: r.PreferencesBefore, Preferences: r.Preferences}
			b, err := json.Marshal(withRecorded)
			if err != nil {
				return nil, fmt.Errorf("encode the purchase signal of %s: %w", sig.EventID, err)
			}
			return b, nil
		}
	}
	recorded, err := s.store.RecordPurchases(ctx, in)
	if err != nil {
		return nil, err
	}
	out := make([]PurchaseResult, len(ps))
	for i, r := range recorded {
		out[i] = PurchaseResult{Result: Result{EventID: PurchaseEventID(ps[i].ID), New: r.New}, Product: r.Product, Preferences: r.Preferences}
	}
	return out, nil
}

// DeliverOwed delivers what those of customerIDs that are owed a signal are owed, concurrency
// deliveries at a time (at least 1), each customer's signals in the order written, calling
// progress (if not nil) after each customer with how many are done of how many. A customer whose
// delivery is refused keeps its signals owed and the others go on. It returns how many signals
// were delivered, how many customers still wait (the worker delivers them) and the first error
// among them.
func (s *Service) DeliverOwed(ctx context.Context, customerIDs []string, concurrency int, progress func(done, total int)) (delivered, failed int, firstErr error) {
	ids, err := s.store.OwedCustomers(ctx, customerIDs)
	if err != nil {
		return 0, 0, err
	}
	if progress != nil {
		progress(0, len(ids))
	}
	if len(ids) == 0 {
		return 0, 0, nil
	}
	done := 0
	delivered, firstErr = s.store.RelayOwed(ctx, ids, store.RelayOptions{
		InFlight:     concurrency,
		PastRefusals: true,
		Settled: func(_ string, _ int, err error) {
			if err != nil {
				failed++
			}
			done++
			if progress != nil {
				progress(done, len(ids))
			}
		},
	}, s.deliverSignal)
	// Customers another relay held (the worker's) are delivered by it: done here too, unless this
	// relay stopped short (ctx ended, or the database failed it before any refusal).
	if progress != nil && done < len(ids) && !errors.Is(firstErr, store.ErrRelayStopped) {
		progress(len(ids), len(ids))
	}
	if firstErr != nil {
		return delivered, failed, fmt.Errorf("relay owed signals: %w", firstErr)
	}
	return delivered, failed, nil
}

// Usage records one meter reading; see Usages.
func (s *Service) Usage(ctx context.Context, u Usage) (Result, error) {
	res, err := s.Usages(ctx, []Usage{u})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// Usages owes each reading's usage signal (all or none; an unknown customer owes nothing) and
// delivers them. A reading of the same customer, metric and time recorded before owes nothing.
func (s *Service) Usages(ctx context.Context, us []Usage) ([]Result, error) {
	sigs, err := s.usageSignals(us)
	if err != nil {
		return nil, err
	}
	return s.oweAndDeliver(ctx, sigs)
}

// RecordUsages owes the readings' signals as Usages does, all or none, and delivers nothing: for a
// caller that delivers itself (an import's chunk, ImportUsages; an API batch, DeliverOwed).
func (s *Service) RecordUsages(ctx context.Context, us []Usage) ([]Result, error) {
	sigs, err := s.usageSignals(us)
	if err != nil {
		return nil, err
	}
	fresh, err := s.store.Owe(ctx, sigs)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(sigs))
	for i, sig := range sigs {
		out[i] = Result{EventID: sig.EventID, New: fresh[i]}
	}
	return out, nil
}

func (s *Service) usageSignals(us []Usage) ([]store.OwedSignal, error) {
	now := s.now().UTC()
	sigs := make([]store.OwedSignal, len(us))
	for i, u := range us {
		if err := checkIDs("usage", "", u.CustomerID); err != nil {
			return nil, err
		}
		r := u.Reading
		r.Metric = lifecycle.Normalize(r.Metric)
		if r.At.IsZero() {
			r.At = now
		}
		r.At = r.At.UTC()
		sig, err := owed(UsageEventID(u.CustomerID, r.Metric, r.At), u.CustomerID, workflows.SignalUsage, workflows.UsageSignal{Reading: r})
		if err != nil {
			return nil, err
		}
		sigs[i] = sig
	}
	return sigs, nil
}

// Preferences records whether the customer lets the shop learn from what they do
// (Signal.StopLearning: purchases teach nothing more, segments use only what they stated) and owes
// the preferences signal in the same transaction (the workflow saves the lists itself), then
// delivers it. Each edit is its own event: preferences/<customer>/<now in nanoseconds>. An unknown
// customer is an error wrapping lifecycle.ErrNotFound.
func (s *Service) Preferences(ctx context.Context, p Preferences) (Result, error) {
	if err := checkIDs("preferences", "", p.CustomerID); err != nil {
		return Result{}, err
	}
	id := fmt.Sprintf("preferences/%s/%d", p.CustomerID, s.now().UnixNano())
	sig, err := owed(id, p.CustomerID, workflows.SignalPreferences, p.Signal)
	if err != nil {
		return Result{}, err
	}
	if err := s.store.SetLearningOwing(ctx, p.CustomerID, p.Signal.StopLearning, sig); err != nil {
		return Result{}, err
	}
	res := Result{EventID: id, New: true}
	res.Delivered, res.DeliveryError = s.deliver(ctx, p.CustomerID)
	return res, nil
}

func (s *Service) oweAndDeliver(ctx context.Context, sigs []store.OwedSignal) ([]Result, error) {
	fresh, err := s.store.Owe(ctx, sigs)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(sigs))
	var customers []string
	for i, sig := range sigs {
		out[i] = Result{EventID: sig.EventID, New: fresh[i]}
		if fresh[i] {
			customers = append(customers, sig.CustomerID)
		}
	}
	s.deliverResults(ctx, customers, func(customerID string, delivered bool, err error) {
		for i := range out {
			if out[i].New && sigs[i].CustomerID == customerID {
				out[i].Delivered, out[i].DeliveryError = delivered, err
			}
		}
	})
	return out, nil
}

// Consent records the consent change with its signal and delivers it. Every call owes a signal,
// even when consent did not change: whoever calls it means the workflow to hear it. An unknown
// customer is an error wrapping lifecycle.ErrNotFound.
func (s *Service) Consent(ctx context.Context, c Consent) (Result, error) {
	if err := checkIDs("consent", "", c.CustomerID); err != nil {
		return Result{}, err
	}
	if err := s.store.SetConsent(ctx, c.CustomerID, c.Granted, c.Source); err != nil {
		return Result{}, err
	}
	res := Result{New: true}
	res.Delivered, res.DeliveryError = s.deliver(ctx, c.CustomerID)
	return res, nil
}

// Unsubscribe is a customer leaving the shop's marketing for a reason the workflow is told.
type Unsubscribe struct {
	CustomerID string
	Reason     string // e.g. "moved abroad"; "" for none
	Source     string // where it came from, recorded with the consent
}

// Unsubscribe withdraws consent and owes the unsubscribe signal (which carries the reason) in one
// transaction, then delivers it. Each call is its own event: unsubscribe/<customer>/<now in
// nanoseconds>.
func (s *Service) Unsubscribe(ctx context.Context, u Unsubscribe) (Result, error) {
	if err := checkIDs("unsubscribe", "", u.CustomerID); err != nil {
		return Result{}, err
	}
	id := fmt.Sprintf("unsubscribe/%s/%d", u.CustomerID, s.now().UnixNano())
	sig, err := owed(id, u.CustomerID, workflows.SignalUnsubscribe, workflows.UnsubscribeSignal{Reason: u.Reason})
	if err != nil {
		return Result{}, err
	}
	if err := s.store.SetConsentOwing(ctx, u.CustomerID, false, u.Source, &sig); err != nil {
		return Result{}, err
	}
	res := Result{EventID: id, New: true}
	res.Delivered, res.DeliveryError = s.deliver(ctx, u.CustomerID)
	return res, nil
}

// Note records the note once under its ID; a new complaint also owes the complaint signal
// (note/<ID>), carrying the note's own time, and delivers it. Referrals and exits count at the
// next segment recompute and owe no signal.
func (s *Service) Note(ctx context.Context, n Note) (Note, Result, error) {
	if err := checkIDs("note", n.ID, n.CustomerID); err != nil {
		return Note{}, Result{}, err
	}
	var sig *store.OwedSignal
	if n.Kind == store.NoteComplaint {
		o, err := owed(NoteEventID(n.ID), n.CustomerID, workflows.SignalComplaint,
			workflows.ComplaintSignal{Reason: n.Text, At: n.OccurredAt.UTC()})
		if err != nil {
			return Note{}, Result{}, err
		}
		sig = &o
	}
	stored, isNew, err := s.store.AddNoteOwing(ctx, n, sig)
	if err != nil {
		return Note{}, Result{}, err
	}
	res := Result{EventID: NoteEventID(n.ID), New: isNew}
	if isNew && sig != nil {
		res.Delivered, res.DeliveryError = s.deliver(ctx, n.CustomerID)
	}
	return stored, res, nil
}

// Suppression suppresses the address and, when the customer is known, owes the suppress signal
// (suppress/<EventID>) in the same transaction and delivers it. An unknown customer id (someone
// else's mail, a deleted customer) signals nothing: the signal is a SignalWithStart and would
// start a workflow for nobody.
func (s *Service) Suppression(ctx context.Context, sp Suppression) (Result, error) {
	if sp.EventID == "" {
		return Result{}, errors.New("suppression: empty event id")
	}
	var sig *store.OwedSignal
	if sp.CustomerID != "" {
		known, err := s.store.CustomerExists(ctx, sp.CustomerID)
		if err != nil {
			return Result{}, err
		}
		if known {
			o, err := owed(SuppressionEventID(sp.EventID), sp.CustomerID, workflows.SignalSuppress,
				workflows.SuppressSignal{Event: sp.Event, At: sp.At})
			if err != nil {
				return Result{}, err
			}
			sig = &o
		}
	}
	isNew, err := s.store.SuppressOwing(ctx, sp.Email, sp.Event, sp.At, sig)
	if err != nil {
		return Result{}, err
	}
	res := Result{EventID: SuppressionEventID(sp.EventID), New: isNew}
	if isNew {
		res.Delivered, res.DeliveryError = s.deliver(ctx, sp.CustomerID)
	}
	return res, nil
}

// ImportCustomers upserts the customers of a CSV file (store.ImportCustomersWithConsentChanges:
// all or nothing, *store.ImportError lists the bad rows) and delivers what the customers whose
// consent the file changed are owed. Only theirs: the API and the Shopify webhook import one
// customer per event, and a request must not take on every signal still owed to anyone (the
// worker's relay delivers those). It returns how many customers were imported, the consent changes
// and how many signals were delivered; a delivery that fails is in delivErr, the signals stay owed.
func (s *Service) ImportCustomers(ctx context.Context, r io.Reader) (n int, changes []store.ConsentChange, delivered int, delivErr error, err error) {
	n, changes, err = s.store.ImportCustomersWithConsentChanges(ctx, r)
	if err != nil {
		return 0, nil, 0, nil, err
	}
	if len(changes) == 0 {
		return n, changes, 0, nil, nil
	}
	changed := make([]string, 0, len(changes))
	for _, c := range changes {
		changed = append(changed, c.CustomerID)
	}
	delivered, delivErr = s.Relay(ctx, changed)
	return n, changes, delivered, delivErr, nil
}

// deliverResults delivers what each customer is owed, several customers at once (RelayInFlight),
// each customer's signals in order, and reports each customer once: delivered when this call
// delivered its signals, with the error when one was refused or the relay failed. A customer whose
// signals another relay was delivering at the time counts as not delivered here (it will be).
func (s *Service) deliverResults(ctx context.Context, customers []string, report func(customerID string, delivered bool, err error)) {
	if len(customers) == 0 {
		return
	}
	ids := slices.Clone(customers)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	type outcome struct {
		delivered int
		err       error
	}
	settled := map[string]outcome{}
	_, err := s.store.RelayOwed(ctx, ids, store.RelayOptions{
		InFlight:     RelayInFlight,
		PastRefusals: true,
		Settled: func(customerID string, delivered int, err error) {
			settled[customerID] = outcome{delivered, err}
		},
	}, s.deliverSignal)
	if err != nil {
		err = fmt.Errorf("relay owed signals: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range customers {
		if seen[c] {
			continue
		}
		seen[c] = true
		o, ok := settled[c]
		switch {
		case ok && o.err != nil:
			report(c, false, fmt.Errorf("relay owed signals: %w", o.err))
		case ok:
			report(c, o.delivered > 0, nil)
		default:
			// Not settled: held by another relay, or this one stopped (err says why, if it did).
			report(c, false, err)
		}
	}
}

// deliver delivers what customerID is owed and reports whether nothing is left owed to it by this
// call's doing. Another relay delivering the same customer at the time counts as not delivered
// here (it will be).
func (s *Service) deliver(ctx context.Context, customerID string) (bool, error) {
	n, err := s.Relay(ctx, []string{customerID})
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// checkIDs checks the customer id (ValidateID: it becomes a workflow ID) and that the event's own
// id, when it has one, is not empty. Entry points check their input first and say it better; this
// keeps a caller that did not from writing a key nobody can use.
func checkIDs(what, id, customerID string) error {
	var problems []string
	if what == "purchase" || what == "note" {
		if strings.TrimSpace(id) == "" {
			problems = append(problems, "id is empty")
		}
	}
	if err := lifecycle.ValidateID("customer", customerID); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", what, strings.Join(problems, "; "))
	}
	return nil
}
