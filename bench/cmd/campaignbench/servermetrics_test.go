package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const metricsBefore = `# HELP persistence_latency persistence_latency histogram
persistence_latency_bucket{namespace="default",operation="CreateWorkflowExecution",service_name="history",le="0.001"} 1
persistence_latency_sum{namespace="default",operation="CreateWorkflowExecution",service_name="history"} 0.5
persistence_latency_count{namespace="default",operation="CreateWorkflowExecution",service_name="history"} 100
persistence_latency_sum{namespace="system",operation="GetWorkflowExecution",service_name="history"} 1
persistence_latency_count{namespace="system",operation="GetWorkflowExecution",service_name="history"} 10
service_latency_sum{namespace="default",operation="SignalWithStartWorkflowExecution",service_name="frontend"} 2
service_latency_count{namespace="default",operation="SignalWithStartWorkflowExecution",service_name="frontend"} 100
`

const metricsAfter = `persistence_latency_sum{namespace="default",operation="CreateWorkflowExecution",service_name="history"} 2.5
persistence_latency_count{namespace="default",operation="CreateWorkflowExecution",service_name="history"} 300
persistence_latency_sum{namespace="other",operation="CreateWorkflowExecution",service_name="history"} 1
persistence_latency_count{namespace="other",operation="CreateWorkflowExecution",service_name="history"} 100
persistence_latency_sum{namespace="system",operation="GetWorkflowExecution",service_name="history"} 3
persistence_latency_count{namespace="system",operation="GetWorkflowExecution",service_name="history"} 30
service_latency_sum{namespace="default",operation="SignalWithStartWorkflowExecution",service_name="frontend"} 8
service_latency_count{namespace="default",operation="SignalWithStartWorkflowExecution",service_name="frontend"} 300
`

func TestServerMetricsSummariseAPhase(t *testing.T) {
	before, err := parseServerMetrics(strings.NewReader(metricsBefore))
	require.NoError(t, err)
	after, err := parseServerMetrics(strings.NewReader(metricsAfter))
	require.NoError(t, err)
	u := summarise(after.since(before), 10*time.Second)

	// Creates: 300 more (namespaces summed) taking 3 s of the 10; the reads 2 s; 200 SWS, 6 s.
	assert.InDelta(t, 300, u.Writes, 1e-9)
	assert.InDelta(t, 0.3, u.WriteBusy, 1e-9)
	assert.InDelta(t, 0.2, u.ReadBusy, 1e-9)
	assert.InDelta(t, 200, u.SWS, 1e-9)
	assert.InDelta(t, 30, u.SWSMeanMs, 1e-9)
	require.Len(t, u.TopWrites, 1)
	assert.Equal(t, "history/CreateWorkflowExecution", u.TopWrites[0].Name)
	assert.InDelta(t, 10, u.TopWrites[0].MeanMs, 1e-9)
}
