package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tailorhq/tailor/bench/internal/benchcmd"

	"github.com/tailorhq/tailor/internal/lifecycleclient"
)

func main() { benchcmd.Main("memorybench", run) }

const usage = `usage:
  memorybench open --temporal HOST:PORT --customers FILE --metrics URL --worker-pid PID [flags]
run it with --help for its flags; bench/memory.sh starts everything it needs`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("missing subcommand")
	}
	switch args[0] {
	case "open":
		return runOpen(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
}

// openConfig is what `memorybench open` was asked to do.
type openConfig struct {
	temporal    string
	namespace   string
	customers   string
	count       int
	checkpoints []int
	concurrency int
	metricsURL  string
	workerPID   int
	serverPID   int
	cacheSize   string // as the worker was given it, for the report only
	settle      time.Duration
	stall       time.Duration
	outDir      string
}

func runOpen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg openConfig
	var checkpoints string
	fs := flag.NewFlagSet("open", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.temporal, "temporal", "", "Temporal frontend `HOST:PORT` (required)")
	fs.StringVar(&cfg.namespace, "namespace", "default", "Temporal `namespace`")
	fs.StringVar(&cfg.customers, "customers", "", "customers CSV `file`; the first column is the id (required)")
	fs.IntVar(&cfg.count, "count", 0, "workflows to open (default: every customer in the file)")
	fs.StringVar(&checkpoints, "checkpoints", "", "comma-separated open-workflow counts to stop and sample at (default: a tenth, half and all of --count)")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "SignalWithStarts in flight")
	fs.StringVar(&cfg.metricsURL, "metrics", "", "`URL` of the worker's /metrics (required)")
	fs.IntVar(&cfg.workerPID, "worker-pid", 0, "`pid` of the worker (required)")
	fs.IntVar(&cfg.serverPID, "server-pid", 0, "`pid` of the dev server, for its RSS (optional)")
	fs.StringVar(&cfg.cacheSize, "cache-size", "", "the worker's WORKFLOW_CACHE_SIZE, for the report (empty: its default)")
	fs.DurationVar(&cfg.settle, "settle", time.Minute, "after the last checkpoint, wait this long and sample again")
	fs.DurationVar(&cfg.stall, "stall", 3*time.Minute, "give up when the worker handles nothing for this long")
	fs.StringVar(&cfg.outDir, "out", ".", "`folder` for samples.csv and results.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.temporal == "" || cfg.customers == "" || cfg.metricsURL == "" || cfg.workerPID == 0 {
		return errors.New("open: --temporal, --customers, --metrics and --worker-pid are required")
	}
	if cfg.concurrency < 1 {
		return errors.New("open: --concurrency must be at least 1")
	}
	ids, err := readCustomerIDs(cfg.customers)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	switch {
	case cfg.count < 0:
		return fmt.Errorf("open: --count %d: want a positive number of workflows", cfg.count)
	case cfg.count == 0:
		cfg.count = len(ids)
	case cfg.count > len(ids):
		return fmt.Errorf("open: --count %d, but %s has only %d customers", cfg.count, cfg.customers, len(ids))
	}
	if cfg.count == 0 {
		return fmt.Errorf("open: %s has no customers", cfg.customers)
	}
	if cfg.checkpoints, err = parseCheckpoints(checkpoints, cfg.count); err != nil {
		return fmt.Errorf("open: %w", err)
	}

	c, err := benchcmd.DialTemporal(cfg.temporal, cfg.namespace)
	if err != nil {
		return err
	}
	defer c.Close()

	b := &bench{cfg: cfg, temporal: c, lifecycle: lifecycleclient.New(c), ids: ids[:cfg.count], progress: stderr}
	res, err := b.run(ctx)
	if werr := writeResults(cfg.outDir, res); werr != nil {
		err = errors.Join(err, werr)
	}
	if err != nil {
		return err
	}
	report(stdout, cfg, res)
	return nil
}

// readCustomerIDs reads the first column of a customers CSV, skipping its header. The ids the
// benchmark generates hold no commas or quotes.
func readCustomerIDs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		id, _, _ := strings.Cut(sc.Text(), ",")
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ids, nil
}

// parseCheckpoints reads "10000,50000,100000"; empty means a tenth, half and all of count. The
// result is ascending, without duplicates, and ends at count.
func parseCheckpoints(s string, count int) ([]int, error) {
	var cps []int
	if strings.TrimSpace(s) == "" {
		cps = []int{count / 10, count / 2, count}
	} else {
		for f := range strings.SplitSeq(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > count {
				return nil, fmt.Errorf("checkpoint %q: want a whole number from 1 to --count (%d)", f, count)
			}
			cps = append(cps, n)
		}
	}
	cps = slices.DeleteFunc(cps, func(n int) bool { return n < 1 })
	cps = append(cps, count)
	slices.Sort(cps)
	return slices.Compact(cps), nil
}
