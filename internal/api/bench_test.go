package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tailorhq/tailor/internal/store/storetest"
)

// benchBatchSize is the events per batch in BenchmarkEvents: a stock system's sync or an order
// system's minute of orders.
const benchBatchSize = 100

// decodeOnly is the baseline: it reads the same request and decodes its JSON, nothing more.
type decodeOnly struct{}

func (decodeOnly) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var v map[string]any
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{}`)
}

// BenchmarkEvents measures the API's sustained events/s and p99 batch latency over loopback
// HTTP, with a fake Events and the real PostgreSQL idempotency table, against the same requests
// to a handler that only decodes the JSON, in the same run; every batch is new (no replays).
// Figures go to docs/BENCHMARKS.md, not here. Run it alone:
//
//	go test -run '^$' -bench BenchmarkEvents -benchtime 200x ./internal/api
func BenchmarkEvents(b *testing.B) {
	st, _ := storetest.New(b)
	h, err := New(Config{Tokens: [][]byte{[]byte(testToken)}}, Deps{Events: &fakeEvents{}, Ledger: st})
	if err != nil {
		b.Fatal(err)
	}
	apiSrv, baseSrv := httptest.NewServer(h), httptest.NewServer(decodeOnly{})
	defer apiSrv.Close()
	defer baseSrv.Close()

	bodies := make([]string, b.N)
	for i := range bodies {
		events := make([]string, benchBatchSize)
		for j := range events {
			n := i*benchBatchSize + j
			switch j % 3 {
			case 0:
				events[j] = fmt.Sprintf(`{"id":"b-%d","type":"order","order_id":"o%d","customer_id":"c%d","ordered_at":"2026-06-01T10:30:00Z","lines":[{"sku":"CHINO-NAVY-M","price_cents":7995},{"sku":"SHIRT-WHITE-M","wanted_color":"blue"}]}`, n, n, n%1000)
			case 1:
				events[j] = fmt.Sprintf(`{"id":"b-%d","type":"stock","sku":"SKU-%d","stock":%d}`, n, n%500, n%40)
			default:
				events[j] = fmt.Sprintf(`{"id":"b-%d","type":"usage","customer_id":"c%d","metric":"data_mb","used":%d,"limit":5000,"at":"2026-06-03T12:00:00Z"}`, n, n%1000, n%5000)
			}
		}
		bodies[i] = `{"events":[` + strings.Join(events, ",") + `]}`
	}
	send := func(url, body string) time.Duration {
		req, _ := http.NewRequest(http.MethodPost, url+EventsPath, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d from %s", resp.StatusCode, url)
		}
		return d
	}
	// Interleaved, so both see the same machine: the API, then the baseline, batch by batch.
	apiTimes, baseTimes := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		apiTimes = append(apiTimes, send(apiSrv.URL, bodies[i]))
		baseTimes = append(baseTimes, send(baseSrv.URL, bodies[i]))
	}
	b.StopTimer()
	rate := func(ts []time.Duration) float64 {
		var sum time.Duration
		for _, t := range ts {
			sum += t
		}
		return float64(len(ts)*benchBatchSize) / sum.Seconds()
	}
	p99 := func(ts []time.Duration) float64 {
		s := slices.Clone(ts)
		slices.Sort(s)
		return float64(s[(len(s)*99)/100-boolInt(len(s)%100 == 0)]) / float64(time.Millisecond)
	}
	apiRate, baseRate := rate(apiTimes), rate(baseTimes)
	b.ReportMetric(apiRate, "api_events/s")
	b.ReportMetric(baseRate, "decode_events/s")
	b.ReportMetric(apiRate/baseRate, "api/decode")
	b.ReportMetric(p99(apiTimes), "api_p99_ms")
	b.ReportMetric(p99(baseTimes), "decode_p99_ms")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
