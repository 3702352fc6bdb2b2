package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/simulation"
)

const simulateDetails = `Runs the real CustomerLifecycle workflow, activities, templates and contact policy in Temporal's
time-skipping test environment, against an in-memory catalogue and an email recorder: no Temporal
server, database or mail provider is needed, and a year takes well under a second.

The policy is --config if given, else the scenario's policy block (the same settings as
LIFECYCLE_CONFIG: min_gap, restock_window, season_fallback, quiet_hours, max_per_window,
cap_window), else the defaults; LIFECYCLE_CONFIG is not read, so a scenario's result does not
depend on the environment.
The exit status is 1 when an expectation fails, 2 when the scenario file is wrong.
The format is described in docs/SCENARIOS.md; examples are in examples.`

func runSimulate(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	scenarioPath := fs.String("scenario", "", "scenario `FILE.yaml` (required)")
	outDir := fs.String("out", "", "write each email as <day>-<kind>.html and .txt into `DIR`")
	policyPath := fs.String("config", "", "contact policy `LIFECYCLE.yaml` (like LIFECYCLE_CONFIG), replacing the scenario's policy block")
	asJSON := fs.Bool("json", false, "print the result as JSON (timeline, emails, stage, expectations) instead of the timeline")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	p.require("scenario", "FILE.yaml", *scenarioPath)
	if flagSet(fs, "out") {
		p.require("out", "DIR", *outDir)
	}
	if flagSet(fs, "config") {
		p.require("config", "LIFECYCLE.yaml", *policyPath)
	}
	if err := p.err(); err != nil {
		return err
	}

	var bad []string
	sc, err := simulation.LoadScenario(*scenarioPath)
	if err != nil {
		bad = append(bad, err.Error())
	}
	var policy *lifecycle.Policy
	if *policyPath != "" {
		pol, err := config.LoadPolicy(*policyPath)
		if err != nil {
			bad = append(bad, fmt.Sprintf("--config %s: %v", *policyPath, err))
		}
		policy = &pol
	}
	if len(bad) > 0 {
		return usagef("%s", strings.Join(bad, "\n"))
	}

	res, err := simulation.Run(ctx, sc, simulation.Options{Policy: policy})
	if err != nil {
		return fmt.Errorf("simulate %s: %w", *scenarioPath, err)
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if err := res.WriteTimeline(a.stdout); err != nil {
		return err
	}
	if *outDir != "" {
		paths, err := res.WriteEmails(*outDir)
		if err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintf(a.stdout, "\nwrote %d files to %s\n", len(paths), *outDir)
		}
	}
	if failures := res.Failures(); len(failures) > 0 {
		return fmt.Errorf("%d expectation(s) failed:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	return nil
}
