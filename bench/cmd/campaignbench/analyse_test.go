package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	sorted := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{0, 1}, {10, 1}, {50, 5}, {90, 9}, {99, 10}, {100, 10},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, percentile(sorted, tt.p), "p%v of 1..10", tt.p)
	}
	require.Equal(t, time.Duration(7), percentile([]time.Duration{7}, 99), "p99 of one value")
}

func TestAnalyseCountsDuplicatesMissesAndStrangers(t *testing.T) {
	trigger := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return trigger.Add(time.Duration(s) * time.Second) }
	msgs := []sinkMessage{
		{Key: "customer/c1/sale/x", CustomerID: "c1", Kind: "sale", ReceivedAt: at(1)},
		{Key: "customer/c2/sale/x", CustomerID: "c2", Kind: "sale", ReceivedAt: at(2)},
		{Key: "customer/c2/sale/x", CustomerID: "c2", Kind: "sale", ReceivedAt: at(3)}, // sent twice
		{Key: "customer/zz/sale/x", CustomerID: "zz", Kind: "sale", ReceivedAt: at(4)}, // not concerned
		{Key: "customer/c1/season/y", CustomerID: "c1", Kind: "season", ReceivedAt: at(5)},
	}
	d := analyse(msgs, []string{"c1", "c2", "c3"}, trigger)
	require.Equal(t, 4, d.Emails, "sale emails")
	require.Equal(t, 1, d.OtherKinds, "the season email")
	require.Equal(t, 1, d.DuplicateKeys, "c2's key twice")
	require.Equal(t, 1, d.ExtraEmails, "one extra email for c2")
	require.Equal(t, 1, d.Misses, "c3 got nothing")
	require.Equal(t, []string{"c3"}, d.MissSample)
	require.Equal(t, 1, d.Strangers, "zz is not a seeded customer")
	require.Equal(t, time.Second, d.First)
	require.Equal(t, 4*time.Second, d.Last)
	require.Equal(t, 2*time.Second, d.P50)
}
