#!/usr/bin/env bash
# The campaign benchmark (issue 4): one command that seeds N customers who all like trousers,
# measures the raw SignalWithStart rate of a no-op workflow on a fresh dev server, then runs a 20%
# trousers sale through the real starter and worker against a local SendGrid sink, and reports
# customers reached/s, emails/s, trigger-to-email latency, the worker's peak RSS, history events
# per customer, duplicates, misses, and the ratio to the raw rate. With --mode orders (issue 15) it
# measures data coming in instead: the same baseline, then `starter import orders` of one order per
# customer (none of whose workflows exists yet), a sale to those customers (their workflows now
# exist), and the HTTP API (POST /api/v1/events on the worker). See docs/BENCHMARKS.md.
#
#   bench/run.sh [--mode campaign|orders] [--customers N] [--concurrency C] [--rate R] [--raw-count N] [--temporal dev|postgres] [--keep]
#
#   --customers N    customers to seed and reach (default 10000; 100000 for the issue's target)
#   --concurrency C  SignalWithStarts in flight, in the baseline and in the sale (--concurrency of
#                    the campaign; default 16, the campaign's default)
#   --rate R         the campaign's --rate: customers signalled per second at most (default: none)
#   --raw-count N    SignalWithStarts in the baseline (default min(N, 20000))
#   --temporal T     dev: a fresh dev server (default); postgres: the Temporal server on PostgreSQL
#                    of scripts/temporal-postgres.sh (started if it is not running, left running),
#                    in a fresh namespace bench-<pid> that `starter setup` gives its search attributes
#   --keep           keep the work folder (logs, CSVs, results.json) even when all went well
#   --mode M         campaign (default) or orders: import, sale and API, as above
#   --api-events N   orders: order events POSTed to the API (default min(N, 10000); 0: none)
#   --api-batch K    orders: events per POST (default 10)
#   --import-without-worker
#                    orders: stop the worker before the shape probe (which then also sends Tailor's
#                    own calls) and end the run after the import, so that no workflow runs its
#                    purchase while the import delivers
#   --search-attribute-cache
#                    dev: keep the dev server's search attribute cache, as every other Temporal
#                    server does (the pinned CLI turns it off, so that each call carrying search
#                    attributes reads them from the store under one lock; docs/BENCHMARKS.md)
#
# Everything it starts is its own: a dev server on free ports with an in-memory store (or a
# namespace of its own on the PostgreSQL-backed server), a fresh database tailor_bench_<pid> on the
# local PostgreSQL (dropped at the end), the sink, the worker. Besides what campaignbench reports, it
# samples the CPU time of the PostgreSQL backends of its database (and, with postgres, Temporal's)
# over the whole measurement (baseline and sale).
# Set BENCH_POSTGRES_URL to use another server (a URL whose user can create databases).

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CUSTOMERS=10000
CONCURRENCY=16
RATE=0
RAW_COUNT=0
KEEP=0
TEMPORAL_KIND=dev
MODE=campaign
API_EVENTS=-1
API_BATCH=10
WITHOUT_WORKER=0
SA_CACHE=0
usage() { sed -n '11,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
	case "$1" in
	--customers) CUSTOMERS="${2:?--customers needs a number}"; shift 2 ;;
	--concurrency) CONCURRENCY="${2:?--concurrency needs a number}"; shift 2 ;;
	--rate) RATE="${2:?--rate needs a number}"; shift 2 ;;
	--raw-count) RAW_COUNT="${2:?--raw-count needs a number}"; shift 2 ;;
	--temporal) TEMPORAL_KIND="${2:?--temporal needs dev or postgres}"; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--mode) MODE="${2:?--mode needs campaign or orders}"; shift 2 ;;
	--api-events) API_EVENTS="${2:?--api-events needs a number}"; shift 2 ;;
	--api-batch) API_BATCH="${2:?--api-batch needs a number}"; shift 2 ;;
	--import-without-worker) WITHOUT_WORKER=1; shift ;;
	--search-attribute-cache) SA_CACHE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument $1" ;;
	esac
done
for n in "$CUSTOMERS" "$CONCURRENCY" "$RATE" "$RAW_COUNT"; do
	[[ "$n" =~ ^[0-9]+$ ]] || die "$n is not a whole number"
done
((CUSTOMERS >= 1)) || die "--customers must be at least 1"
((CONCURRENCY >= 1)) || die "--concurrency must be at least 1"
[[ "$MODE" == campaign || "$MODE" == orders ]] || die "--mode must be campaign or orders, not $MODE"
[[ "$API_EVENTS" =~ ^-?[0-9]+$ && "$API_BATCH" =~ ^[0-9]+$ ]] || die "--api-events and --api-batch take whole numbers"
[[ "$TEMPORAL_KIND" == dev || "$TEMPORAL_KIND" == postgres ]] || die "--temporal must be dev or postgres, not $TEMPORAL_KIND"
((SA_CACHE == 0)) || [[ "$TEMPORAL_KIND" == dev ]] || die "--search-attribute-cache is for the dev server: the PostgreSQL-backed one keeps its cache"

ADMIN_URL="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
DB_NAME="tailor_bench_$$"
# The admin URL with its database replaced by the benchmark's.
DATABASE_URL="$(bench_database_url)"
SINK_KEY="bench-sendgrid-key"
LINK_SECRET="bench-link-secret-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tailor-bench.XXXXXX")"
BIN="$WORK/bin"
SERVER_PID="" SINK_PID="" WORKER_PID="" SAMPLER_PID="" DB_CREATED=0 OK=0

KEPT_FILES="logs, CSVs and results.json"
trap teardown EXIT
trap 'exit 130' INT TERM

step "PostgreSQL and the pinned Temporal CLI"
ensure_postgres
ensure_temporal
ensure_database_access "$ADMIN_URL"

step "building worker, starter, sendgrid-sink and campaignbench into $BIN"
(cd "$REPO_ROOT" && go build -o "$BIN/" ./worker ./starter ./internal/sendgrid/sink/cmd/sendgrid-sink ./bench/cmd/campaignbench)

mapfile -t PORTS < <("$BIN/campaignbench" ports 5)
TEMPORAL_PORT="${PORTS[0]}" TEMPORAL_HTTP_PORT="${PORTS[1]}" METRICS_PORT="${PORTS[2]}" SINK_PORT="${PORTS[3]}" HTTP_PORT="${PORTS[4]}"
NAMESPACE=default
if [[ "$TEMPORAL_KIND" == postgres ]]; then
	TEMPORAL_PORT="$("$REPO_ROOT/scripts/temporal-postgres.sh" address)"
	TEMPORAL_PORT="${TEMPORAL_PORT##*:}"
	NAMESPACE="bench-$$"
fi

APP_ENV=(
	PATH="$PATH" HOME="${HOME:-/tmp}"
	TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT" TEMPORAL_NAMESPACE="$NAMESPACE"
	DATABASE_URL="$DATABASE_URL"
	SENDGRID_API_KEY="$SINK_KEY" SENDGRID_BASE_URL="http://127.0.0.1:$SINK_PORT"
	MAIL_FROM="Tailor <shop@example.com>" OUTBOX_DIR="$WORK/outbox"
	LIFECYCLE_CONFIG="$WORK/lifecycle.yaml"
	OPS_ADDR=off PUBLIC_BASE_URL="https://shop.example" LINK_SECRET="$LINK_SECRET"
)
# The orders mode posts to the worker's API; the campaign mode serves no HTTP at all.
API_TOKEN="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
if [[ "$MODE" == orders ]]; then
	APP_ENV+=(HTTP_ADDR="127.0.0.1:$HTTP_PORT" API_TOKENS="$API_TOKEN")
else
	APP_ENV+=(HTTP_ADDR=off)
fi
[[ -z "${PGPASSWORD:-}" ]] || APP_ENV+=(PGPASSWORD="$PGPASSWORD")

if [[ "$TEMPORAL_KIND" == dev ]]; then
	step "starting a fresh dev server on 127.0.0.1:$TEMPORAL_PORT (in memory, no UI)"
	DEV_SERVER_ARGS=()
	if ((SA_CACHE)); then
		# The server's default; the dev server's own is true. Its search attributes are in its
		# store before it serves, so the cache never misses one.
		DEV_SERVER_ARGS+=(--dynamic-config-value system.forceSearchAttributesCacheRefreshOnRead=false)
		note "the dev server keeps its search attribute cache"
	fi
	"$TEMPORAL_CLI_PATH" server start-dev "${DEV_SERVER_ARGS[@]}" --headless --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
		--http-port "$TEMPORAL_HTTP_PORT" --metrics-port "$METRICS_PORT" --log-level error \
		--search-attribute CustomerId=Keyword --search-attribute LifecycleStage=Keyword \
		--search-attribute CampaignState=Keyword --search-attribute Segment=Keyword >"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	wait_for 60 "the dev server" "$TEMPORAL_CLI_PATH" operator namespace describe --namespace default \
		--address "127.0.0.1:$TEMPORAL_PORT"
	note "dev server pid $SERVER_PID"
else
	step "the Temporal server on PostgreSQL (scripts/temporal-postgres.sh), namespace $NAMESPACE"
	"$REPO_ROOT/scripts/temporal-postgres.sh" up | sed 's/^/    /'
	# Not ours to stop at the end: teardown only stops SERVER_PID, so it is measured through
	# MEASURED_SERVER_PID instead. TEMPORAL_HISTORY_SHARDS, if set, picks the stack (and its
	# databases) the script runs for that shard count.
	MEASURED_SERVER_PID="$("$REPO_ROOT/scripts/temporal-postgres.sh" pid)"
	SERVER_METRICS_URL="$("$REPO_ROOT/scripts/temporal-postgres.sh" metrics)"
	HISTORY_SHARDS="${TEMPORAL_HISTORY_SHARDS:-4}"
	"$TEMPORAL_CLI_PATH" operator namespace create --namespace "$NAMESPACE" --retention 24h \
		--address "127.0.0.1:$TEMPORAL_PORT" >/dev/null
	wait_for 30 "namespace $NAMESPACE" "$TEMPORAL_CLI_PATH" workflow list --namespace "$NAMESPACE" \
		--address "127.0.0.1:$TEMPORAL_PORT" --limit 1
	note "server pid $MEASURED_SERVER_PID"
fi

step "fresh database $DB_NAME"
psql "$ADMIN_URL" -XqtAc "CREATE DATABASE $DB_NAME" >/dev/null
DB_CREATED=1

step "starting the SendGrid sink on 127.0.0.1:$SINK_PORT"
"$BIN/sendgrid-sink" --addr "127.0.0.1:$SINK_PORT" --api-key "$SINK_KEY" >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
wait_for 10 "the sink" curl -sf "http://127.0.0.1:$SINK_PORT/messages" -o /dev/null

# min_gap 0s: the sale email goes out at once to every customer, so the run measures the
# fan-out and the sending, not the policy.
cat >"$WORK/lifecycle.yaml" <<'EOF'
min_gap: 0s
EOF

step "setup and seeding $CUSTOMERS customers"
app "$BIN/starter" setup | sed 's/^/    /'
if [[ "$TEMPORAL_KIND" == postgres ]]; then
	# The history service maps upserted search attributes with its own copy of the namespace,
	# refreshed every system.namespaceCacheRefreshInterval (2 s): wait it out once, so that the
	# first workflow tasks do not fail (internal/temporaltest does the same).
	sleep 3
fi
GEN_ARGS=()
[[ "$MODE" == campaign ]] || GEN_ARGS+=(--orders)
"$BIN/campaignbench" gen --customers "$CUSTOMERS" --dir "$WORK" "${GEN_ARGS[@]}" | sed 's/^/    /'
app "$BIN/starter" import products "$WORK/products.csv" | sed 's/^/    /'
SECONDS_BEFORE=$(date +%s.%N)
app "$BIN/starter" import customers "$WORK/customers.csv" | sed 's/^/    /'
note "imported in $(awk -v a="$SECONDS_BEFORE" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"

step "starting the worker ($( [[ "$MODE" == orders ]] && echo "HTTP_ADDR=127.0.0.1:$HTTP_PORT, API on" || echo "HTTP_ADDR=off"))"
env -i "${APP_ENV[@]}" "$BIN/worker" >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
wait_for 60 "the worker" grep -q '"msg":"worker started"' "$WORK/worker.log"
note "worker pid $WORKER_PID"

MODE_ARGS=(--mode "$MODE")
if [[ "$MODE" == orders ]]; then
	MODE_ARGS+=(--orders "$WORK/orders.csv" --api "http://127.0.0.1:$HTTP_PORT" --api-events "$API_EVENTS" --api-batch "$API_BATCH")
	((WITHOUT_WORKER == 0)) || MODE_ARGS+=(--import-without-worker)
	step "measuring: baseline, import orders, the sale, the API"
else
	step "measuring: baseline, then the sale"
fi
PG_DATABASES="$DB_NAME"
[[ "$TEMPORAL_KIND" == dev ]] || PG_DATABASES+="|$("$REPO_ROOT/scripts/temporal-postgres.sh" databases | paste -sd'|')"
PG_CPU_BEFORE="$(postgres_cpu_ticks "$PG_DATABASES")"
MEASURE_STARTED=$(date +%s.%N)
if [[ -n "${SERVER_METRICS_URL:-}" ]]; then
	# The server's own view of its history shards, every 2 s while the measurement runs (kept
	# with --keep): bench/shardload.sh turns two samples into each shard's write load.
	mkdir -p "$WORK/server-metrics"
	sample_server_metrics "$SERVER_METRICS_URL" "$WORK/server-metrics" &
	SAMPLER_PID=$!
fi
app env BENCH_API_TOKEN="$API_TOKEN" "$BIN/campaignbench" measure "${MODE_ARGS[@]}" \
	--temporal "127.0.0.1:$TEMPORAL_PORT" --namespace "$NAMESPACE" --database "$DATABASE_URL" \
	--sink "http://127.0.0.1:$SINK_PORT" --starter "$BIN/starter" \
	--customers "$CUSTOMERS" --concurrency "$CONCURRENCY" --rate "$RATE" --raw-count "$RAW_COUNT" \
	--worker-pid "$WORKER_PID" --server-pid "${MEASURED_SERVER_PID:-$SERVER_PID}" \
	--server-metrics "${SERVER_METRICS_URL:-http://127.0.0.1:$METRICS_PORT/metrics}" --out "$WORK" | tee "$WORK/report.md"
PG_CPU_AFTER="$(postgres_cpu_ticks "$PG_DATABASES")"
MEASURE_ENDED=$(date +%s.%N)
if [[ -n "${SAMPLER_PID:-}" ]]; then
	stop "$SAMPLER_PID"
	SAMPLER_PID=""
	mapfile -t samples < <(find "$WORK/server-metrics" -name '*.prom' | sort)
	printf '\nhistory shards (%s; baseline + sale, from the server'"'"'s metrics):\n' "$HISTORY_SHARDS" | tee -a "$WORK/report.md"
	if ((${#samples[@]} >= 2)); then
		"$REPO_ROOT/bench/shardload.sh" "$HISTORY_SHARDS" "${samples[0]}" "${samples[${#samples[@]} - 1]}" |
			sed 's/^/    /' | tee -a "$WORK/report.md"
	else
		echo "    fewer than two samples of $SERVER_METRICS_URL were taken; is the server's metrics listener up?" | tee -a "$WORK/report.md"
	fi
fi
{
	# CPU per customer over the whole measurement (baseline + sale), the same way for the three.
	[[ "$MODE" == orders ]] || jq -r --argjson pg "$(((PG_CPU_AFTER - PG_CPU_BEFORE)))" --argjson hz "$(getconf CLK_TCK)" \
		--argjson n "$CUSTOMERS" --argjson wall "$(awk -v a="$MEASURE_STARTED" -v b="$MEASURE_ENDED" 'BEGIN { print b - a }')" \
		--arg kind "$TEMPORAL_KIND" --arg dbs "$PG_DATABASES" '
		def ms(ns): (ns / 1e6 * 100 | round) / 100;
		"\ncpu per customer (baseline + sale, \($wall * 10 | round / 10) s, --temporal \($kind)): " +
		"server \(ms((.server_cpu.raw_ns + .server_cpu.sale_ns) / $n)) ms, " +
		"PostgreSQL \(ms($pg / $hz * 1e9 / $n)) ms (the backends of \($dbs)), " +
		"worker \(ms((.worker_cpu.raw_ns + .worker_cpu.sale_ns) / $n)) ms"' "$WORK/results.json"

	printf '\nmachine: %s cores, %s, %s RAM\n' "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		"$(free -h | awk '/^Mem:/ { print $2 }')"
	extra=""
	[[ "$MODE" == campaign ]] || extra+=" --mode $MODE"
	((API_EVENTS < 0)) || extra+=" --api-events $API_EVENTS"
	((API_BATCH == 10)) || extra+=" --api-batch $API_BATCH"
	((WITHOUT_WORKER == 0)) || extra+=" --import-without-worker"
	((SA_CACHE == 0)) || extra+=" --search-attribute-cache"
	((CONCURRENCY == 16)) || extra+=" --concurrency $CONCURRENCY"
	((RATE == 0)) || extra+=" --rate $RATE"
	((RAW_COUNT == 0)) || extra+=" --raw-count $RAW_COUNT"
	[[ "$TEMPORAL_KIND" == dev ]] || extra+=" --temporal $TEMPORAL_KIND"
	prefix=""
	[[ "$TEMPORAL_KIND" == dev || -z "${TEMPORAL_HISTORY_SHARDS:-}" ]] || prefix="TEMPORAL_HISTORY_SHARDS=$TEMPORAL_HISTORY_SHARDS "
	printf 'command: %sbench/run.sh --customers %s%s\n' "$prefix" "$CUSTOMERS" "$extra"
} | tee -a "$WORK/report.md"
OK=1
