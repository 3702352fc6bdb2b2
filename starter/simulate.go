package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/simulation"
	"github.com/tailorhq/tailor/internal/store"
)

const simulateDetails = `Runs the real CustomerLifecycle workflow, activities, templates and contact policy in Temporal's
time-skipping test environment, against an in-memory catalogue and an email recorder: no Temporal
server, database (except to read the customer with --from-db) or mail provider is needed, and a
year takes well under a second.

--from-db ID reads customer ID (name, email, locale, time zone, consent) and their stored
preferences from DATABASE_URL instead of the scenario's customer block, which may then be left
out (if it is there, the database wins and the output says so). The database is only read, once,
before the simulation starts, and never written: the simulation runs against the in-memory
catalogue as always. The catalogue still comes from the scenario file; a scenario without a
catalogue block gets the database's products in stock.

The policy is --config if given, else the scenario's policy block (the same settings as
LIFECYCLE_CONFIG: min_gap, restock_window, season_fallback, quiet_hours, max_per_window,
cap_window), else the defaults; LIFECYCLE_CONFIG is not read, so a scenario's result does not
depend on the environment.
The exit status is 1 when an expectation fails or --from-db cannot read the customer, 2 when the
command line or the scenario file is wrong.
The format is described in docs/SCENARIOS.md; examples are in examples.`

func runSimulate(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	scenarioPath := fs.String("scenario", "", "scenario `FILE.yaml` (required)")
	outDir := fs.String("out", "", "write each email as <day>-<kind>.html and .txt into `DIR`")
	policyPath := fs.String("config", "", "contact policy `LIFECYCLE.yaml` (like LIFECYCLE_CONFIG), replacing the scenario's policy block")
	asJSON := fs.Bool("json", false, "print the result as JSON (timeline, emails, stage, expectations) instead of the timeline")
	fromDB := fs.String("from-db", "", "read customer `ID` and their preferences from DATABASE_URL (read-only) instead of the scenario's customer block")
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
	if flagSet(fs, "from-db") {
		p.require("from-db", "ID", *fromDB)
		p.id("from-db", *fromDB)
	}
	if err := p.err(); err != nil {
		return err
	}

	var bad []string
	raw, err := os.ReadFile(*scenarioPath)
	if err != nil {
		bad = append(bad, fmt.Sprintf("read scenario: %v", err))
	}
	var policy *lifecycle.Policy
	if *policyPath != "" {
		pol, err := config.LoadPolicy(*policyPath)
		if err != nil {
			bad = append(bad, fmt.Sprintf("--config %s: %v", *policyPath, err))
		}
		policy = &pol
	}
	var db *simulation.FromDB
	if *fromDB != "" {
		if len(bad) > 0 {
			return usagef("%s", strings.Join(bad, "\n"))
		}
		// Read before parsing: the customer's time zone places the events' local times, and a
		// scenario without a catalogue takes the database's products.
		if db, err = a.readFromDB(ctx, strings.TrimSpace(*fromDB), !simulation.DeclaresCatalogue(raw)); err != nil {
			return err
		}
	}
	var sc *simulation.Scenario
	if raw != nil {
		if sc, err = simulation.ParseScenarioFrom(raw, *scenarioPath, db); err != nil {
			bad = append(bad, err.Error())
		}
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

// readFromDB reads customer id, their preferences and, when products is true, every product from
// DATABASE_URL: it opens its own connection, only reads, and closes it before the simulation runs.
// It does not use the app's configuration, which would read LIFECYCLE_CONFIG.
func (a *app) readFromDB(ctx context.Context, id string, products bool) (*simulation.FromDB, error) {
	dbURL := strings.TrimSpace(a.getenv("DATABASE_URL"))
	if dbURL == "" {
		dbURL = config.DefaultDatabaseURL
	}
	where := describeDatabase(dbURL)
	openCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	st, err := store.Open(openCtx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("--from-db %s: cannot reach PostgreSQL at %s (DATABASE_URL): start PostgreSQL or set DATABASE_URL: %w", id, where, err)
	}
	defer st.Close()
	readCtx, cancelRead := context.WithTimeout(ctx, connectTimeout)
	defer cancelRead()
	db, err := simulation.ReadFromDB(readCtx, st, id, where, products)
	if err != nil {
		return nil, explainStoreError(err)
	}
	return db, nil
}
