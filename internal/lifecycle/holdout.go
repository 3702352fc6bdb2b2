package lifecycle

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
)

// Holdout is a control group: Pct percent of the customers a follow-up concerns get no email.
// Each follow-up held out goes through the whole decision (policy, consent, segment strategy, the
// send step's checks) and is then recorded as held out instead of sent, so that the purchases of
// the held-out customers measure what would have happened without the email (starter report).
//
// Membership is a hash of the customer's id and Key: the same customer is in the same group of
// one holdout every time, whichever worker decides and however often it is retried.
type Holdout struct {
	Pct int `json:"pct"` // 0 to 100
	// Key names the holdout: a campaign's workflow ID (starter sale --holdout), or the follow-up
	// kind of the policy's holdout (holdout: {sale: 10%}).
	Key string `json:"key"`
}

// Holds reports whether the customer is in the holdout's control group.
func (h Holdout) Holds(customerID string) bool {
	return h.Pct > 0 && HoldoutBucket(customerID, h.Key) < h.Pct
}

// String says which control group, for the decision a person reads.
func (h Holdout) String() string {
	return fmt.Sprintf("held out: in the %d%% control group of %s, no email; purchases in the attribution window count for the holdout", h.Pct, h.Key)
}

// HoldoutBucket is the customer's bucket, 0 to 99, in the holdout named key: the first 8 bytes of
// SHA-256(key, NUL, customer id), modulo 100. SHA-256 mixes well enough that any percentage of
// many customers lands within a point or two of its share, and it is the same on every machine.
func HoldoutBucket(customerID, key string) int {
	sum := sha256.Sum256([]byte(key + "\x00" + customerID))
	return int(binary.BigEndian.Uint64(sum[:8]) % 100)
}

// HoldoutKinds are the kinds a holdout may hold back: the follow-ups that sell, whose effect on
// purchases a holdout measures. Transactional mail (confirmations, service contact) is never held
// out, nor are care tips, check-ins, feedback asks and exit questions, which serve the customer
// rather than a sale.
var HoldoutKinds = []Kind{KindRestock, KindSale, KindSeason, KindOffer, KindInvitation, KindWinback}

// HoldoutFor is the holdout that decides f: the campaign's own, when the campaign was started
// with one (even 0%), else the policy's for f's kind. ok is false when f cannot be held out or no
// holdout applies.
func (p Policy) HoldoutFor(f FollowUp) (Holdout, bool) {
	if !f.Kind.HoldsOut() {
		return Holdout{}, false
	}
	if f.Holdout != nil {
		return *f.Holdout, f.Holdout.Pct > 0
	}
	pct := p.Holdouts[f.Kind]
	return Holdout{Pct: pct, Key: string(f.Kind)}, pct > 0
}

// HoldsOut reports whether a follow-up of kind k may be held out (HoldoutKinds).
func (k Kind) HoldsOut() bool { return slices.Contains(HoldoutKinds, k) }
