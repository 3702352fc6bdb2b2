// Command memorybench is the measuring half of bench/memory.sh: how much memory Tailor's worker
// holds while many customer workflows are open, with its sticky workflow cache bounded
// (WORKFLOW_CACHE_SIZE, docs/OBSERVABILITY.md).
//
//	memorybench open --temporal HOST:PORT --customers FILE --metrics URL --worker-pid PID [flags]
//
// It opens one CustomerLifecycle workflow per customer in FILE (the first column of a customers
// CSV, header skipped) the way the shop does: a SignalWithStart through internal/lifecycleclient,
// with the consent signal, which the workflow handles without an activity. Each workflow then
// sleeps, open, waiting for its next event, as a real customer's does for months.
//
// It opens them in stages that end at the checkpoints (by default a tenth, half and all of
// --count). At each checkpoint it stops, waits until the worker has handled every workflow's first
// task (the consent decision counted in tailor_followups_total on the worker's /metrics), and
// samples the worker: VmRSS and VmHWM from /proc/PID/status, and from /metrics the Go heap in use,
// the goroutines and the sticky cache's size. After the last checkpoint it waits --settle and
// samples once more. It prints progress to stderr, the table to stdout, and writes every sample
// to --out as samples.csv and results.json.
package main
