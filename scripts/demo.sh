#!/usr/bin/env bash
# The README's first command: Tailor's founding story, end to end, on this machine.
#
#   scripts/demo.sh          # (or: scripts/demo.sh up) build, start everything, walk the story
#   scripts/demo.sh telecom  # the same stack, then the telecom story: the moment of truth
#   scripts/demo.sh report   # the same stack, then what a sale earned, against a holdout
#   scripts/demo.sh down     # stop the worker and the dev server this script started
#   scripts/demo.sh --help
#
# Needs Go and PostgreSQL (started or installed when missing, see scripts/lib.sh); no Docker.
# It builds the pinned Temporal CLI, worker and starter into .bin/, creates the database
# "tailor", starts the Temporal dev server with its UI (ports 7233 and 8233) and the worker in the
# background (pids and logs in .run/), imports examples/demo/*.csv and plays the story with the
# compressed policy of examples/demo/lifecycle.yaml. Emails land in outbox/ unless
# SENDGRID_API_KEY is set. Running it again reuses what is running and plays the story again.

set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

BIN_DIR=".bin"
RUN_DIR=".run"
TEMPORAL_PORT=7233
UI_PORT=8233
TEMPORAL_WAIT_SECONDS=60
WORKER_WAIT_SECONDS=30
TEMPORAL_PID="$RUN_DIR/temporal.pid"
TEMPORAL_LOG="$RUN_DIR/temporal.log"
WORKER_PID="$RUN_DIR/worker.pid"
WORKER_LOG="$RUN_DIR/worker.log"
DEFAULT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/tailor?sslmode=disable"

# The story's cast, from examples/demo/products.csv and examples/demo/customers.csv.
STORY_TEMPLATE_CUSTOMER="david"
BOUGHT_SKU="TR-CLASSIC-BLUE-50"
WANTED_SKU="TR-CLASSIC-GREY-50"
WANTED_COLOR="grey"
SALE_CATEGORY="trousers"
SALE_DISCOUNT=20

# The report story: simulated customers of a linen sale with a holdout, and a known true effect.
REPORT_CUSTOMERS=600
REPORT_HOLDOUT=50
REPORT_EMAILED_PCT=12
REPORT_HELD_OUT_PCT=6
REPORT_SALE_ID="sale/linen/open-20"
REPORT_SKU="LN-SHIRT-WHITE-M"

usage() {
	cat <<EOF
usage: scripts/demo.sh [up|telecom|report|down|--help]

  up (default)  Build Tailor and the pinned Temporal CLI into $BIN_DIR/, create the database, start
                the Temporal dev server with its UI (localhost:$TEMPORAL_PORT, http://localhost:$UI_PORT)
                and the worker in the background, import examples/demo/*.csv and walk through the
                tailor story: a purchase with a wish, a restock, a sale, a seasonal selection.
                Takes about 1.5 minutes after the first build. Safe to run again.
  telecom       The same stack, then the second story: two telecom customers reach 80% of their data
                bundle; the cost-conscious one gets an offer and accepts it in one click, the heavy
                user gets none until a complaint makes him a churn risk; then the usage phase (tips,
                a check-in answered "not quite", service contact) and a segment recompute.
  report        The same stack, then what a sale earns: $REPORT_CUSTOMERS simulated customers, a linen sale
                with --holdout $REPORT_HOLDOUT, purchases drawn with a known true effect ($REPORT_EMAILED_PCT% of the emailed
                buy, $REPORT_HELD_OUT_PCT% of the held out, a fixed seed) imported as orders, and starter report
                showing the lift's 95% interval holding the true lift; the HTML report in $RUN_DIR/.
  down          Stop the worker and the dev server this script started (pid files in $RUN_DIR/).
                The database, the workflow histories ($RUN_DIR/temporal.db) and outbox/ stay.

environment:
  DATABASE_URL      app database (default $DEFAULT_DATABASE_URL);
                    the database is created when missing
  PGPASSWORD        password for it, if the URL has none and the server wants one
  SENDGRID_API_KEY  send the story's emails through SendGrid instead of the local outbox/
                    (SENDGRID_BASE_URL and MAIL_FROM as for the worker)
  HTTP_ADDR, OPS_ADDR, PUBLIC_BASE_URL, LINK_SECRET
                    as for the worker; without LINK_SECRET the demo makes one with /dev/urandom
                    and keeps it in $RUN_DIR/link-secret

The demo always uses the dev server on localhost:$TEMPORAL_PORT (namespace default) and the policy
in examples/demo/lifecycle.yaml, whatever TEMPORAL_ADDRESS and LIFECYCLE_CONFIG say.
Logs: $WORKER_LOG and $TEMPORAL_LOG.
EOF
}

# --- processes ---------------------------------------------------------------------------------

# pid_from prints the pid in pid file $1 when that process is alive.
pid_from() {
	local pid
	[[ -f "$1" ]] || return 1
	pid="$(<"$1")"
	[[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	printf '%s' "$pid"
}

# stop_process stops the process of pid file $2, checking its command line mentions $3 so that
# a recycled pid is never killed.
stop_process() {
	local what="$1" pidfile="$2" expect="$3" pid args waited=0
	if ! pid="$(pid_from "$pidfile")"; then
		note "no $what started by this script is running"
		rm -f "$pidfile"
		return 0
	fi
	args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
	if [[ "$args" != *"$expect"* ]]; then
		note "pid $pid in $pidfile is not the $what any more ($args); leaving it alone"
		rm -f "$pidfile"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do
		if ((waited >= 15)); then
			note "the $what (pid $pid) did not stop within 15s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	rm -f "$pidfile"
	note "stopped the $what (pid $pid)"
}

# LOGS lists the logs worth showing when the demo fails; filled in as services start.
LOGS=()
LOGS_SHOWN=false

show_logs() {
	local log
	LOGS_SHOWN=true
	for log in "${LOGS[@]}"; do
		[[ -s "$log" ]] || continue
		printf '\n    last lines of %s:\n' "$log" >&2
		tail -n 15 "$log" | sed 's/^/      /' >&2
	done
}

# fail shows the logs, then dies with a message naming them.
fail() {
	show_logs
	local logs
	logs="$(printf '%s and ' "${LOGS[@]}")"
	die "$*; read ${logs% and }"
}

on_exit() {
	local rc=$?
	if ((rc != 0 && rc != 130)) && ! $LOGS_SHOWN && ((${#LOGS[@]} > 0)); then
		show_logs
		printf 'the demo stopped; the lines above are from %s\n' "${LOGS[*]}" >&2
	fi
}

# --- Temporal ----------------------------------------------------------------------------------

temporal_answers() {
	"$BIN_DIR/temporal" operator cluster health --address "localhost:$TEMPORAL_PORT" \
		--client-connect-timeout 3s >/dev/null 2>&1
}

port_taken() {
	(: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_temporal() {
	local pid waited=0
	LOGS+=("$TEMPORAL_LOG")
	if temporal_answers; then
		if pid="$(pid_from "$TEMPORAL_PID")"; then
			note "reusing the dev server this script started before (pid $pid) on localhost:$TEMPORAL_PORT"
		else
			note "a Temporal server already answers on localhost:$TEMPORAL_PORT, not started by this script: using it"
			note "(its UI may not be on port $UI_PORT, and scripts/demo.sh down will not stop it)"
		fi
		return 0
	fi
	if port_taken "$TEMPORAL_PORT"; then
		die "port $TEMPORAL_PORT is taken by something that is not a Temporal server; stop it and run again"
	fi
	if port_taken "$UI_PORT"; then
		die "port $UI_PORT (the Temporal UI) is taken; stop whatever listens there and run again"
	fi
	mkdir -p "$RUN_DIR"
	: >"$TEMPORAL_LOG"
	note "starting the Temporal dev server on localhost:$TEMPORAL_PORT, UI on http://localhost:$UI_PORT"
	note "(history in $RUN_DIR/temporal.db, log in $TEMPORAL_LOG)"
	nohup "$BIN_DIR/temporal" server start-dev \
		--db-filename "$RUN_DIR/temporal.db" \
		--port "$TEMPORAL_PORT" --ui-port "$UI_PORT" \
		--search-attribute CustomerId=Keyword --search-attribute LifecycleStage=Keyword --search-attribute CampaignState=Keyword --search-attribute Segment=Keyword \
		--log-level warn >>"$TEMPORAL_LOG" 2>&1 </dev/null &
	echo $! >"$TEMPORAL_PID"
	printf '    waiting for it to answer '
	until temporal_answers; do
		if ! kill -0 "$(<"$TEMPORAL_PID")" 2>/dev/null; then
			printf '\n'
			fail "the Temporal dev server exited"
		fi
		if ((waited >= TEMPORAL_WAIT_SECONDS)); then
			printf '\n'
			fail "the Temporal dev server did not answer within ${TEMPORAL_WAIT_SECONDS}s"
		fi
		printf '.'
		sleep 1
		waited=$((waited + 1))
	done
	printf ' up after %ss\n' "$waited"
}

# --- database ----------------------------------------------------------------------------------

# setup_database creates the database of DATABASE_URL on its server when missing, then checks
# that the URL logs in, and exports it for the worker and the starter.
setup_database() {
	local url="${DATABASE_URL:-$DEFAULT_DATABASE_URL}" name admin exists err
	export DATABASE_URL="$url"
	# postgres://user:password@host:port/NAME?options; the server's "postgres" database is where
	# CREATE DATABASE runs.
	if [[ ! "$url" =~ ^(postgres(ql)?://[^/?]*)/([^/?]+)(\?.*)?$ ]]; then
		note "DATABASE_URL is not a postgres://host/NAME URL; not creating its database"
		ensure_database_access "$url"
		return 0
	fi
	name="${BASH_REMATCH[3]}"
	admin="${BASH_REMATCH[1]}/postgres${BASH_REMATCH[4]}"
	command -v psql >/dev/null 2>&1 || die "psql is not on PATH; install the PostgreSQL client, or create database $name yourself"
	ensure_database_access "$admin"
	exists="$(psql "$admin" -XtA -v name="$name" <<<"select 1 from pg_database where datname = :'name'")" ||
		die "cannot look up database $name on $(redact_url "$admin")"
	if [[ "$exists" == "1" ]]; then
		note "database $name exists"
	else
		err="$(psql "$admin" -Xq -v ON_ERROR_STOP=1 -v name="$name" <<<'create database :"name"' 2>&1)" ||
			die "cannot create database $name on $(redact_url "$admin"): $err"
		note "created database $name"
	fi
	ensure_database_access "$url"
}

# --- worker ------------------------------------------------------------------------------------

start_worker() {
	local pid waited=0
	LOGS+=("$WORKER_LOG")
	if pid="$(pid_from "$WORKER_PID")"; then
		note "restarting the worker of an earlier run (pid $pid), so it runs the binary just built"
		stop_process worker "$WORKER_PID" "$BIN_DIR/worker"
	fi
	if [[ -z "${OPS_ADDR:-}" ]] && port_taken 9090; then
		note "port 9090 (the worker's operator endpoints, /metrics) is taken: starting the worker with OPS_ADDR=off"
		export OPS_ADDR=off
	fi
	mkdir -p "$RUN_DIR"
	: >"$WORKER_LOG"
	nohup "$BIN_DIR/worker" >>"$WORKER_LOG" 2>&1 </dev/null &
	echo $! >"$WORKER_PID"
	printf '    starting the worker (log in %s) ' "$WORKER_LOG"
	until grep -q '"msg":"connected"' "$WORKER_LOG" 2>/dev/null; do
		if ! kill -0 "$(<"$WORKER_PID")" 2>/dev/null; then
			printf '\n'
			fail "the worker exited"
		fi
		if ((waited >= WORKER_WAIT_SECONDS)); then
			printf '\n'
			fail "the worker did not connect within ${WORKER_WAIT_SECONDS}s"
		fi
		printf '.'
		sleep 1
		waited=$((waited + 1))
	done
	printf ' running (pid %s)\n' "$(<"$WORKER_PID")"
	if [[ "${OPS_ADDR:-}" != off ]]; then
		note "operators only: /metrics and a detailed /healthz at http://${OPS_ADDR:-127.0.0.1:9090} (OPS_ADDR)"
	fi
}

# ensure_link_secret exports LINK_SECRET, which signs the links in the emails: the caller's own,
# or one made once and kept in $RUN_DIR/ so links in earlier demo emails keep working.
ensure_link_secret() {
	local file="$RUN_DIR/link-secret"
	if [[ -n "${LINK_SECRET:-}" ]]; then
		return 0
	fi
	mkdir -p "$RUN_DIR"
	if [[ ! -s "$file" ]]; then
		(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file") ||
			die "cannot make a link secret in $file"
		note "made a link secret for the demo in $file"
	fi
	LINK_SECRET="$(<"$file")"
	export LINK_SECRET
}

worker_alive() {
	pid_from "$WORKER_PID" >/dev/null
}

# --- the story ---------------------------------------------------------------------------------

# say narrates the story in plain words, one argument a line.
say() {
	printf '\n'
	printf '  %s\n' "$@"
}

# starter runs the starter, showing the command as a person would type it and its output.
starter() {
	printf '    $ starter %s\n' "$*"
	"$BIN_DIR/starter" "$@" 2>&1 | sed 's/^/      /'
}

status_json() {
	"$BIN_DIR/starter" status --customer "$CUSTOMER" --json 2>/dev/null
}

# json_has SECTIONS TEXT reports whether the status JSON on stdin has TEXT inside one of the
# top-level fields SECTIONS (a|b); the starter prints it indented by two spaces per level.
json_has() {
	awk -v sections="$1" -v text="$2" '
		/^  "[a-z_]+":/ { split($0, f, "\""); current = f[2] }
		current ~ ("^(" sections ")$") && index($0, text) { found = 1 }
		END { exit !found }'
}

# refusal KIND prints why a follow-up of KIND was dropped, skipped or failed, if it was.
refusal() {
	awk -v kind="$1" '
		/^  "[a-z_]+":/ { split($0, f, "\""); current = f[2] }
		current != "decisions" { next }
		/^    \{/ { k = ""; outcome = ""; reason = "" }
		/^      "kind":/ { split($0, f, "\""); k = f[4] }
		/^      "outcome":/ { split($0, f, "\""); outcome = f[4] }
		/^      "reason":/ { sub(/^      "reason": "/, ""); sub(/",?$/, ""); reason = $0 }
		/^    \}/ && k == kind && (outcome == "dropped" || outcome == "skipped" || outcome == "failed") {
			print outcome ": " reason; found = 1
		}
		END { exit !found }'
}

# wait_until DESCRIPTION TIMEOUT SECTIONS TEXT [KIND] polls the customer's status, a dot a
# second, until one of SECTIONS (a|b) holds TEXT; it fails early when the worker dies or a KIND
# follow-up is refused.
wait_until() {
	local what="$1" timeout="$2" sections="$3" text="$4" kind="${5:-}" json why start=$SECONDS pad=""
	printf '    waiting for %s ' "$what"
	while :; do
		if ! worker_alive; then
			printf '\n'
			fail "the worker stopped"
		fi
		if json="$(status_json)"; then
			if json_has "$sections" "$text" <<<"$json"; then
				printf '%s(%ss, %ss into the story)\n' "$pad" "$((SECONDS - start))" "$((SECONDS - STORY_START))"
				return 0
			fi
			if [[ -n "$kind" ]] && why="$(refusal "$kind" <<<"$json")"; then
				printf '\n'
				fail "the $kind follow-up was not sent: $why"
			fi
		fi
		if ((SECONDS - start >= timeout)); then
			printf '\n'
			fail "no $what after ${timeout}s; see: $BIN_DIR/starter status --customer $CUSTOMER"
		fi
		printf '.'
		pad=" "
		sleep 1
	done
}

wait_for_email() {
	wait_until "the $1 email" "$2" emails "\"kind\": \"$1\"" "$1"
}

days_from_today() {
	date -u -d "+$1 days" +%F 2>/dev/null || date -u -v+"$1"d +%F
}

urlencode() {
	local s="$1" out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c="${s:i:1}"
		case "$c" in
		[a-zA-Z0-9.~_-]) out+="$c" ;;
		*) printf -v c '%%%02X' "'$c" && out+="$c" ;;
		esac
	done
	printf '%s' "$out"
}

# import_story_customer adds this run's David: examples/demo/customers.csv's david under a new id.
#
# Every run tells the story to a new customer, david-<time>, rather than to "david" again: a
# customer's workflow lives for months and remembers everything, so a second run for the same
# customer would see its own history (the sale, announced under the same id on the same day, is
# never sent twice, by design). The earlier Davids stay in the database and in Temporal; a later
# sale reaches them too, which is what the shop would want.
import_story_customer() {
	local csv="$RUN_DIR/demo-customer.csv"
	awk -F, -v from="$STORY_TEMPLATE_CUSTOMER" -v to="$CUSTOMER" -v OFS=, \
		'NR == 1 { print; next } $1 == from { $1 = to; print; found = 1 } END { exit !found }' \
		examples/demo/customers.csv >"$csv" ||
		die "examples/demo/customers.csv has no customer $STORY_TEMPLATE_CUSTOMER to copy"
	starter import customers "$csv"
}

print_outbox() {
	local kind file
	step "What $CUSTOMER received"
	starter outbox --customer "$CUSTOMER"
	for kind in restock sale season; do
		for file in "outbox/$CUSTOMER/$kind"-*.txt; do
			[[ -f "$file" ]] || continue
			printf '\n    --- %s\n' "$file"
			sed 's/^/    | /' "$file"
		done
	done
}

# start_stack brings up everything both stories need: PostgreSQL, the Temporal CLI and dev server,
# the binaries, the schema and the worker.
start_stack() {
	trap on_exit EXIT

	step "PostgreSQL"
	ensure_postgres

	step "Temporal CLI"
	ensure_temporal

	step "Building worker and starter into $BIN_DIR/"
	note "go build ./worker (the first build downloads the Go modules and takes a minute or two)"
	go build -o "$BIN_DIR/worker" ./worker || die "go build ./worker failed; see the compiler output above"
	note "go build ./starter"
	go build -o "$BIN_DIR/starter" ./starter || die "go build ./starter failed; see the compiler output above"

	step "Database"
	setup_database

	step "Temporal dev server"
	export TEMPORAL_ADDRESS="localhost:$TEMPORAL_PORT" TEMPORAL_NAMESPACE="default"
	start_temporal

	# The worker and the starter share this environment.
	export LIFECYCLE_CONFIG="examples/demo/lifecycle.yaml" OUTBOX_DIR="outbox"

	step "Schema and search attributes"
	starter setup

	step "Worker"
	ensure_link_secret
	note "the pages the emails link to (unsubscribe, preferences, \"yes, I'm interested\") are served at ${PUBLIC_BASE_URL:-http://localhost:8080}"
	if [[ -n "${SENDGRID_API_KEY:-}" ]]; then
		note "SENDGRID_API_KEY is set: the emails go through SendGrid (${SENDGRID_BASE_URL:-https://api.sendgrid.com})"
		note "to the customers' addresses in examples/demo/customers.csv, not to the local outbox/"
	else
		note "no SENDGRID_API_KEY: the emails go to the local outbox/ folder and the database"
	fi
	start_worker
	note "contact policy from $LIFECYCLE_CONFIG: $(sed -n 's/.*"msg":"connected".*"min_gap":"\([^"]*\)","restock_window":"\([^"]*\)","season_fallback":"\([^"]*\)".*/min_gap \1, restock_window \2, season_fallback \3/p' "$WORKER_LOG")"
	note "(in production, without LIFECYCLE_CONFIG: 7d, 60d, 90d)"

}

up() {
	start_stack
	tailor_story
}

tailor_story() {
	CUSTOMER="$STORY_TEMPLATE_CUSTOMER-$(date -u +%Y%m%d-%H%M%S)"
	step "The shop's data: examples/demo/products.csv, examples/demo/customers.csv"
	starter import products examples/demo/products.csv
	starter import customers examples/demo/customers.csv
	note "this run's David is $CUSTOMER: each run tells the story to a new customer"
	import_story_customer

	step "The story (weeks and months squeezed into seconds)"
	STORY_START=$SECONDS
	STORY_SINCE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	say "David comes into the shop for classic trousers. He wants them in grey, size 50, but grey" \
		"is sold out, so he takes blue. The shop notes that he wanted grey."
	starter purchase --customer "$CUSTOMER" --sku "$BOUGHT_SKU" --wanted-color "$WANTED_COLOR" --id "purchase-${CUSTOMER#"$STORY_TEMPLATE_CUSTOMER"-}"
	wait_until "his workflow to record the wish for grey" 20 wishes "\"color\": \"$WANTED_COLOR\""
	say "His workflow now knows he likes blue and grey, keeps the wish open for the restock window," \
		"and has set a timer for a seasonal selection (season_fallback) in case no campaign comes."

	say "Two weeks later grey is back: three pairs arrive."
	starter restock --sku "$WANTED_SKU" --quantity 3
	wait_for_email restock 30

	local sale_until
	sale_until="$(days_from_today 14)"
	say "A month later the shop holds a sale: $SALE_DISCOUNT% off all trousers until $sale_until."
	# --again: a sale with the same end and discount is one campaign; a re-run of the demo needs a
	# new campaign to reach this run's David (earlier Davids already have that sale and are skipped).
	starter sale --category "$SALE_CATEGORY" --discount "$SALE_DISCOUNT" --until "$sale_until" --again
	wait_until "his workflow to take in the sale" 20 'pending|emails' '"kind": "sale"' sale
	say "David had an email moments ago, and the shop never writes twice within min_gap (a week in" \
		"production, 10s here): the sale email waits. His status shows it pending:"
	starter status --customer "$CUSTOMER"
	wait_for_email sale 40

	say "Three months after his purchase (40s here) no season campaign has come, so the fallback" \
		"timer fires: a selection of what is new, in his size and his colours."
	wait_for_email season 90

	if [[ -n "${SENDGRID_API_KEY:-}" ]]; then
		step "What $CUSTOMER received"
		note "sent through SendGrid; the subjects are in the status below"
	else
		print_outbox
	fi

	step "$CUSTOMER's lifecycle"
	starter status --customer "$CUSTOMER"

	step "In Temporal"
	printf '    $ temporal workflow list --query '\''CustomerId="%s"'\''\n' "$CUSTOMER"
	"$BIN_DIR/temporal" workflow list --query "CustomerId=\"$CUSTOMER\"" 2>&1 | sed 's/^/      /'

	step "What the follow-ups earned: starter report"
	note "the emails since the story began; no holdout here, so no lift (scripts/demo.sh report measures one)"
	starter report --since "$STORY_SINCE" --html "$RUN_DIR/report.html"

	local ui="http://localhost:$UI_PORT/namespaces/default/workflows"
	step "Done in $((SECONDS - STORY_START))s. What to look at"
	cat <<EOF
    The report as a page (open it in a browser): $RUN_DIR/report.html
    Temporal UI, David's workflow customer/$CUSTOMER (open it: its event history, the search
    attributes CustomerId and LifecycleStage, and the "status" query under Queries):
      $ui?query=$(urlencode "CustomerId=\"$CUSTOMER\"")
    Every customer with a follow-up sent:
      $ui?query=$(urlencode 'LifecycleStage="followed-up"')
      $BIN_DIR/temporal workflow list --query 'LifecycleStage="followed-up"'
    The emails, as .txt and .html:   outbox/$CUSTOMER/   (everyone's: $BIN_DIR/starter outbox)
    Logs:                            $WORKER_LOG, $TEMPORAL_LOG

    Try the commands yourself, with the demo's settings:
      export DATABASE_URL='$(redact_url "$DATABASE_URL")' LIFECYCLE_CONFIG=$LIFECYCLE_CONFIG OUTBOX_DIR=$OUTBOX_DIR
      $BIN_DIR/starter help

    Stop the worker and the dev server:  scripts/demo.sh down   (the database and histories stay)
EOF
}

# --- the telecom story -------------------------------------------------------------------------

# reading CUSTOMER DAYS_AGO USED sends a meter reading of the 10,000 MB data bundle as of DAYS_AGO
# days before now, quietly: the story prints what matters.
reading() {
	local at
	at="$(date -u -d "-$2 days" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v-"$2"d +%Y-%m-%dT%H:%M:%SZ)"
	"$BIN_DIR/starter" usage --customer "$1" --metric data_mb --used "$3" --limit 10000 --at "$at" >/dev/null ||
		fail "starter usage --customer $1 --used $3 --at $at failed"
}

# click N KIND PATH POSTs the N-th /PATH/ link of CUSTOMER's newest KIND email in outbox/, as the
# button on the page that link opens does, and prints the page's answer.
click() {
	local file url
	file="$(ls -t "outbox/$CUSTOMER/$2"-*.txt 2>/dev/null | head -n 1)"
	[[ -n "$file" ]] || fail "no $2 email for $CUSTOMER in outbox/"
	url="$(grep -o "http[^ ]*/$3/[A-Za-z0-9._~-]*" "$file" | sed -n "$1p")"
	[[ -n "$url" ]] || fail "no /$3/ link in $file"
	printf '    $ curl -X POST %s...\n' "${url:0:48}"
	curl -fsS -X POST "$url" | sed -n 's/.*<p[^>]*>\([^<]*\)<\/p>.*/\1/p' | head -n 2 | sed 's/^/      /' ||
		fail "POST $url failed; is the worker serving ${PUBLIC_BASE_URL:-http://localhost:8080}?"
}

telecom() {
	start_stack
	telecom_story
}

telecom_story() {
	local run anna joost
	run="$(date -u +%Y%m%d-%H%M%S)"
	anna="anna-$run" joost="joost-$run"
	step "The operator's data: examples/demo-telecom/products.csv, examples/demo-telecom/customers.csv"
	starter import products examples/demo-telecom/products.csv
	awk -F, -v run="$run" -v OFS=, 'NR == 1 { print; next } { $1 = $1 "-" run; print }' \
		examples/demo-telecom/customers.csv >"$RUN_DIR/demo-telecom-customers.csv"
	starter import customers "$RUN_DIR/demo-telecom-customers.csv"
	note "this run's customers are $anna and $joost: each run starts with new ones"

	step "The moment of truth: two customers at 80% of a 10 GB data bundle"
	STORY_START=$SECONDS
	say "Anna buys a 10 GB monthly data bundle. Last month she was warned at 80%, then slowed down" \
		"and stayed within her bundle: she watches what she spends. (Her meter readings of last month" \
		"go in with starter usage --at.)"
	starter purchase --customer "$anna" --sku DATA-10GB --id "bundle-$anna"
	reading "$anna" 46 0
	reading "$anna" 30 8000
	reading "$anna" 17 9000
	reading "$anna" 16 100
	say "Joost went over his bundle in each of the last two months, and paid for the extra data."
	reading "$joost" 76 100
	reading "$joost" 61 8500
	reading "$joost" 47 13000
	reading "$joost" 46 100
	reading "$joost" 31 8500
	reading "$joost" 17 12500
	reading "$joost" 16 100
	say "Today both reach 80% of this month's bundle."
	starter usage --customer "$anna" --metric data_mb --used 8100 --limit 10000
	starter usage --customer "$joost" --metric data_mb --used 8200 --limit 10000

	CUSTOMER="$anna"
	wait_for_email offer 30
	say "Anna is cost-conscious: she gets the offer that fits that, one click to accept."
	CUSTOMER="$joost"
	wait_until "Joost's workflow to decide" 30 moments '"behaviour": "heavy"'
	say "Joost is a heavy user: an offer would only cannibalise what he pays for extra data, so his" \
		"workflow deliberately sends nothing, and says why:"
	"$BIN_DIR/starter" status --customer "$joost" | awk '/^moments of truth:/ { on = 1; print; next } on && /^[a-z]/ { exit } on' | sed 's/^/      /'

	if [[ -z "${SENDGRID_API_KEY:-}" ]]; then
		CUSTOMER="$anna"
		say "Anna clicks \"Yes, add it\" in her email:"
		click 1 offer i
		wait_for_email confirmation 30
	fi

	say "Joost complains about his connection. Next month he reaches 80% again: a recent complaint" \
		"is a churn indicator, and now the retention offer fits."
	starter note --customer "$joost" --kind complaint --text "slow connection at home"
	reading "$joost" 0 9800
	starter usage --customer "$joost" --metric data_mb --used 50 --limit 10000
	starter usage --customer "$joost" --metric data_mb --used 8000 --limit 10000
	CUSTOMER="$joost"
	wait_for_email offer 30

	say "The usage phase: days after her purchase (seconds here) Anna gets tips to make her bundle" \
		"last, and later the question whether it is what she hoped for."
	CUSTOMER="$anna"
	wait_for_email care 40
	wait_for_email checkin 60
	if [[ -z "${SENDGRID_API_KEY:-}" ]]; then
		say "She answers \"not quite\" (the second link): the next step is service contact, not an upsell."
		click 2 checkin c
		wait_for_email service 30
	fi

	step "Value segments, recomputed now (the schedule segments-nightly does it every night)"
	starter segments recompute --wait

	for CUSTOMER in "$anna" "$joost"; do
		step "$CUSTOMER's lifecycle"
		starter status --customer "$CUSTOMER"
	done

	local ui="http://localhost:$UI_PORT/namespaces/default/workflows"
	step "Done in $((SECONDS - STORY_START))s. What to look at"
	cat <<EOF
    The emails, as .txt and .html:   outbox/$anna/  outbox/$joost/
    Temporal UI, their workflows:    $ui?query=$(urlencode "CustomerId=\"$anna\" OR CustomerId=\"$joost\"")
    The nightly segment schedule:    http://localhost:$UI_PORT/namespaces/default/schedules/segments-nightly
    Stop the worker and the dev server:  scripts/demo.sh down
EOF
}

# --- the report story --------------------------------------------------------------------------

report() {
	start_stack
	report_story
}

# report_story runs a linen sale with a holdout over a few hundred simulated customers, draws their
# purchases with a known true effect and shows starter report recovering it within its interval.
report_story() {
	local prefix since seed="$BIN_DIR/demo-report-seed" group="sale/$REPORT_SALE_ID"
	prefix="shopper-$(date -u +%Y%m%d-%H%M%S)"
	since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	STORY_START=$SECONDS
	note "go build ./examples/demo-report/seed (the story's data: internal/seededeffect)"
	go build -o "$seed" ./examples/demo-report/seed || die "go build ./examples/demo-report/seed failed"

	step "$REPORT_CUSTOMERS simulated customers who like linen: $prefix-0001 to $prefix-$(printf %04d "$REPORT_CUSTOMERS")"
	starter import products examples/demo-report/products.csv
	"$seed" customers -prefix "$prefix" -n "$REPORT_CUSTOMERS" >"$RUN_DIR/report-customers.csv" || fail "seed customers failed"
	starter import customers "$RUN_DIR/report-customers.csv"

	step "A linen sale with a $REPORT_HOLDOUT% holdout"
	say "Would these customers have bought anyway? The shop holds out $REPORT_HOLDOUT% of them: each one's" \
		"workflow decides the sale exactly as for an email, then records it held out instead of sending." \
		"Who is held out is a hash of the customer and the campaign, the same every time."
	# --again: earlier runs' customers already had this sale; a new campaign reaches this run's.
	starter sale --category linen --discount 20 --holdout "$REPORT_HOLDOUT" --again --wait
	printf '    waiting until every customer was emailed or held out '
	"$seed" wait -prefix "$prefix" -sale "$REPORT_SALE_ID" -n "$REPORT_CUSTOMERS" -timeout 180s ||
		fail "the campaign did not decide every customer; see $WORKER_LOG"
	printf '(%ss into the story)\n' "$((SECONDS - STORY_START))"

	step "Their purchases, with a known true effect"
	say "The next day (here: now) $REPORT_EMAILED_PCT% of the emailed and $REPORT_HELD_OUT_PCT% of the held out buy a linen shirt," \
		"each drawn at random with a fixed seed: the email's true lift is $((REPORT_EMAILED_PCT - REPORT_HELD_OUT_PCT)) points." \
		"The orders go in like any shop's orders file, through the event layer."
	"$seed" orders -prefix "$prefix" -sale "$REPORT_SALE_ID" -sku "$REPORT_SKU" \
		-emailed "$REPORT_EMAILED_PCT" -held-out "$REPORT_HELD_OUT_PCT" >"$RUN_DIR/report-orders.csv" || fail "seed orders failed"
	starter import orders "$RUN_DIR/report-orders.csv"

	step "What the sale earned: starter report"
	starter report --since "$since" --by campaign
	"$BIN_DIR/starter" report --since "$since" --by campaign --json >"$RUN_DIR/report.json" || fail "starter report --json failed"
	if ! "$seed" check -group "$group" -emailed "$REPORT_EMAILED_PCT" -held-out "$REPORT_HELD_OUT_PCT" <"$RUN_DIR/report.json" |
		sed 's/^/    /'; then
		# A 95% interval misses the true value in about one run of twenty (the customers' draw
		# differs per run); TestReportRecoversTheSeededEffect checks the recovery deterministically.
		note "the interval missed the true lift this time: a 95% interval does so about one run in twenty; run the story again (see $RUN_DIR/report.json)"
	fi
	starter report --since "$since" --html "$RUN_DIR/report.html"

	step "Done in $((SECONDS - STORY_START))s. What to look at"
	cat <<EOF
    The report as a page (open it in a browser): $RUN_DIR/report.html
    The orders drawn:                            $RUN_DIR/report-orders.csv
    One customer's decisions:                    $BIN_DIR/starter explain --customer $prefix-0001
    Stop the worker and the dev server:  scripts/demo.sh down
EOF
}

down() {
	step "Stopping the demo"
	stop_process worker "$WORKER_PID" "$BIN_DIR/worker"
	stop_process "Temporal dev server" "$TEMPORAL_PID" "temporal"
	note "left in place: the database, the workflow histories in $RUN_DIR/temporal.db, outbox/"
	note "to start from scratch: rm -rf $RUN_DIR outbox; dropdb tailor"
}

case "${1:-up}" in
up) up ;;
telecom) telecom ;;
report) report ;;
down) down ;;
-h | --help | help) usage ;;
*)
	usage >&2
	die "unknown action '$1'; use up, telecom, report, down or --help"
	;;
esac
