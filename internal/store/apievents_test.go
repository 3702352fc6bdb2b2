package store_test

import (
	"testing"
	"time"
)

func TestAPIEventLedger(t *testing.T) {
	b := setup(t)
	const lease = time.Minute

	first, err := b.s.ClaimAPIEvent(b.ctx, "ev-1", "order", "c1", "fp-a", lease)
	if err != nil || !first.Claimed {
		t.Fatalf("first claim of ev-1: %+v, %v; want it claimed", first, err)
	}
	busy, err := b.s.ClaimAPIEvent(b.ctx, "ev-1", "order", "c1", "fp-a", lease)
	if err != nil || busy.Claimed || busy.Result != nil || busy.Fingerprint != "fp-a" {
		t.Fatalf("claim of ev-1 while claimed: %+v, %v; want not claimed, no result, fingerprint fp-a", busy, err)
	}
	if err := b.s.FinishAPIEvent(b.ctx, "ev-1", []byte(`{"status":"applied"}`)); err != nil {
		t.Fatal(err)
	}
	done, err := b.s.ClaimAPIEvent(b.ctx, "ev-1", "order", "c1", "fp-b", lease)
	if err != nil || done.Claimed || string(done.Result) != `{"status": "applied"}` || done.Fingerprint != "fp-a" {
		t.Fatalf("claim of applied ev-1: %+v (result %s), %v; want its stored result and fingerprint fp-a", done, done.Result, err)
	}
	// Releasing an applied event changes nothing.
	if err := b.s.ReleaseAPIEvent(b.ctx, "ev-1"); err != nil {
		t.Fatal(err)
	}
	if again, _ := b.s.ClaimAPIEvent(b.ctx, "ev-1", "order", "c1", "fp-a", lease); again.Claimed || again.Result == nil {
		t.Errorf("after releasing the applied ev-1: %+v, want its result still stored", again)
	}

	// A released claim can be taken at once.
	if _, err := b.s.ClaimAPIEvent(b.ctx, "ev-2", "stock", "c1", "fp", lease); err != nil {
		t.Fatal(err)
	}
	if err := b.s.ReleaseAPIEvent(b.ctx, "ev-2"); err != nil {
		t.Fatal(err)
	}
	if c, err := b.s.ClaimAPIEvent(b.ctx, "ev-2", "stock", "c1", "fp-new", lease); err != nil || !c.Claimed {
		t.Errorf("claim of released ev-2: %+v, %v; want it claimed", c, err)
	}

	// A claim whose lease ran out (its request died) is taken over.
	if _, err := b.s.ClaimAPIEvent(b.ctx, "ev-3", "usage", "c1", "fp", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := b.s.ClaimAPIEvent(b.ctx, "ev-3", "usage", "c1", "fp", lease)
		if err != nil {
			t.Fatal(err)
		}
		if c.Claimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ev-3's expired claim was never taken over: %+v", c)
		}
		time.Sleep(5 * time.Millisecond) // polling the database clock, not a fixed wait
	}
}
