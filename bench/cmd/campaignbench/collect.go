package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/workflows"
)

// sinkMessage is the part of a sink message the benchmark reads; the bodies are skipped.
type sinkMessage struct {
	Key        string    `json:"key"`
	CustomerID string    `json:"customer_id"`
	Kind       string    `json:"kind"`
	ReceivedAt time.Time `json:"received_at"`
}

// sinkMessages reads GET /messages as a stream, so that 100k rendered emails are never held whole.
func sinkMessages(ctx context.Context, sinkURL string) ([]sinkMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(sinkURL, "/")+"/messages", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s/messages: %w", sinkURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/messages: %s", sinkURL, resp.Status)
	}
	dec := json.NewDecoder(bufio.NewReaderSize(resp.Body, 1<<20))
	if _, err := dec.Token(); err != nil { // [
		return nil, fmt.Errorf("read the sink's messages: %w", err)
	}
	var msgs []sinkMessage
	for dec.More() {
		var m sinkMessage
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("read the sink's message %d: %w", len(msgs)+1, err)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// deliveries is what the sink's messages say about the sale.
type deliveries struct {
	Emails        int           `json:"emails"`
	OtherKinds    int           `json:"other_kinds"`    // emails that are not the sale's
	DuplicateKeys int           `json:"duplicate_keys"` // idempotency keys the sink saw more than once
	ExtraEmails   int           `json:"extra_emails"`   // emails beyond the first per key
	Misses        int           `json:"misses"`         // expected customers without a sale email
	Strangers     int           `json:"strangers"`      // sale emails to customers not expected
	First, Last   time.Duration `json:"-"`              // after the trigger
	P10, P50, P90 time.Duration `json:"-"`
	P99, Max      time.Duration `json:"-"`
	MissSample    []string      `json:"miss_sample,omitempty"`
	DupSample     []string      `json:"dup_sample,omitempty"`
}

func analyse(msgs []sinkMessage, expected []string, trigger time.Time) deliveries {
	var d deliveries
	perKey := map[string]int{}
	reached := map[string]bool{}
	var lat []time.Duration
	for _, m := range msgs {
		if m.Kind != "sale" {
			d.OtherKinds++
			continue
		}
		d.Emails++
		perKey[m.Key]++
		reached[m.CustomerID] = true
		lat = append(lat, m.ReceivedAt.Sub(trigger))
	}
	for _, k := range slices.Sorted(maps.Keys(perKey)) {
		if n := perKey[k]; n > 1 {
			d.DuplicateKeys++
			d.ExtraEmails += n - 1
			if len(d.DupSample) < 10 {
				d.DupSample = append(d.DupSample, fmt.Sprintf("%s ×%d", k, n))
			}
		}
	}
	want := map[string]bool{}
	for _, id := range expected {
		want[id] = true
		if !reached[id] {
			d.Misses++
			if len(d.MissSample) < 10 {
				d.MissSample = append(d.MissSample, id)
			}
		}
	}
	for id := range reached {
		if !want[id] {
			d.Strangers++
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		d.First, d.Last, d.Max = lat[0], lat[len(lat)-1], lat[len(lat)-1]
		d.P10, d.P50, d.P90, d.P99 = percentile(lat, 10), percentile(lat, 50), percentile(lat, 90), percentile(lat, 99)
	}
	return d
}

// percentile is the nearest-rank percentile of sorted, which must not be empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// historyCost is the average history of the sampled customers' workflows.
type historyCost struct {
	Samples       int            `json:"samples"`
	Events        float64        `json:"events"`         // history length
	WorkflowTasks float64        `json:"workflow_tasks"` // WorkflowTaskCompleted
	Activities    float64        `json:"activities"`     // ActivityTaskScheduled
	LocalActs     float64        `json:"local_activities"`
	ByType        map[string]int `json:"by_type"` // summed over the samples
	Example       []string       `json:"example"` // the event types of the first sample, in order
}

// sampleHistories reads the histories of n customers spread over ids.
func sampleHistories(ctx context.Context, c client.Client, ids []string, n int) (historyCost, error) {
	h := historyCost{ByType: map[string]int{}}
	if len(ids) == 0 || n < 1 {
		return h, nil
	}
	n = min(n, len(ids))
	var events, wfTasks, acts, locals int
	for i := range n {
		id := workflows.CustomerWorkflowID(ids[i*len(ids)/n])
		desc, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return h, fmt.Errorf("describe %s: %w", id, err)
		}
		events += int(desc.GetWorkflowExecutionInfo().GetHistoryLength())
		it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return h, fmt.Errorf("history of %s: %w", id, err)
			}
			t := e.GetEventType()
			name := strings.TrimPrefix(t.String(), "EVENT_TYPE_")
			h.ByType[name]++
			if i == 0 {
				h.Example = append(h.Example, name)
			}
			switch t {
			case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				wfTasks++
			case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				acts++
			case enums.EVENT_TYPE_MARKER_RECORDED:
				locals++
			}
		}
	}
	h.Samples = n
	f := float64(n)
	h.Events, h.WorkflowTasks, h.Activities, h.LocalActs = float64(events)/f, float64(wfTasks)/f, float64(acts)/f, float64(locals)/f
	return h, nil
}

// procStats are a process's peak resident memory and CPU time so far, from /proc.
type procStats struct {
	PID     int           `json:"pid"`
	PeakRSS int64         `json:"peak_rss_bytes"` // VmHWM
	CPU     time.Duration `json:"cpu_ns"`         // user + system
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

func readProc(pid int) (procStats, error) {
	s := procStats{PID: pid}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return s, fmt.Errorf("process %d: VmHWM %q: %w", pid, rest, err)
			}
			s.PeakRSS = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("process %d: %w", pid, err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces: state is
	// field 3, utime 14 and stime 15.
	after := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
	f := strings.Fields(after)
	if len(f) < 13 {
		return s, fmt.Errorf("process %d: short /proc stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("process %d: bad utime/stime in /proc stat", pid)
	}
	s.CPU = time.Duration(ut+st) * time.Second / clockTicks
	return s, nil
}

// campaignCost sums the histories of every campaign workflow run (a campaign continues as new
// between pages), so the fan-out's own server work can be put per customer. Closed is when the
// last run closed: the campaign had reached every customer.
type campaignCost struct {
	Runs          int       `json:"runs"`
	Events        int       `json:"events"`
	WorkflowTasks int       `json:"workflow_tasks"`
	Activities    int       `json:"activities"`
	Closed        time.Time `json:"closed"`
}

func campaignHistories(ctx context.Context, c client.Client) (campaignCost, error) {
	var cc campaignCost
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			PageSize: 1000, Query: "WorkflowType = 'Campaign'", NextPageToken: token,
		})
		if err != nil {
			return cc, fmt.Errorf("list campaign workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			cc.Runs++
			if t := e.GetCloseTime(); t != nil && t.AsTime().After(cc.Closed) {
				cc.Closed = t.AsTime()
			}
			it := c.GetWorkflowHistory(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					return cc, fmt.Errorf("history of %s: %w", e.GetExecution().GetWorkflowId(), err)
				}
				cc.Events++
				switch ev.GetEventType() {
				case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
					cc.WorkflowTasks++
				case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
					cc.Activities++
				}
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return cc, nil
		}
	}
}

// machineCPU is the whole machine's CPU time from /proc/stat, to tell a quiet machine from one
// where other work competed with the benchmark.
type machineCPU struct {
	busy, total int64 // jiffies
}

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var m machineCPU
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		m.total += v
		if i != 3 && i != 4 { // idle, iowait
			m.busy += v
		}
	}
	return m
}

// busyCores is how many cores were busy on average between a and b.
func busyCores(a, b machineCPU) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total) * float64(runtime.NumCPU())
}
