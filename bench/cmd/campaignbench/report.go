package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

func perSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// rates are the per-second numbers derived from a result.
type rates struct {
	rawAccepted, rawCompleted float64
	reached, emails, steady   float64
	// campaignDone is the customers the campaign concerns per second from the trigger until its
	// workflow closed, every customer reached: the campaign's own rate; 0 when no run closed (the sale gave up).
	campaignDone float64
}

func ratesOf(r result) rates {
	d := r.Deliveries
	x := rates{
		rawAccepted:  r.Raw.acceptedPerSec(),
		rawCompleted: r.Raw.completedPerSec(),
		reached:      perSec(r.Reached, r.ReachedIn),
		emails:       perSec(d.Emails, d.Last),
		campaignDone: perSec(r.Expected, r.CampaignDoneIn),
	}
	// The middle 80% of the emails, without the start-up and the tail.
	if d.P90 > d.P10 {
		x.steady = 0.8 * float64(d.Emails) / (d.P90 - d.P10).Seconds()
	}
	return x
}

func (r result) path() string {
	path := fmt.Sprintf("campaign workflow (sale --wait), %d in flight", r.Concurrency)
	if r.Rate > 0 {
		path += fmt.Sprintf(", --rate %g", r.Rate)
	}
	return path
}

// report prints the summary for a person, then the markdown row docs/BENCHMARKS.md quotes.
func report(w io.Writer, cfg measureConfig, r result) {
	x := ratesOf(r)
	d := r.Deliveries
	fmt.Fprintf(w, "\n== campaign benchmark: %d customers, %s ==\n", r.Customers, r.path())
	fmt.Fprintf(w, "trigger:           starter %s (returned after %s%s)\n", strings.Join(r.Sale.Args, " "), round(r.Sale.StarterTook), failedNote(r.Sale.StarterErr))
	if r.Sale.GaveUp != "" {
		fmt.Fprintf(w, "GAVE UP:           %s\n", r.Sale.GaveUp)
	}
	fmt.Fprintf(w, "baseline:          %d SignalWithStart into a no-op workflow, %d in flight: %.0f accepted/s (%s), %.0f completed/s (%s)%s\n",
		r.Raw.Count, r.Raw.Concurrency, x.rawAccepted, round(r.Raw.Accepted), x.rawCompleted, round(r.Raw.Completed), failedCount(r.Raw.Failed))
	fmt.Fprintf(w, "customers reached: %d of %d in %s: %.0f/s\n", r.Reached, r.Expected, round(r.ReachedIn), x.reached)
	if r.CampaignDoneIn > 0 {
		fmt.Fprintf(w, "campaign done:     its workflow closed %s after the trigger: %.0f customers/s\n", round(r.CampaignDoneIn), x.campaignDone)
	}
	fmt.Fprintf(w, "emails:            %d in %s: %.0f/s end to end, %.0f/s over the middle 80%%\n", d.Emails, round(d.Last), x.emails, x.steady)
	fmt.Fprintf(w, "trigger to email:  first %s, p50 %s, p90 %s, p99 %s, max %s\n", round(d.First), round(d.P50), round(d.P90), round(d.P99), round(d.Max))
	fmt.Fprintf(w, "exactly once:      %d duplicate keys (%d extra emails), %d misses, %d to unexpected customers, %d other emails; send_log %d sent of %d rows\n",
		d.DuplicateKeys, d.ExtraEmails, d.Misses, d.Strangers, d.OtherKinds, r.Sale.Sent, r.Sale.Logged)
	if len(d.MissSample) > 0 {
		fmt.Fprintf(w, "                   missed e.g. %s\n", strings.Join(d.MissSample, ", "))
	}
	if len(d.DupSample) > 0 {
		fmt.Fprintf(w, "                   duplicated e.g. %s\n", strings.Join(d.DupSample, ", "))
	}
	h := r.History
	fmt.Fprintf(w, "per customer:      %.1f history events, %.1f workflow tasks, %.1f activities, %.1f local activities (mean of %d histories)\n",
		h.Events, h.WorkflowTasks, h.Activities, h.LocalActs, h.Samples)
	fmt.Fprintf(w, "                   e.g. %s\n", strings.Join(h.Example, " "))
	if cc := r.Campaign; cc.Runs > 0 {
		n := float64(max(r.Expected, 1))
		fmt.Fprintf(w, "campaign itself:   %d runs, %d events, %d workflow tasks, %d activities: %.3f events per customer on top\n",
			cc.Runs, cc.Events, cc.WorkflowTasks, cc.Activities, float64(cc.Events)/n)
	}
	fmt.Fprintf(w, "worker:            peak RSS %s; CPU %s in the baseline, %s in the sale\n", mib(r.Worker.PeakRSS), round(r.WorkerCPU.Raw), round(r.WorkerCPU.Sale))
	fmt.Fprintf(w, "dev server:        peak RSS %s; CPU %s in the baseline, %s in the sale\n", mib(r.Server.PeakRSS), round(r.ServerCPU.Raw), round(r.ServerCPU.Sale))
	fmt.Fprintf(w, "machine load:      %.2f of %d cores busy in the baseline (%.2f ours), %.2f in the sale (%.2f ours; PostgreSQL not counted as ours)\n",
		r.Load.RawBusy, runtime.NumCPU(), r.Load.RawOurs, r.Load.SaleBusy, r.Load.SaleOurs)
	fmt.Fprintf(w, "ratio:             campaign done/s ÷ raw accepted/s = %.2f; emails/s ÷ raw completed/s = %.2f (target ≥ 0.80 for both: like against like)\n",
		ratio(x.campaignDone, x.rawAccepted), ratio(x.emails, x.rawCompleted))
	fmt.Fprintf(w, "                   emails/s ÷ raw accepted/s = %.2f; reached/s ÷ raw accepted/s = %.2f\n",
		ratio(x.emails, x.rawAccepted), ratio(x.reached, x.rawAccepted))

	fmt.Fprintf(w, "\nmarkdown row (docs/BENCHMARKS.md):\n")
	fmt.Fprintln(w, "| date | customers | path | raw SWS accepted/s | raw completed/s | reached/s | campaign done/s | emails/s | done ÷ accepted | emails ÷ completed | emails ÷ accepted | p50 | p99 | worker peak RSS | events/customer | duplicates | misses |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %s | %d | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %s | %s | %s | %.1f | %d | %d |\n",
		r.Started.Format("2006-01-02"), r.Customers, r.path(), x.rawAccepted, x.rawCompleted, x.reached, x.campaignDone, x.emails,
		ratio(x.campaignDone, x.rawAccepted), ratio(x.emails, x.rawCompleted), ratio(x.emails, x.rawAccepted),
		seconds(d.P50), seconds(d.P99), mib(r.Worker.PeakRSS), h.Events, d.ExtraEmails, d.Misses)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func failedNote(err string) string {
	if err == "" {
		return ""
	}
	return ", " + err
}

func failedCount(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d FAILED)", n)
}
