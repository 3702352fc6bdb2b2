package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// sample is one look at the worker (and the dev server) at a moment of the run.
type sample struct {
	At         time.Time `json:"at"`
	Label      string    `json:"label"`        // "idle", "10000 open", "settled", or "" between checkpoints
	Signalled  int       `json:"signalled"`    // SignalWithStarts that returned without error
	Handled    int       `json:"handled"`      // workflows whose consent the worker decided
	Open       int64     `json:"open"`         // running CustomerLifecycle workflows, from visibility; -1: not asked
	RSS        int64     `json:"rss_bytes"`    // worker VmRSS
	HWM        int64     `json:"hwm_bytes"`    // worker VmHWM: its peak RSS so far
	Heap       int64     `json:"heap_bytes"`   // go_memstats_heap_inuse_bytes
	Goroutines int       `json:"goroutines"`   // go_goroutines
	Cached     int       `json:"cached"`       // temporal_sticky_cache_size
	Evictions  int       `json:"evictions"`    // temporal_sticky_cache_total_forced_eviction_total
	ServerRSS  int64     `json:"server_rss"`   // dev server VmRSS; 0 without --server-pid
	WorkerCPU  float64   `json:"worker_cpu_s"` // worker user+system CPU seconds so far
}

// memory is a process's resident memory now and at its peak, from /proc/PID/status.
type memory struct{ rss, hwm int64 }

func readMemory(pid int) (memory, error) {
	var m memory
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, fmt.Errorf("process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(status)) {
		key, value, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("process %d: %s %q: %w", pid, key, value, err)
		}
		if key == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.hwm = kb << 10
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("process %d: no VmRSS in /proc/%d/status", pid, pid)
	}
	return m, nil
}

// cpuSeconds is a process's user + system CPU time, from /proc/PID/stat (USER_HZ is 100).
func cpuSeconds(pid int) float64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may hold spaces: utime is
	// field 14 and stime 15.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// workerMetrics are the few series of the worker's /metrics the benchmark reads.
type workerMetrics struct {
	handled    float64 // tailor_followups_total{kind="none",outcome="scheduled"}: consent decisions
	heap       float64
	goroutines float64
	cached     float64
	evictions  float64
}

var metricsClient = &http.Client{Timeout: 10 * time.Second}

func scrape(ctx context.Context, url string) (workerMetrics, error) {
	var m workerMetrics
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return m, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return m, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	return parseWorkerMetrics(resp.Body)
}

// parseWorkerMetrics picks the benchmark's series out of the Prometheus text format. The sticky
// cache's size is a gauge the SDK reports under the labels of whichever workflow type last
// touched the cache, so the largest of its series is the current size when one type runs.
func parseWorkerMetrics(r io.Reader) (workerMetrics, error) {
	var m workerMetrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series := line[:i]
		name, labels, _ := strings.Cut(series, "{")
		switch name {
		case "tailor_followups_total":
			if strings.Contains(labels, `kind="none"`) && strings.Contains(labels, `outcome="scheduled"`) {
				m.handled += v
			}
		case "go_memstats_heap_inuse_bytes":
			m.heap = v
		case "go_goroutines":
			m.goroutines = v
		case "temporal_sticky_cache_size":
			m.cached = math.Max(m.cached, v)
		case "temporal_sticky_cache_total_forced_eviction_total":
			m.evictions += v
		}
	}
	return m, sc.Err()
}
