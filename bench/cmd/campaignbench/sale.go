package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// saleRun is what happened when the starter triggered the sale.
type saleRun struct {
	Args        []string      `json:"args"`
	Trigger     time.Time     `json:"trigger"`
	StarterTook time.Duration `json:"starter_took_ns"`
	StarterErr  string        `json:"starter_error,omitempty"`
	Sent        int64         `json:"sent"` // send_log rows with status sent when the wait ended
	Logged      int64         `json:"logged"`
	GaveUp      string        `json:"gave_up,omitempty"`
}

type saleOptions struct {
	starter     string
	concurrency int
	rate        float64 // passed as --rate when more than 0
	category    string
	discount    int
	expected    int64
	stall       time.Duration // give up when the send log has not moved for this long
	settle      time.Duration // keep watching this long after the last expected email, for duplicates
	outDir      string
}

// runSale triggers the sale and waits until the send log holds an email for every expected
// customer (and the starter has returned), then watches o.settle longer for late duplicates.
func runSale(ctx context.Context, o saleOptions, db *pgxpool.Pool, progress io.Writer) (saleRun, error) {
	r := saleRun{Args: []string{"sale", "--category", o.category, "--discount", fmt.Sprint(o.discount),
		"--wait", "--concurrency", fmt.Sprint(o.concurrency)}}
	if o.rate > 0 {
		r.Args = append(r.Args, "--rate", fmt.Sprint(o.rate))
	}
	started, err := startStarter(ctx, o.starter, r.Args, filepath.Join(o.outDir, "starter-sale.log"), "sale", progress)
	if err != nil {
		return r, err
	}
	defer started.close()
	r.Trigger = started.trigger
	exited, cancel := started.exited, started.cancel

	var (
		starterDone bool
		lastSent    int64 = -1
		moved             = time.Now()
		shown             = time.Now()
		doneAt      time.Time
	)
	for {
		select {
		case err := <-exited:
			starterDone = true
			r.StarterTook = time.Since(r.Trigger)
			if err != nil {
				r.StarterErr = err.Error()
			}
			fmt.Fprintf(progress, "sale: starter returned after %s (%v)\n", round(r.StarterTook), errOrOK(err))
			exited = nil
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(pollEvery):
		}
		if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FROM send_log`).Scan(&r.Sent, &r.Logged); err != nil {
			return r, fmt.Errorf("count the send log: %w", err)
		}
		if r.Sent != lastSent {
			lastSent, moved = r.Sent, time.Now()
		}
		if time.Since(shown) >= 5*time.Second {
			fmt.Fprintf(progress, "sale: %s after the trigger, %d/%d emails sent\n", round(time.Since(r.Trigger)), r.Sent, o.expected)
			shown = time.Now()
		}
		switch {
		case r.Sent >= o.expected && starterDone:
			if doneAt.IsZero() {
				doneAt = time.Now()
			}
			if time.Since(doneAt) >= o.settle {
				return r, nil
			}
		case time.Since(moved) > o.stall:
			r.GaveUp = fmt.Sprintf("the send log stayed at %d of %d for %s", r.Sent, o.expected, o.stall)
			if !starterDone {
				r.GaveUp += "; the starter was still running and was stopped"
				cancel()
				<-exited
			}
			return r, nil
		}
	}
}

func errOrOK(err error) string {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &exit):
		return fmt.Sprintf("exit status %d", exit.ExitCode())
	default:
		return err.Error()
	}
}
