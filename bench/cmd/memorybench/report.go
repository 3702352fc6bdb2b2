package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// describe is one sample on one line, for progress.
func describe(s sample) string {
	out := fmt.Sprintf("handled %d, worker RSS %s (peak %s), Go heap %s, %d goroutines, cache %d, evictions %d",
		s.Handled, mib(s.RSS), mib(s.HWM), mib(s.Heap), s.Goroutines, s.Cached, s.Evictions)
	if s.Open >= 0 {
		out = fmt.Sprintf("%d open, ", s.Open) + out
	}
	if s.ServerRSS > 0 {
		out += ", dev server RSS " + mib(s.ServerRSS)
	}
	return out
}

// report prints the checkpoints as a markdown table, and the figure docs/OBSERVABILITY.md
// quotes: how much the worker's RSS grew from the first checkpoint to the last.
func report(w io.Writer, cfg openConfig, res results) {
	cache := cfg.cacheSize
	if cache == "" {
		cache = "default"
	}
	fmt.Fprintf(w, "\nworker memory with WORKFLOW_CACHE_SIZE=%s, %d customer workflows opened %d at a time in %s",
		cache, res.Count, res.Concurrency, res.Opening.Round(time.Second))
	if res.Opening > 0 {
		fmt.Fprintf(w, " (%.0f/s)", float64(res.Count-res.Failed)/res.Opening.Seconds())
	}
	fmt.Fprintln(w)
	if res.Failed > 0 {
		fmt.Fprintf(w, "%d SignalWithStarts failed; the first: %s\n", res.Failed, res.FirstError)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| when | open workflows | handled | worker RSS | worker peak RSS | Go heap in use | goroutines | sticky cache | evictions | worker CPU | dev server RSS |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range res.Checkpoints {
		server := "—"
		if s.ServerRSS > 0 {
			server = mib(s.ServerRSS)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %d | %d | %d | %.0f s | %s |\n",
			s.Label, s.Open, s.Handled, mib(s.RSS), mib(s.HWM), mib(s.Heap), s.Goroutines, s.Cached, s.Evictions, s.WorkerCPU, server)
	}
	// The growth between the last two checkpoints: by then the cache is full (when it is smaller
	// than the earlier checkpoint), so it is what each further open workflow costs.
	var opened []sample
	for _, s := range res.Checkpoints {
		if strings.HasSuffix(s.Label, " open") {
			opened = append(opened, s)
		}
	}
	if n := len(opened); n >= 2 {
		a, b := opened[n-2], opened[n-1]
		if more := b.Handled - a.Handled; more > 0 {
			fmt.Fprintf(w, "\nfrom %s to %s: %+d workflows, worker RSS %+.0f MiB (%.2f KiB per workflow), Go heap %+.0f MiB, sticky cache %d → %d\n",
				a.Label, b.Label, more, float64(b.RSS-a.RSS)/(1<<20), float64(b.RSS-a.RSS)/1024/float64(more),
				float64(b.Heap-a.Heap)/(1<<20), a.Cached, b.Cached)
		}
	}
}

// writeResults writes results.json and samples.csv (checkpoints and periodic samples, in time
// order) to dir.
func writeResults(dir string, res results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	errJSON := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644)

	f, err := os.Create(filepath.Join(dir, "samples.csv"))
	if err != nil {
		return errors.Join(errJSON, err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"at", "label", "signalled", "handled", "open", "rss_bytes", "hwm_bytes", "heap_bytes", "goroutines", "cached", "evictions", "worker_cpu_s", "server_rss_bytes"})
	all := append(append([]sample(nil), res.Checkpoints...), res.Samples...)
	sortByTime(all)
	for _, s := range all {
		_ = w.Write([]string{
			s.At.Format(time.RFC3339Nano), s.Label, strconv.Itoa(s.Signalled), strconv.Itoa(s.Handled),
			strconv.FormatInt(s.Open, 10), strconv.FormatInt(s.RSS, 10), strconv.FormatInt(s.HWM, 10),
			strconv.FormatInt(s.Heap, 10), strconv.Itoa(s.Goroutines), strconv.Itoa(s.Cached),
			strconv.Itoa(s.Evictions), strconv.FormatFloat(s.WorkerCPU, 'f', 2, 64), strconv.FormatInt(s.ServerRSS, 10),
		})
	}
	w.Flush()
	return errors.Join(errJSON, w.Error(), f.Close())
}

func sortByTime(s []sample) {
	slices.SortStableFunc(s, func(a, b sample) int { return a.At.Compare(b.At) })
}
