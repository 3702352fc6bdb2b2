package lifecycle

import (
	"fmt"
	"testing"
)

// TestHoldoutMembershipIsStableAndNearItsShare: the same customer is in the same group of one
// holdout every time; of 10,000 customers each share holds out within two points of itself; 0%
// holds out nobody and 100% everybody; another key draws another group.
func TestHoldoutMembershipIsStableAndNearItsShare(t *testing.T) {
	const n = 10000
	for _, pct := range []int{0, 1, 10, 50, 90, 100} {
		h := Holdout{Pct: pct, Key: "campaign/sale/trousers/20261231-20"}
		held := 0
		for i := range n {
			id := fmt.Sprintf("c-%05d", i)
			in := h.Holds(id)
			if in != h.Holds(id) {
				t.Fatalf("holdout %d%%: customer %s changed group between two calls", pct, id)
			}
			if in {
				held++
			}
		}
		share := float64(held) * 100 / n
		switch {
		case pct == 0 && held != 0, pct == 100 && held != n:
			t.Errorf("holdout %d%%: %d of %d held out", pct, held, n)
		case share < float64(pct)-2 || share > float64(pct)+2:
			t.Errorf("holdout %d%%: %.2f%% of %d customers held out, want within 2 points", pct, share, n)
		}
	}
	a, b := Holdout{Pct: 50, Key: "sale"}, Holdout{Pct: 50, Key: "season"}
	same := 0
	for i := range 1000 {
		id := fmt.Sprintf("c-%04d", i)
		if a.Holds(id) == b.Holds(id) {
			same++
		}
	}
	if same < 400 || same > 600 {
		t.Errorf("two 50%% holdouts with keys sale and season agree on %d of 1000 customers, want about 500 (independent groups)", same)
	}
}

// TestHoldoutFor: a campaign's holdout wins over the policy's, even at 0%; the policy's applies
// per kind; transactional mail, care tips and check-ins are never held out.
func TestHoldoutFor(t *testing.T) {
	p := Policy{Holdouts: map[Kind]int{KindSale: 10, KindOffer: 20}}
	campaign := &Holdout{Pct: 30, Key: "campaign/sale/x"}
	tests := []struct {
		name string
		f    FollowUp
		want Holdout
		ok   bool
	}{
		{"policy sale", FollowUp{Kind: KindSale}, Holdout{Pct: 10, Key: "sale"}, true},
		{"campaign sale", FollowUp{Kind: KindSale, Holdout: campaign}, *campaign, true},
		{"campaign at 0%", FollowUp{Kind: KindSale, Holdout: &Holdout{Key: "campaign/sale/y"}}, Holdout{Key: "campaign/sale/y"}, false},
		{"offer", FollowUp{Kind: KindOffer}, Holdout{Pct: 20, Key: "offer"}, true},
		{"season without one", FollowUp{Kind: KindSeason}, Holdout{Key: "season"}, false},
		{"confirmation", FollowUp{Kind: KindConfirmation, Holdout: campaign}, Holdout{}, false},
		{"service", FollowUp{Kind: KindService}, Holdout{}, false},
		{"checkin", FollowUp{Kind: KindCheckin}, Holdout{}, false},
	}
	for _, tt := range tests {
		got, ok := p.HoldoutFor(tt.f)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: HoldoutFor(%+v) = %+v, %t; want %+v, %t", tt.name, tt.f, got, ok, tt.want, tt.ok)
		}
	}
}
