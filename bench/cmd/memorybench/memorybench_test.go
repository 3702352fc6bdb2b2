package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCheckpoints(t *testing.T) {
	for _, c := range []struct {
		in      string
		count   int
		want    []int
		wantErr string
	}{
		{"", 100000, []int{10000, 50000, 100000}, ""},
		{"", 5, []int{2, 5}, ""}, // a tenth of 5 is 0: left out
		{"50000, 10000,50000", 100000, []int{10000, 50000, 100000}, ""},
		{"100000", 100000, []int{100000}, ""},
		{"0", 10, nil, `checkpoint "0"`},
		{"11", 10, nil, `checkpoint "11"`},
		{"ten", 10, nil, `checkpoint "ten"`},
	} {
		got, err := parseCheckpoints(c.in, c.count)
		if c.wantErr != "" {
			require.ErrorContains(t, err, c.wantErr, "checkpoints %q of %d", c.in, c.count)
			continue
		}
		require.NoError(t, err, "checkpoints %q of %d", c.in, c.count)
		require.Equal(t, c.want, got, "checkpoints %q of %d", c.in, c.count)
	}
}

func TestParseWorkerMetrics(t *testing.T) {
	const page = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 2043
go_memstats_heap_inuse_bytes 1.2345678e+08
tailor_followups_total{activity_type="none",kind="none",namespace="default",outcome="scheduled",workflow_type="CustomerLifecycle"} 9000
tailor_followups_total{activity_type="none",kind="restock",namespace="default",outcome="scheduled",workflow_type="CustomerLifecycle"} 7
tailor_followups_total{activity_type="none",kind="none",namespace="default",outcome="dropped",workflow_type="CustomerLifecycle"} 3
temporal_sticky_cache_size{namespace="default",task_queue="tailor",workflow_type="Campaign"} 12
temporal_sticky_cache_size{namespace="default",task_queue="tailor",workflow_type="CustomerLifecycle"} 2000
temporal_sticky_cache_total_forced_eviction_total{namespace="default",task_queue="tailor",workflow_type="none"} 7000
`
	m, err := parseWorkerMetrics(strings.NewReader(page))
	require.NoError(t, err)
	require.Equal(t, workerMetrics{handled: 9000, heap: 123456780, goroutines: 2043, cached: 2000, evictions: 7000}, m)
}

func TestReadMemoryOfThisProcess(t *testing.T) {
	m, err := readMemory(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, m.rss)
	require.GreaterOrEqual(t, m.hwm, m.rss, "VmHWM is the peak of VmRSS")
	_, err = readMemory(-1)
	require.Error(t, err)
}

func TestReadCustomerIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customers.csv")
	require.NoError(t, os.WriteFile(path, []byte("id,name,email\nc0000001,A,a@example.com\nc0000002,B,b@example.com\n\n"), 0o644))
	ids, err := readCustomerIDs(path)
	require.NoError(t, err)
	require.Equal(t, []string{"c0000001", "c0000002"}, ids)
}
