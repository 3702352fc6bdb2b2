package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// serverMetrics is what the Temporal server spent, per operation, up to one moment: the
// persistence calls (every read and write of its store, by the service that made them) and the
// RPCs it served (the frontend's SignalWithStartWorkflowExecution among them), each a count and a
// sum of latencies, from its Prometheus listener. Two snapshots around a phase say where the
// server's time went in it. A latency includes the wait for the store (on the dev server one SQLite
// database takes every write one at a time), so the sum of the writes' latencies over the wall time
// is how many writes were in progress or waiting on average, and may exceed 1.
type serverMetrics map[metricKey]latencySum

type metricKey struct {
	Family    string // persistence_latency or service_latency
	Service   string // service_name: history, matching, frontend, ...
	Operation string
}

type latencySum struct {
	Count float64
	Sum   float64 // seconds
}

// readServerMetrics scrapes url; a server without a metrics listener gives (nil, error).
func readServerMetrics(ctx context.Context, url string) (serverMetrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape the server's metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape the server's metrics: %s", resp.Status)
	}
	return parseServerMetrics(resp.Body)
}

// parseServerMetrics reads the _count and _sum series of persistence_latency and service_latency
// from Prometheus text, summed over the labels other than service_name and operation.
func parseServerMetrics(r io.Reader) (serverMetrics, error) {
	m := serverMetrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		var family, kind string
		for _, f := range []string{"persistence_latency", "service_latency"} {
			for _, k := range []string{"_count{", "_sum{"} {
				if strings.HasPrefix(line, f+k) {
					family, kind = f, k
				}
			}
		}
		if family == "" {
			continue
		}
		labels, value, ok := strings.Cut(line[len(family)+len(kind)-1:], "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		key := metricKey{Family: family, Service: label(labels, "service_name"), Operation: label(labels, "operation")}
		s := m[key]
		if kind == "_count{" {
			s.Count += v
		} else {
			s.Sum += v
		}
		m[key] = s
	}
	return m, sc.Err()
}

// label is the value of name in a Prometheus label set such as {a="x",b="y"} (without braces).
func label(labels, name string) string {
	_, rest, ok := strings.Cut(","+labels, ","+name+"=\"")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "\"")
	return v
}

// since is what happened between before and m.
func (m serverMetrics) since(before serverMetrics) serverMetrics {
	d := serverMetrics{}
	for k, v := range m {
		b := before[k]
		if c := v.Count - b.Count; c > 0 {
			d[k] = latencySum{Count: c, Sum: v.Sum - b.Sum}
		}
	}
	return d
}

// isWrite tells the persistence operations that write (the rest read), by their names' verbs.
func isWrite(op string) bool {
	for _, p := range []string{"Create", "Update", "Delete", "Upsert", "Set", "Complete", "Add", "Put", "Conflict", "RangeComplete", "Append", "Lease", "Insert"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// serverUse summarises a phase's delta for the report.
type serverUse struct {
	WriteBusy   float64 `json:"write_busy"`  // the writes' latencies over the wall time
	Writes      float64 `json:"writes"`      // persistence writes
	ReadBusy    float64 `json:"read_busy"`   // the reads' latencies over the wall time
	SWS         float64 `json:"sws"`         // SignalWithStartWorkflowExecution served by the frontend
	SWSMeanMs   float64 `json:"sws_mean_ms"` // their mean latency at the server
	TopWrites   []opUse `json:"top_writes"`  // the writes that took the most time, most first
	TopReads    []opUse `json:"top_reads"`   // the reads that took the most time
	TopRPCs     []opUse `json:"top_rpcs"`    // the frontend and history RPCs that took the most time
	wallSeconds float64
}

type opUse struct {
	Name   string  `json:"name"` // service/operation
	Count  float64 `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	Busy   float64 `json:"busy"` // latencies over the wall time
}

func summarise(d serverMetrics, wall time.Duration) serverUse {
	u := serverUse{wallSeconds: wall.Seconds()}
	if wall <= 0 {
		return u
	}
	var writes, reads, rpcs []opUse
	for k, v := range d {
		o := opUse{Name: k.Service + "/" + k.Operation, Count: v.Count, MeanMs: 1000 * v.Sum / v.Count, Busy: v.Sum / wall.Seconds()}
		switch {
		case k.Family == "persistence_latency" && isWrite(k.Operation):
			u.Writes += v.Count
			u.WriteBusy += o.Busy
			writes = append(writes, o)
		case k.Family == "persistence_latency":
			u.ReadBusy += o.Busy
			reads = append(reads, o)
		case k.Family == "service_latency" && (k.Service == "frontend" || k.Service == "history"):
			if k.Service == "frontend" && k.Operation == "SignalWithStartWorkflowExecution" {
				u.SWS, u.SWSMeanMs = v.Count, o.MeanMs
			}
			rpcs = append(rpcs, o)
		}
	}
	byBusy := func(a, b opUse) int { return cmp.Or(cmp.Compare(b.Busy, a.Busy), strings.Compare(a.Name, b.Name)) }
	slices.SortFunc(writes, byBusy)
	slices.SortFunc(reads, byBusy)
	slices.SortFunc(rpcs, byBusy)
	u.TopWrites, u.TopReads, u.TopRPCs = writes[:min(len(writes), 6)], reads[:min(len(reads), 6)], rpcs[:min(len(rpcs), 6)]
	return u
}

func (u serverUse) write(w io.Writer, indent string) {
	fmt.Fprintf(w, "%sserver writes: %.0f (%.0f/s), their time %.0f%% of the phase, the reads' %.0f%%; SignalWithStart %.0f at %.1f ms mean at the server\n",
		indent, u.Writes, u.Writes/u.wallSeconds, 100*u.WriteBusy, 100*u.ReadBusy, u.SWS, u.SWSMeanMs)
	fmt.Fprintf(w, "%s  writes by time: %s\n", indent, opList(u.TopWrites))
	fmt.Fprintf(w, "%s  reads by time:  %s\n", indent, opList(u.TopReads))
	fmt.Fprintf(w, "%s  RPCs by time:   %s\n", indent, opList(u.TopRPCs))
}

func opList(ops []opUse) string {
	parts := make([]string, len(ops))
	for i, o := range ops {
		parts[i] = fmt.Sprintf("%s %.0f × %.1f ms (%.0f%%)", o.Name, o.Count, o.MeanMs, 100*o.Busy)
	}
	return strings.Join(parts, ", ")
}
