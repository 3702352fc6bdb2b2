package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// maxUsedPct bounds --used: a first reading may already be over the limit, a typo is not.
const maxUsedPct = 999

// maxOfferKeyLen bounds --offer-key: a send key holds a customer id and a few short parts.
const maxOfferKeyLen = 512

// kindList is kinds for a person: "care, checkin or service".
func kindList(kinds []lifecycle.Kind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// fillIn completes the follow-ups whose content comes from the customer's own data or the policy
// (care, checkin, service, offer, confirmation) the way the workflow builds them; the other kinds
// are complete from their flags.
func (pv *previewer) fillIn(ctx context.Context, fs *flag.FlagSet, f previewFlags, fu lifecycle.FollowUp) (lifecycle.FollowUp, error) {
	customerID := *f.customer
	switch fu.Kind {
	case lifecycle.KindCare, lifecycle.KindCheckin, lifecycle.KindService:
		held, err := pv.st.Held(ctx, customerID)
		if err != nil {
			return fu, pv.lookupError(customerID, err)
		}
		p, err := pv.purchase(customerID, fu.Kind, held.Purchases, strings.TrimSpace(*f.purchase))
		if err != nil {
			return fu, err
		}
		// As workflows.scheduleCare (care, checkin) and onCheckin (service) build them.
		fu.Key = lifecycle.SendKey(customerID, fu.Kind, p.ID)
		fu.PurchaseID, fu.ProductName = p.ID, p.Product.Name
		if fu.Kind == lifecycle.KindService {
			if fu.ProductName == "" {
				fu.ProductName = "purchase " + p.ID
			}
		} else {
			fu.Category = lifecycle.Normalize(p.Product.Category)
		}
	case lifecycle.KindOffer:
		pol := pv.worker.Policy.Usage
		if pol.Threshold <= 0 { // as the workflow's usagePolicy
			pol = lifecycle.DefaultUsagePolicy()
		}
		offer, behaviour, err := previewOffer(pol, strings.TrimSpace(*f.offer))
		if err != nil {
			return fu, err
		}
		used := int(math.Floor(pol.Threshold * 100))
		if flagSet(fs, "used") {
			used = *f.used
		}
		// As workflows.onUsage builds the offer at the moment of truth.
		fu.BundleOffer, fu.Behaviour, fu.UsedPct = &offer, behaviour, used
		fu.Metric = lifecycle.Normalize(*f.metric)
		fu.ExpiresAt = fu.Due.Add(pol.OfferValidFor)
		fu.Key = lifecycle.SendKey(customerID, fu.Kind, fu.Metric+"/"+fu.Due.UTC().Format("20060102T150405Z"))
	case lifecycle.KindConfirmation:
		sends, err := pv.st.SendLog(ctx, customerID)
		if err != nil {
			return fu, explainStoreError(err)
		}
		accepted, err := acceptedOffer(customerID, sends, strings.TrimSpace(*f.offerKey))
		if err != nil {
			return fu, err
		}
		// As workflows.onInterested: the confirmation repeats the accepted email's subject.
		fu.Offer = accepted.Subject
		fu.Key = lifecycle.SendKey(customerID, fu.Kind, accepted.Key)
	}
	return fu, nil
}

// lookupError names an unknown customer with what to do, as render does.
func (pv *previewer) lookupError(customerID string, err error) error {
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("no customer %q: check the id (starter status --customer ID) or import it first", customerID)
	}
	return explainStoreError(err)
}

// purchase is the customer's purchase with id, or without one their latest whose category's care
// plan sends this kind (workflows.scheduleCare: care after tips_after, a check-in after
// checkin_after). Service follows an unhappy check-in, so it prefers a purchase with a check-in but
// takes any purchase named.
func (pv *previewer) purchase(customerID string, kind lifecycle.Kind, purchases []store.HeldPurchase, id string) (store.HeldPurchase, error) {
	planned := func(p store.HeldPurchase) bool {
		plan, ok := pv.worker.Policy.CarePlanFor(p.Product.Category)
		if kind == lifecycle.KindCare {
			return ok && plan.TipsAfter > 0
		}
		return ok && plan.CheckinAfter > 0
	}
	step := "checkin_after"
	if kind == lifecycle.KindCare {
		step = "tips_after"
	}
	if id == "" {
		for _, p := range purchases { // the latest first
			if planned(p) {
				return p, nil
			}
		}
		if len(purchases) == 0 {
			return store.HeldPurchase{}, fmt.Errorf("customer %s has no purchases, so no %s email: record one (starter import orders) or pick another customer", customerID, kind)
		}
		return store.HeldPurchase{}, fmt.Errorf("none of customer %s's %d purchases is in a category with a care plan with %s (care in LIFECYCLE_CONFIG), so no %s email: add a plan or name a purchase with --purchase ID", customerID, len(purchases), step, kind)
	}
	i := slices.IndexFunc(purchases, func(p store.HeldPurchase) bool { return p.ID == id })
	if i < 0 {
		ids := make([]string, len(purchases))
		for j, p := range purchases {
			ids[j] = p.ID
		}
		return store.HeldPurchase{}, fmt.Errorf("--purchase %q is not a purchase of customer %s: use one of theirs %v", id, customerID, ids)
	}
	p := purchases[i]
	if kind != lifecycle.KindService && !planned(p) {
		return p, fmt.Errorf("--purchase %q is %s in category %q, which has no care plan with %s (care in LIFECYCLE_CONFIG): the workflow sends no %s email for it", id, p.Product.Name, p.Product.Category, step, kind)
	}
	return p, nil
}

// previewOffer is the policy's usage offer called name (the first without a name) and the first
// behaviour it is chosen for (ChooseOffer never offers a heavy user anything).
func previewOffer(pol lifecycle.UsagePolicy, name string) (lifecycle.BundleOffer, lifecycle.Behaviour, error) {
	if len(pol.Offers) == 0 {
		return lifecycle.BundleOffer{}, "", errors.New("the policy has no usage offers (usage.offers in LIFECYCLE_CONFIG), so no offer email is ever sent: add one")
	}
	names := make([]string, len(pol.Offers))
	for i, o := range pol.Offers {
		names[i] = o.Name
	}
	i := 0
	if name != "" {
		i = slices.IndexFunc(pol.Offers, func(o lifecycle.BundleOffer) bool { return strings.EqualFold(o.Name, name) })
		if i < 0 {
			return lifecycle.BundleOffer{}, "", fmt.Errorf("--offer %q is not one of the policy's usage offers: use one of %q", name, names)
		}
	}
	o := pol.Offers[i]
	for _, b := range o.For {
		if b != lifecycle.BehaviourHeavy {
			return o, b, nil
		}
	}
	return o, "", fmt.Errorf("usage offer %q is for no behaviour that gets an offer (its for: %v), so it is never sent: fix it in LIFECYCLE_CONFIG", o.Name, o.For)
}

// acceptedOffer is the customer's emailed offer-like email with key, or without one their latest
// (an upsell kind: the ones with a "yes, I'm interested" link).
func acceptedOffer(customerID string, sends []lifecycle.SendRecord, key string) (lifecycle.SendRecord, error) {
	var offers []lifecycle.SendRecord
	for _, r := range sends { // ordered by creation
		if r.Kind.Upsell() && r.Status == lifecycle.SendSent {
			offers = append(offers, r)
		}
	}
	if key == "" {
		if len(offers) == 0 {
			return lifecycle.SendRecord{}, fmt.Errorf("customer %s was emailed no offer to say yes to (no sent restock, sale, season, offer, invitation or winback email in the send log), so no confirmation: name one with --offer-key KEY or pick another customer", customerID)
		}
		return offers[len(offers)-1], nil
	}
	i := slices.IndexFunc(offers, func(r lifecycle.SendRecord) bool { return r.Key == key })
	if i < 0 {
		return lifecycle.SendRecord{}, fmt.Errorf("--offer-key %q is not an offer-like email sent to customer %s (see their send log with starter status --customer %s)", key, customerID, customerID)
	}
	return offers[i], nil
}
