package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// TestParseHoldout: a share per kind that sells, "10%" or "10"; 0% is allowed (none); kinds
// that are never held out and shares outside 0-100 are refused with their line, all at once.
func TestParseHoldout(t *testing.T) {
	p := parseOK(t, "holdout:\n  sale: 10%\n  Offer: 20\n  season: 0%\n")
	require.Equal(t, map[lifecycle.Kind]int{lifecycle.KindSale: 10, lifecycle.KindOffer: 20, lifecycle.KindSeason: 0}, p.Holdouts)
	require.Nil(t, parseOK(t, "min_gap: 7d\n").Holdouts, "no holdout unless configured")

	requireProblems(t, "holdout:\n  sale: 10%\n  confirmation: 5%\n  season: 120%\n  restock: ten\n  checkin: 1%\n",
		`policy.yaml:3: holdout.confirmation: "confirmation" cannot be held out`,
		"use restock, sale, season, offer, invitation, winback",
		`policy.yaml:4: holdout.season: "120%" is not a whole percentage from 0% to 100%`,
		`policy.yaml:5: holdout.restock: "ten" is not a whole percentage`,
		`policy.yaml:6: holdout.checkin: "checkin" cannot be held out`)
}
