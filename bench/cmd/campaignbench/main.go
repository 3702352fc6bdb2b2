package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/tailorhq/tailor/bench/internal/benchcmd"
)

func main() { benchcmd.Main("campaignbench", run) }

const usage = `usage:
  campaignbench gen --customers N --dir DIR
  campaignbench ports N
  campaignbench measure --temporal HOST:PORT --database URL --sink URL --starter PATH --customers N [flags]
run a subcommand with --help for its flags; bench/run.sh runs them all`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("missing subcommand")
	}
	switch args[0] {
	case "gen":
		return runGen(args[1:], stdout, stderr)
	case "ports":
		return runPorts(args[1:], stdout)
	case "measure":
		return runMeasure(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
}

// runPorts prints n distinct free ports. They are free when printed; the caller binds them soon
// after, which is good enough on a benchmark machine.
func runPorts(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("ports: want one argument, how many ports")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("ports: %q is not a positive count", args[0])
	}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("ports: find a free port: %w", err)
		}
		lns = append(lns, ln)
		fmt.Fprintln(stdout, ln.Addr().(*net.TCPAddr).Port)
	}
	return nil
}
