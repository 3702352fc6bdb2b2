#!/usr/bin/env bash
# The worker-memory benchmark (issue 6): how much memory Tailor's worker holds while N customer
# workflows are open and sleeping, with the sticky workflow cache bounded by WORKFLOW_CACHE_SIZE.
# It opens one workflow per customer (a SignalWithStart of the consent signal, as the shop does),
# stops at checkpoints to sample the worker's RSS, settles, and prints a table.
# See docs/OBSERVABILITY.md.
#
#   bench/memory.sh [--customers N] [--checkpoints A,B,...] [--cache-size S] [--concurrency C]
#                   [--settle SECONDS] [--db-file] [--keep]
#
#   --customers N      customer workflows to open (default 100000; 15-35 min on 2 cores)
#   --checkpoints L    open-workflow counts to sample at (default a tenth, half and all of N)
#   --cache-size S     the worker's WORKFLOW_CACHE_SIZE (default: unset, the worker's 2000)
#   --concurrency C    SignalWithStarts in flight (default 16)
#   --settle SECONDS   wait after the last checkpoint before the final sample (default 60)
#   --db-file          keep the dev server's SQLite in a file of the work folder, not in memory: the
#                      server's RSS stays lower (in memory it grows ~45 KB per workflow), but it
#                      starts workflows about 3 times slower
#   --keep             keep the work folder (logs, samples.csv, results.json) even when all went well
#
# Everything it starts is its own: a dev server on free ports, a fresh database
# tailor_membench_<pid> on the local PostgreSQL (dropped at the end), the worker. Run it niced on
# a shared machine: nice -n 10 bench/memory.sh. BENCH_POSTGRES_URL points it at another PostgreSQL.

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CUSTOMERS=100000
CHECKPOINTS=""
CACHE_SIZE=""
CONCURRENCY=16
SETTLE=60
DB_FILE=0
KEEP=0
usage() { sed -n '8,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
	case "$1" in
	--customers) CUSTOMERS="${2:?--customers needs a number}"; shift 2 ;;
	--checkpoints) CHECKPOINTS="${2:?--checkpoints needs a list}"; shift 2 ;;
	--cache-size) CACHE_SIZE="${2:?--cache-size needs a number}"; shift 2 ;;
	--concurrency) CONCURRENCY="${2:?--concurrency needs a number}"; shift 2 ;;
	--settle) SETTLE="${2:?--settle needs a number of seconds}"; shift 2 ;;
	--db-file) DB_FILE=1; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument $1" ;;
	esac
done
for n in "$CUSTOMERS" "$CONCURRENCY" "$SETTLE" ${CACHE_SIZE:+"$CACHE_SIZE"}; do
	[[ "$n" =~ ^[0-9]+$ ]] || die "$n is not a whole number"
done
((CUSTOMERS >= 1)) || die "--customers must be at least 1"

ADMIN_URL="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
DB_NAME="tailor_membench_$$"
# The admin URL with its database replaced by the benchmark's.
DATABASE_URL="$(bench_database_url)"
LINK_SECRET="bench-link-secret-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tailor-membench.XXXXXX")"
BIN="$WORK/bin"
SERVER_PID="" WORKER_PID="" DB_CREATED=0 OK=0

KEPT_FILES="logs, samples.csv and results.json"
trap teardown EXIT
trap 'exit 130' INT TERM

step "PostgreSQL and the pinned Temporal CLI"
ensure_postgres
ensure_temporal
ensure_database_access "$ADMIN_URL"

step "building worker, starter, campaignbench (customers, ports) and memorybench into $BIN"
(cd "$REPO_ROOT" && go build -o "$BIN/" ./worker ./starter ./bench/cmd/campaignbench ./bench/cmd/memorybench)

mapfile -t PORTS < <("$BIN/campaignbench" ports 5)
TEMPORAL_PORT="${PORTS[0]}" TEMPORAL_HTTP_PORT="${PORTS[1]}" METRICS_PORT="${PORTS[2]}" WORKER_PORT="${PORTS[3]}" OPS_PORT="${PORTS[4]}"

APP_ENV=(
	PATH="$PATH" HOME="${HOME:-/tmp}"
	TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT" TEMPORAL_NAMESPACE=default
	DATABASE_URL="$DATABASE_URL"
	MAIL_FROM="Tailor <shop@example.com>" OUTBOX_DIR="$WORK/outbox"
	HTTP_ADDR="127.0.0.1:$WORKER_PORT" PUBLIC_BASE_URL="http://127.0.0.1:$WORKER_PORT" LINK_SECRET="$LINK_SECRET"
	OPS_ADDR="127.0.0.1:$OPS_PORT"
)
[[ -z "$CACHE_SIZE" ]] || APP_ENV+=(WORKFLOW_CACHE_SIZE="$CACHE_SIZE")
[[ -z "${PGPASSWORD:-}" ]] || APP_ENV+=(PGPASSWORD="$PGPASSWORD")

STORE=()
STORE_NAME="in-memory SQLite"
if ((DB_FILE)); then
	STORE=(--db-filename "$WORK/temporal.db")
	STORE_NAME="SQLite file $WORK/temporal.db"
fi
step "starting a fresh dev server on 127.0.0.1:$TEMPORAL_PORT ($STORE_NAME, no UI)"
"$TEMPORAL_CLI_PATH" server start-dev --headless --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
	--http-port "$TEMPORAL_HTTP_PORT" --metrics-port "$METRICS_PORT" --log-level error "${STORE[@]}" \
	--search-attribute CustomerId=Keyword --search-attribute LifecycleStage=Keyword \
	--search-attribute CampaignState=Keyword --search-attribute Segment=Keyword >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_for 60 "the dev server" "$TEMPORAL_CLI_PATH" operator namespace describe --namespace default \
	--address "127.0.0.1:$TEMPORAL_PORT"
note "dev server pid $SERVER_PID"

step "fresh database $DB_NAME with $CUSTOMERS customers"
psql "$ADMIN_URL" -XqtAc "CREATE DATABASE $DB_NAME" >/dev/null
DB_CREATED=1
app "$BIN/starter" setup | sed 's/^/    /'
"$BIN/campaignbench" gen --customers "$CUSTOMERS" --dir "$WORK" | sed 's/^/    /'
# The workflows load each customer's time zone at their start (LoadContact), as in production.
app "$BIN/starter" import customers "$WORK/customers.csv" | sed 's/^/    /'

step "starting the worker (WORKFLOW_CACHE_SIZE=${CACHE_SIZE:-unset, its default}; /metrics on 127.0.0.1:$OPS_PORT)"
env -i "${APP_ENV[@]}" "$BIN/worker" >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
wait_for 60 "the worker" grep -q '"msg":"worker started"' "$WORK/worker.log"
wait_for 10 "the worker's /metrics" curl -sf "http://127.0.0.1:$OPS_PORT/metrics" -o /dev/null
note "worker pid $WORKER_PID, $(grep -o '"workflow_cache_size":[0-9]*' "$WORK/worker.log" | tr -d '"' | tr : ' ')"

step "opening $CUSTOMERS customer workflows, sampling the worker at each checkpoint"
app "$BIN/memorybench" open \
	--temporal "127.0.0.1:$TEMPORAL_PORT" --customers "$WORK/customers.csv" --count "$CUSTOMERS" \
	${CHECKPOINTS:+--checkpoints "$CHECKPOINTS"} --concurrency "$CONCURRENCY" \
	--metrics "http://127.0.0.1:$OPS_PORT/metrics" --worker-pid "$WORKER_PID" --server-pid "$SERVER_PID" \
	--cache-size "$CACHE_SIZE" --settle "${SETTLE}s" --out "$WORK" | tee "$WORK/report.md"
{
	printf '\nmachine: %s cores, %s, %s RAM; Go %s; Temporal CLI %s dev server (%s); nice %s\n' "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		"$(free -h | awk '/^Mem:/ { print $2 }')" "$(go env GOVERSION)" "$TEMPORAL_CLI_VERSION" \
		"$STORE_NAME" "$(nice)"
	extra=""
	[[ -z "$CHECKPOINTS" ]] || extra+=" --checkpoints $CHECKPOINTS"
	[[ -z "$CACHE_SIZE" ]] || extra+=" --cache-size $CACHE_SIZE"
	((CONCURRENCY == 16)) || extra+=" --concurrency $CONCURRENCY"
	((SETTLE == 60)) || extra+=" --settle $SETTLE"
	((DB_FILE == 0)) || extra+=" --db-file"
	printf 'command: bench/memory.sh --customers %s%s\n' "$CUSTOMERS" "$extra"
} | tee -a "$WORK/report.md"
OK=1
