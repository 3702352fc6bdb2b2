// Command campaignbench is the measuring half of bench/run.sh, the campaign benchmark of issue 4.
// bench/run.sh starts the parts (PostgreSQL database, Temporal dev server, SendGrid sink, worker);
// this program makes the shop's files and measures:
//
//	campaignbench gen --customers N --dir DIR   write DIR/customers.csv and DIR/products.csv
//	campaignbench ports N                       print N free TCP ports of 127.0.0.1
//	campaignbench measure [flags]               the raw baseline, then the sale; prints the report
//
// measure runs, against the same dev server and in this order:
//
//  1. the baseline: SignalWithStart into a no-op workflow (it returns after its one signal, on its
//     own task queue with a worker in this process), at the concurrency the sale uses; it reports
//     starts accepted/s (calls returned) and completed/s (workflows closed, from visibility);
//  2. the sale: `starter sale --category C --discount P --wait --concurrency N`, a campaign workflow,
//     and then reads what happened from the outside only: the send_log in PostgreSQL while it runs,
//     every email the sink accepted at the end (latency, duplicates, misses), visibility for the
//     customers reached, sample histories for the events per customer, /proc for the worker's
//     peak RSS and CPU.
//
// The report ends with one markdown table row that docs/BENCHMARKS.md quotes. Its ratios compare
// like with like: the campaign's done/s (every customer reached) with the baseline's accepted/s, and
// the emails/s with the baseline's completed/s (docs/BENCHMARKS.md, "The ratios").
package main
