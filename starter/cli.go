package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Exit statuses of the starter.
const (
	exitOK      = 0
	exitFailed  = 1 // the command ran and failed
	exitUsage   = 2 // the command line is wrong
	programName = "starter"
)

// command is one subcommand of the starter.
type command struct {
	name    string
	usage   string // the arguments after `starter <name>`
	summary string
	details string // more help, shown by `starter <name> --help`
	run     func(ctx context.Context, a *app, c command, args []string) error
}

// commands lists the subcommands in the order `starter help` shows them.
var commands = []command{
	{"setup", "", "apply the database migrations, register the search attributes CustomerId, LifecycleStage, CampaignState and Segment, and create the schedule segments-nightly; warn of Campaign or SegmentRecompute runs left on the customers' task queue; safe to repeat", "", runSetup},
	{"import", "[--no-restock] [--concurrency N] [--history-older-than AGE] customers|products|orders|usage FILE.csv", "import customers, products, orders or meter readings from a CSV file; a bad row stops the whole file", `Customers CSV header: id,name,email,locale,timezone,colors,sizes (optional: categories,consent).
Products CSV header:  sku,product,name,category,color,size,price,stock,collections.
Orders CSV header:    order_id,customer_id,sku,ordered_at (optional: price,wanted_color,wanted_size).
Usage CSV header:     customer_id,metric,used,limit,read_at (optional: contract_ends).
Lists are separated by ";". Every bad row is reported with its line number and nothing from the
file is written; importing again updates the rows already there.
A products import that brings a SKU back in stock (from 0 to more) starts its restock campaign,
as starter restock does, once the file is imported; --no-restock starts none.
Orders and readings go through the event layer: the whole file is checked first (bad rows,
unknown customers and SKUs, an order id used before for another customer), then each order line
(purchase id <order_id>:<sku>) or reading is recorded once with the signal it owes, 250 rows per
transaction, and each batch's workflows are told, --concurrency at a time, while the next are
recorded, with a progress bar; a second import of the same file tells nothing. Should the database
fail in the middle, the rows before stay recorded and their workflows told: import the file again
for the rest. An order older than
--history-older-than is history: it teaches preferences, opens its wish and counts in segments, but
its workflow is not told, so no follow-up is sent late. price (what the customer paid for the line,
else the product's price counts) and wanted_size are kept with the purchase.`, runImport},
	{"purchase", "--customer ID --sku SKU [--wanted-color COLOR] [--id PURCHASE_ID]", "record a purchase, optionally with the colour the customer wanted instead", "", runPurchase},
	{"restock", "--sku SKU --quantity N" + campaignUsage, "add stock and start a campaign telling the customers whose open wish it fulfils", campaignDetails, runRestock},
	{"sale", "--category CAT --discount PCT [--until YYYY-MM-DD]" + campaignUsage, "start a campaign announcing a sale to the customers who bought or like the category", campaignDetails, runSale},
	{"season", "--collection NAME" + campaignUsage, "start a campaign announcing a seasonal collection to every customer who bought something", campaignDetails, runSeason},
	{"campaign", "list | status ID | cancel ID [--recall]", "list the campaigns, show one's progress and emails, or cancel one", campaignCommandDetails, runCampaign},
	{"unsubscribe", "--customer ID", "withdraw a customer's marketing consent and stop their follow-ups", "", runUnsubscribe},
	{"consent", "--customer ID --grant|--withdraw [--source SOURCE]", "record a customer's marketing consent (or its withdrawal) and tell their workflow", "", runConsent},
	{"note", "--customer ID --kind referral|exit|complaint [--text TEXT] [--id NOTE_ID]", "record what a customer stated: a referral, that they leave, or a complaint (which also goes to their workflow)", noteDetails, runNote},
	{"usage", "--customer ID --metric NAME --used X --limit Y [--at TIME] [--contract-ends YYYY-MM-DD]", "send a meter reading of a metered product (e.g. data_mb) to the customer's workflow", usageDetails, runUsage},
	{"segments", "[list] | recompute [--wait] [--page-size N]", "show customers per value segment, or recompute every customer's segment now", segmentsDetails, runSegments},
	{"explain", "--customer ID", "say why the customer's last follow-ups did or did not go out, and what waits for what", "", runExplain},
	{"tasks", "[--json] [--all] [list | show ID | done ID]", "list the hand-offs to the shop (accepted offers, unhappy check-ins), show one, or mark one done", tasksDetails, runTasks},
	{"forget", "--customer ID [--yes] [--json]", "erase a customer for good: personal data out of PostgreSQL (reports keep anonymous counts), workflow terminated, Temporal histories made unreadable", forgetDetails, runForget},
	{"status", "--customer ID [--json]", "show a customer's lifecycle: stage, segment, usage and moments of truth, wishes, pending follow-ups, emails, decisions", "", runStatus},
	{"preview", previewUsage + " [--out DIR] [--png]", "render the email a customer would get now (subject, headers, text; HTML and pictures with --out), changing nothing", previewDetails + previewOutDetails, runPreview},
	{"test-send", "--to ADDRESS " + previewUsage, "send that rendering to any address through the worker's mailer, \"[test]\" in the subject, touching no send log, workflow or report", previewDetails + testSendDetails, runTestSend},
	{"export", "--customer ID [--out FILE]", "write everything held about a customer, in PostgreSQL and in their workflow's state, as one JSON document (GDPR art. 15)", exportDetails, runExport},
	{"keys", "[status | rewrap] [--json]", "show which master key wraps the customers' data keys, or rewrap them all with the encrypting key so an old master key can retire", keysDetails, runKeys},
	{"outbox", "[--customer ID]", "list the emails kept in the local outbox (when SENDGRID_API_KEY is not set)", "", runOutbox},
	{"report", "[--since D] [--until D] [--by kind|campaign|segment|behaviour] [--json] [--html FILE]", "what the follow-ups earned: emails, opens, clicks, offers accepted, conversions and revenue against the holdout, lift with a 95% interval", reportDetails, runReport},
	{"simulate", "--scenario FILE.yaml [--from-db ID] [--out DIR] [--config LIFECYCLE.yaml] [--json]", "run a scenario of one customer's year through the real workflow in seconds, offline, and check its expectations", simulateDetails, runSimulate},
}

const campaignUsage = " [--wait] [--dry-run] [--again] [--concurrency N] [--rate N]"

const campaignDetails = `A campaign is a workflow (ID campaign/<kind>/<trigger>) that pages through the customers
concerned and signals each one's workflow once; the customers' workflows decide when to email under
the contact policy. Running the same trigger again reports the existing campaign and starts nothing,
unless --again. Without --wait the command returns once the campaign started.`

const campaignCommandDetails = `list: every campaign with its state (running, done, cancelled), customers reached and holdout
(its own --holdout, or the policy's for its kind).
status ID: its progress (live from the progress query when a worker runs) and its follow-ups:
emailed and failed (the send log), deferred by the contact policy and skipped by reason (what the
customers' workflows recorded), and not decided yet (in flight).
cancel ID: stops further pages and signals. Customers already reached keep their follow-ups.
cancel ID --recall: also takes the campaign back from every customer it reached (sale and season
campaigns): their workflows drop its follow-up still waiting (e.g. deferred by min_gap; reason
recalled); the summary counts those recalled and those already sent.`

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func (c command) usageLine() string {
	return strings.TrimSpace(programName + " " + c.name + " " + c.usage)
}

// run is the whole starter: it runs the subcommand named by args[0] and returns the exit status.
// Connections are opened only by the commands that need them.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now}
	defer a.close()
	return a.main(ctx, args)
}

func (a *app) main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.printHelp(a.stdout)
		return exitOK
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := findCommand(args[1]); ok {
				a.printCommandHelp(c, newFlags(c.name), a.stdout)
				return exitOK
			}
		}
		a.printHelp(a.stdout)
		return exitOK
	}
	c, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(a.stderr, "%s: unknown command %q\nrun `%s help` to list the commands\n", programName, name, programName)
		return exitUsage
	}
	err := c.run(ctx, a, c, args[1:])
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelpShown):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(a.stderr, "%s %s: %s\nusage: %s\nrun `%s %s --help` for details\n",
			programName, c.name, usage.msg, c.usageLine(), programName, c.name)
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "%s %s: %v\n", programName, c.name, err)
		return exitFailed
	}
}

func (a *app) printHelp(w io.Writer) {
	fmt.Fprintf(w, "%s drives Tailor's customer lifecycles: it records shop events and shows what each customer's workflow decided.\n\n", programName)
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\ncommands:\n", programName)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nrun `%s <command> --help` for a command's flags.\n\nenvironment:\n", programName)
	_ = config.WriteEnvironment(w, config.ForStarter)
}

func (a *app) printCommandHelp(c command, fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s.\n", c.usageLine(), upperFirst(c.summary))
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", c.details)
	}
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintf(w, "\nflags:\n")
			first = false
		}
		placeholder, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  %s\n    \t%s\n", strings.TrimSpace("--"+f.Name+" "+placeholder), usage)
	})
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errHelpShown ends a command after its --help was printed: exit status 0.
var errHelpShown = errors.New("help shown")

// usageError is a mistake on the command line: exit status 2 with the command's usage line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// newFlags returns a silent flag set: parse errors and help are printed by parseFlags.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(programName+" "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args for command c. It returns errHelpShown after printing the help for
// --help, and a usageError for unknown flags, bad values or, unless positional allows them,
// leftover arguments. It returns the positional arguments.
func (a *app) parseFlags(c command, fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printCommandHelp(c, fs, a.stdout)
			return nil, errHelpShown
		}
		// The flag package names flags with one dash; the usage line shows two. Both work.
		return nil, usagef("%s", strings.Replace(err.Error(), " -", " --", 1))
	}
	rest := fs.Args()
	// Allow flags after positional arguments too (`import customers x.csv --help`).
	for _, arg := range rest {
		if arg == "-h" || arg == "-help" || arg == "--help" {
			a.printCommandHelp(c, fs, a.stdout)
			return nil, errHelpShown
		}
	}
	if len(rest) > positional {
		return nil, usagef("unexpected argument %q", rest[positional])
	}
	return rest, nil
}

// parseCustomerFlags declares the required --customer flag (described by usage) on the command's
// flags, parses args, and reports what is missing or wrong with --customer together with what
// check (if not nil) finds in the other flags, all at once. It returns the customer's id.
func (a *app) parseCustomerFlags(c command, fs *flag.FlagSet, args []string, usage string, check func(*problems)) (string, error) {
	customerID := fs.String("customer", "", usage)
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return "", err
	}
	var p problems
	p.require("customer", "ID", *customerID)
	p.id("customer", *customerID)
	if check != nil {
		check(&p)
	}
	return *customerID, p.err()
}

// problems collects every mistake on a command line so that one run reports them all.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p *problems) require(flagName, placeholder, value string) {
	if strings.TrimSpace(value) == "" {
		p.addf("missing --%s %s", flagName, placeholder)
	}
}

// id adds what is wrong with the id given as --flagName (lifecycle.ValidateID: no "/", no control
// characters, no space at either end, at most 128 bytes). An empty value is left to require.
func (p *problems) id(flagName, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	if err := lifecycle.ValidateID("--"+flagName, value); err != nil {
		p.addf("%v", err)
	}
}

// line adds what is wrong with the one-line text given as --flagName (lifecycle.CheckLine).
func (p *problems) line(flagName, value string, max int) {
	if err := lifecycle.CheckLine("--"+flagName, value, max); err != nil {
		p.addf("%v", err)
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return usagef("%s", strings.Join(p, "; "))
}

// flagSet reports whether the flag called name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
