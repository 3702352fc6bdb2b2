package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// TestSelectionsLeaveOutWhatWasBought: the season fallback (issue #17 listed the very trousers
// he bought), a season collection, a sale, an invitation and a win-back offer nothing the
// customer bought, unless the policy's vocabulary marks its category as bought again.
func TestSelectionsLeaveOutWhatWasBought(t *testing.T) {
	follow := map[lifecycle.Kind]lifecycle.FollowUp{
		lifecycle.KindSeason:     {Kind: lifecycle.KindSeason}, // the fallback: what is new
		lifecycle.KindSale:       {Kind: lifecycle.KindSale, Category: "trousers", DiscountPct: 20},
		lifecycle.KindInvitation: {Kind: lifecycle.KindInvitation},
		lifecycle.KindWinback:    {Kind: lifecycle.KindWinback},
	}
	for _, kind := range []lifecycle.Kind{lifecycle.KindSeason, lifecycle.KindSale, lifecycle.KindInvitation, lifecycle.KindWinback} {
		for _, tc := range []struct {
			name       string
			repeat     []string
			othersOnly bool     // only the bought SKU in stock in their size
			want       []string // product lines the text contains (English template)
			absent     []string
			skip       bool
		}{
			{name: "bought SKU left out", want: []string{"Classic trousers, grey, size 50"}, absent: []string{"Classic trousers, blue, size 50"}},
			{name: "bought again: offered", repeat: []string{"trousers"}, want: []string{"Classic trousers, grey, size 50", "Classic trousers, blue, size 50"}},
			{name: "another category bought again: left out", repeat: []string{"socks"}, absent: []string{"Classic trousers, blue, size 50"}, want: []string{"grey"}},
			{name: "only the bought SKU: nothing to send", othersOnly: true, skip: true},
		} {
			t.Run(string(kind)+" "+tc.name, func(t *testing.T) {
				st := setup(t) // TR-BLUE-50 in stock; david likes blue, size 50, trousers
				ctx := context.Background()
				if !tc.othersOnly {
					_, err := st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\n"+
						"TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,3,\n"))
					require.NoError(t, err)
				}
				require.NoError(t, st.SetPreferences(ctx, "david", lifecycle.Preferences{Colors: []string{"blue", "grey"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}))
				_, _, err := st.RecordPurchase(ctx, lifecycle.Purchase{ID: "p1", CustomerID: "david", SKU: "TR-BLUE-50", At: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)})
				require.NoError(t, err)
				if !tc.othersOnly {
					// Another customer's purchase of the grey pair must not hide it from david.
					_, _, err = st.RecordPurchase(ctx, lifecycle.Purchase{ID: "p2", CustomerID: "jan", SKU: "TR-GREY-50", At: time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)})
					require.NoError(t, err)
				}

				policy := lifecycle.DefaultPolicy()
				policy.Vocabulary.Repeat = tc.repeat
				mailer := &scriptedMailer{}
				f := follow[kind]
				f.Key = lifecycle.SendKey("david", kind, "s1")
				out := sendResult(t, sendEnv(t, st, mailer, policy), activities.SendFollowUpInput{CustomerID: "david", FollowUp: f})
				if tc.skip {
					require.False(t, out.Sent, "%s with only the bought SKU in stock: %+v", kind, out)
					require.Equal(t, activities.SkipNoProducts, out.SkipCode, "%s: %s", kind, out.SkipReason)
					return
				}
				require.True(t, out.Sent, "%s repeat %v: %+v", kind, tc.repeat, out)
				text := mailer.emails[0].Text
				for _, want := range tc.want {
					require.Contains(t, text, want, "%s repeat %v", kind, tc.repeat)
				}
				for _, not := range tc.absent {
					require.NotContains(t, text, not, "%s repeat %v: offers the SKU david bought", kind, tc.repeat)
				}
			})
		}
	}
}
