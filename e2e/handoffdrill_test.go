package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/sendgrid/sink"
	"github.com/tailorhq/tailor/internal/shopwebhook"
)

// notifyRetryWait bounds how long a NotifyHandoff attempt whose worker died waits to be retried:
// its StartToCloseTimeout (1 min, workflows/handoffs.go; it has no heartbeat), then a backoff.
const notifyRetryWait = time.Minute + e2eTimeout

// Drill 10: the worker is SIGKILLed while NotifyHandoff's email to the shop is in flight, then
// restarted. Two customers say "yes, I'm interested" to a sale. (a) David: the sink delays its
// answers, and the worker dies while the sink holds both his confirmation and the shop's notice,
// before it accepted either: each goes out once after the restart. (b) Els: the sink accepts the
// shop's notice and its answer never arrives; the worker dies before it could mark the key sent,
// so the retry sends it again: two deliveries, the documented at-least-once window of drill 1b.
// Either way there is one hand-off row per customer, the shop's webhook receives each hand-off
// (signed; a repeat carries the same X-Tailor-Delivery), and each customer one confirmation.
func drillHandoffNotificationWorkerKilled(t *testing.T) {
	s := newStack(t, true, withPolicy(drillPolicy), withHTTP())
	front := s.frontSink()
	secret := make([]byte, 32)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	hook := startShopReceiver(t, []byte(hex.EncodeToString(secret)))
	s.setEnv("SHOP_NOTIFY_EMAIL", "Shop desk <desk@shop.example>")
	s.setEnv("SHOP_WEBHOOK_URL", hook.url)
	s.setEnv("SHOP_WEBHOOK_SECRET", hex.EncodeToString(secret))
	s.setupShop()
	s.startWorker()

	// Both bought the blue trousers and wished for grey, so a sale on trousers offers both the
	// grey chinos in stock (the blue pair they bought is not offered again).
	s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1")
	s.starter("purchase", "--customer", "els", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p2")
	until, saleID := weekSale("trousers")
	s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until)
	s.awaitMessages(2, "the sale emails to david and els")
	ctx := context.Background()
	keys := map[string]handoffKeys{}
	for _, id := range []string{"david", "els"} {
		s.awaitStatus(id, "the sale email recorded by the workflow", func(st e2eStatus) bool { return len(st.Emails) == 1 })
		sale := "customer/" + id + "/sale/" + saleID
		h := lifecycle.Handoff{ID: lifecycle.HandoffID(id, sale)}
		keys[id] = handoffKeys{sale: sale, confirmation: "customer/" + id + "/confirmation/" + sale, handoff: h.ID, notice: h.NotifyKey(0)}
	}
	accept := func(id string) {
		t.Helper()
		i := slices.IndexFunc(s.sink.Messages(), func(m sink.Message) bool { return m.Key == keys[id].sale })
		require.GreaterOrEqual(t, i, 0, "%s's sale email: %s", id, describeMessages(s.sink.Messages()))
		link := s.linkIn(s.sink.Messages()[i].Text, links.PurposeInterested)
		resp := s.page(http.MethodPost, link, "application/x-www-form-urlencoded", "")
		require.Equal(t, http.StatusOK, resp.code, "%s says yes, POST %s:\n%s", id, link, resp.body)
	}
	awaitKey := func(key string, n int, within time.Duration, what string) sink.Message {
		t.Helper()
		var m sink.Message
		require.Eventually(t, func() bool {
			got := 0
			for _, msg := range s.sink.Messages() {
				if msg.Key == key {
					if got++; got == n {
						m = msg
						return true
					}
				}
			}
			return false
		}, within, e2ePoll, "waiting for %s (delivery %d of key %s)", what, n, key)
		return m
	}
	awaitSent := func(key, what string) {
		t.Helper()
		require.Eventually(t, func() bool {
			log, err := s.store.SendLog(ctx, "")
			return err == nil && slices.ContainsFunc(log, func(r lifecycle.SendRecord) bool { return r.Key == key && r.Status == lifecycle.SendSent })
		}, e2eTimeout, e2ePoll, "waiting for %s: send log key %s sent", what, key)
	}
	requireHandoffRows := func(want ...string) {
		t.Helper()
		rows, err := s.store.Handoffs(ctx, true)
		require.NoError(t, err)
		var got []string
		for _, h := range rows {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		require.Equal(t, slices.Sorted(slices.Values(want)), got, "hand-off rows")
	}

	// (a) Killed before the provider accepted the shop's notice: the sink waits 10 s (less than
	// the client's 15 s timeout) before it answers, and drops a request whose client died.
	s.sink.Delay(10 * time.Second)
	accept("david")
	front.awaitRead(4, "david's confirmation and the shop's notice read by the sink, which now waits out its delay")
	requireHandoffRows(keys["david"].handoff) // NotifyHandoff writes the row before it emails
	s.killWorker()
	require.Never(t, func() bool { return len(s.sink.Messages()) > 2 }, 2*time.Second, e2ePoll,
		"the sink must drop the requests whose client died during its delay")
	s.sink.Delay(0)
	restartedA := time.Now()
	s.startWorker()
	noticeA := awaitKey(keys["david"].notice, 1, notifyRetryWait, "the shop's notice of david's yes after the restart")
	confA := awaitKey(keys["david"].confirmation, 1, e2eTimeout, "david's confirmation after the restart")
	hookA := hook.await(t, keys["david"].notice, notifyRetryWait, "the webhook POST of david's hand-off")
	require.Equal(t, "desk@shop.example", noticeA.To, "the shop's notice goes to SHOP_NOTIFY_EMAIL")
	require.Equal(t, string(activities.KindShopNotice), noticeA.Kind)
	awaitSent(keys["david"].notice, "the shop's notice of david's yes recorded")

	// (b) Killed after the provider accepted the shop's notice, before its answer arrived. The
	// confirmation goes through; the kill waits until it is marked sent, so that only the notice
	// is inside the window.
	front.next(loseAnswerOf(front, activities.KindShopNotice), loseAnswerOf(front, activities.KindShopNotice))
	accept("els")
	awaitKey(keys["els"].notice, 1, e2eTimeout, "the shop's notice of els's yes accepted by the sink, its answer held")
	awaitSent(keys["els"].confirmation, "els's confirmation marked sent before the kill")
	s.killWorker()
	restartedB := time.Now()
	s.startWorker()
	noticeB := awaitKey(keys["els"].notice, 2, notifyRetryWait, "the shop's notice of els's yes sent again after the restart")
	hookB := hook.await(t, keys["els"].notice, notifyRetryWait, "the webhook POST of els's hand-off")
	awaitSent(keys["els"].notice, "the shop's notice of els's yes recorded")
	s.requireNoMoreMail(7, time.Now().Add(drillQuiet), "after the notices") // 2 sales, 2 confirmations, 3 notices

	requireHandoffRows(keys["david"].handoff, keys["els"].handoff)
	s.requireDeliveries(map[string]int{
		keys["david"].sale: 1, keys["els"].sale: 1,
		keys["david"].confirmation: 1, keys["els"].confirmation: 1,
		keys["david"].notice: 1, // the provider had not accepted before the kill
		keys["els"].notice:   2, // the documented at-least-once window
	})
	s.requireSendLogSent(keys["david"].sale, keys["els"].sale, keys["david"].confirmation, keys["els"].confirmation,
		keys["david"].notice, keys["els"].notice)
	deliveries := hook.deliveries()
	require.Equal(t, []string{keys["david"].notice, keys["els"].notice}, slices.Sorted(slices.Values(deliveryIDs(deliveries))),
		"X-Tailor-Delivery of the webhook POSTs, once each after dropping repeats")
	for _, d := range deliveries {
		var ev activities.HandoffEvent
		require.NoError(t, json.Unmarshal(d.body, &ev), "webhook body of %s: %s", d.id, d.body)
		require.Equal(t, "handoff.opened", ev.Event, "webhook body of %s", d.id)
		require.Equal(t, strings.TrimSuffix(d.id, "/notify"), ev.ID, "webhook body of %s", d.id)
	}
	for _, id := range []string{"david", "els"} {
		s.awaitStatus(id, "the sale and the confirmation in the workflow, one hand-off open", func(st e2eStatus) bool {
			return len(st.Emails) == 2
		})
	}

	t.Logf("drill: worker killed mid-hand-off notice: (a) before acceptance: notice 1 delivery %v after the restart, confirmation %v, webhook %v; 1 hand-off row",
		noticeA.ReceivedAt.Sub(restartedA).Round(100*time.Millisecond), confA.ReceivedAt.Sub(restartedA).Round(100*time.Millisecond),
		hookA.Sub(restartedA).Round(100*time.Millisecond))
	t.Logf("drill: worker killed mid-hand-off notice: (b) after acceptance: notice 2 deliveries, the second %v after the restart, webhook %v; confirmation 1; 1 hand-off row per customer; webhook POSTs received %d (%d distinct deliveries)",
		noticeB.ReceivedAt.Sub(restartedB).Round(100*time.Millisecond), hookB.Sub(restartedB).Round(100*time.Millisecond),
		hook.received(), len(deliveries))
}

// handoffKeys are one customer's keys in drill 10.
type handoffKeys struct{ sale, confirmation, handoff, notice string }

// loseAnswerOf lets the sink accept an email of kind and never answers, like
// sinkFront.acceptAndLoseAnswer; other emails go to the sink as usual.
func loseAnswerOf(f *sinkFront, kind lifecycle.Kind) frontStep {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client went away
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if bytes.Contains(raw, []byte(`"kind":"`+string(kind)+`"`)) {
			f.acceptAndLoseAnswer(w, r)
			return
		}
		f.sink.ServeHTTP(w, r)
	}
}

// shopReceiver stands in for the shop's own systems behind SHOP_WEBHOOK_URL: it verifies each
// POST's X-Tailor-Signature, answers 204, and keeps one delivery per X-Tailor-Delivery.
type shopReceiver struct {
	url    string
	secret []byte

	mu    sync.Mutex
	posts int
	seen  map[string]shopDelivery
	t     *testing.T
}

type shopDelivery struct {
	id   string
	body []byte
	at   time.Time // of the first POST
}

func startShopReceiver(t *testing.T, secret []byte) *shopReceiver {
	t.Helper()
	rcv := &shopReceiver{secret: secret, seen: map[string]shopDelivery{}, t: t}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	rcv.url = srv.URL + "/hooks/tailor"
	return rcv
}

func (rcv *shopReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if !shopwebhook.Verify(rcv.secret, body, r.Header.Get(shopwebhook.SignatureHeader)) {
		rcv.t.Errorf("shop webhook POST with a bad %s %q: %s", shopwebhook.SignatureHeader, r.Header.Get(shopwebhook.SignatureHeader), body)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(shopwebhook.DeliveryHeader)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	rcv.posts++
	if prev, ok := rcv.seen[id]; ok {
		if !bytes.Equal(prev.body, body) {
			rcv.t.Errorf("shop webhook delivery %s repeated with another body:\n%s\nthen\n%s", id, prev.body, body)
		}
	} else {
		rcv.seen[id] = shopDelivery{id: id, body: body, at: time.Now()}
	}
	w.WriteHeader(http.StatusNoContent)
}

// await waits for the delivery id and returns when it first arrived.
func (rcv *shopReceiver) await(t *testing.T, id string, within time.Duration, what string) time.Time {
	t.Helper()
	var at time.Time
	require.Eventually(t, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		d, ok := rcv.seen[id]
		at = d.at
		return ok
	}, within, e2ePoll, "waiting for %s (X-Tailor-Delivery %s)", what, id)
	return at
}

func (rcv *shopReceiver) deliveries() []shopDelivery {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	out := make([]shopDelivery, 0, len(rcv.seen))
	for _, d := range rcv.seen {
		out = append(out, d)
	}
	return out
}

// received counts every POST, repeats included.
func (rcv *shopReceiver) received() int {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return rcv.posts
}

func deliveryIDs(ds []shopDelivery) []string {
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.id)
	}
	return ids
}
