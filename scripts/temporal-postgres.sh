#!/usr/bin/env bash
# A production-shaped Temporal: the Temporal server 1.29.1 (the version the pinned CLI's dev
# server embeds, and deploy/docker-compose.yml runs) as its own process on the local PostgreSQL,
# with SQL visibility, instead of the dev server on SQLite.
#
#   scripts/temporal-postgres.sh up       # build (once), create/migrate the databases, start, wait
#   scripts/temporal-postgres.sh status   # running? serving?
#   scripts/temporal-postgres.sh down     # SIGTERM, then SIGKILL after 30 s
#   scripts/temporal-postgres.sh kill     # SIGKILL, as a crash would (the drills use it)
#   scripts/temporal-postgres.sh address  # prints 127.0.0.1:PORT
#   scripts/temporal-postgres.sh pid      # prints the server's pid, if this script started it
#   scripts/temporal-postgres.sh databases # prints its two databases, one a line
#   scripts/temporal-postgres.sh metrics  # prints the URL of its Prometheus metrics
#
# What `up` does:
#   - builds go.temporal.io/server/cmd/server and cmd/tools/sql at TEMPORAL_SERVER_VERSION
#     (scripts/lib.sh) into .bin/temporal-server and .bin/temporal-sql-tool, unless they are
#     there at that version (a cold build takes 2-4 minutes);
#   - creates the databases tailor_temporal and tailor_temporal_visibility on 127.0.0.1:5432 if
#     missing, and migrates both to the schemas shipped in the module
#     (schema/postgresql/v12/{temporal,visibility}/versioned) with temporal-sql-tool;
#   - renders deploy/temporal-postgres/config.yaml.tmpl into .run/temporal-postgres/config/;
#   - starts the server in the background (log: .run/temporal-postgres/server.log), waits for
#     `temporal operator cluster health` to say SERVING, and creates the namespace "default".
#
# Ports (fixed, below the ephemeral range, so a dev server on 7233 and the tests' dev servers on
# random ports run beside it), all counted from the frontend's gRPC port F (TAILOR_TEMPORAL_PG_PORT,
# default 7633): HTTP F+10, history F+1, matching F+2, worker F+6, Prometheus metrics F+3
# (/metrics), membership F-1000, F-999, F-998 and F-994. By default: 7633, 7643, 7634, 7635, 7639,
# 7636 and 6633-6639.
#
# History shards: 4 in the default stack, the one the tests use. A cluster's shard count is fixed
# when its databases are created, so TEMPORAL_HISTORY_SHARDS=N (4 included) gets a stack of its
# own beside the default one, which the benchmarks of shard counts then never touch: databases
# tailor_temporal_shardsN and tailor_temporal_shardsN_visibility, the run folder
# .run/temporal-postgres-shardsN, and F 7733 unless TAILOR_TEMPORAL_PG_PORT says otherwise (two
# such stacks at once need different TAILOR_TEMPORAL_PG_PORT values). Every command acts on the
# stack the environment names, e.g. the benchmark with one shard:
#
#   TEMPORAL_HISTORY_SHARDS=1 scripts/temporal-postgres.sh up
#   TEMPORAL_HISTORY_SHARDS=1 bench/run.sh --temporal postgres --customers 2000
#   TEMPORAL_HISTORY_SHARDS=1 scripts/temporal-postgres.sh down
#
# Its databases stay after `down`; drop them with dropdb when done.
#
# Tailor's search attributes are registered by `starter setup`, per namespace, as on any server;
# the tests register them in each namespace they create.
#
# Environment: TAILOR_TEMPORAL_PG_USER (default postgres) and PGPASSWORD for the database login.

set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_USER="${TAILOR_TEMPORAL_PG_USER:-postgres}"
PG_PASSWORD="${PGPASSWORD:-}"
SHARDS="${TEMPORAL_HISTORY_SHARDS:-4}"
[[ "$SHARDS" =~ ^[1-9][0-9]*$ ]] || die "TEMPORAL_HISTORY_SHARDS must be a whole number of at least 1, not '$SHARDS'"
if [[ -z "${TEMPORAL_HISTORY_SHARDS:-}" ]]; then
	DB="tailor_temporal"
	RUN="$REPO_ROOT/.run/temporal-postgres"
	FRONTEND_PORT="${TAILOR_TEMPORAL_PG_PORT:-7633}"
else
	DB="tailor_temporal_shards$SHARDS"
	RUN="$REPO_ROOT/.run/temporal-postgres-shards$SHARDS"
	FRONTEND_PORT="${TAILOR_TEMPORAL_PG_PORT:-7733}"
fi
VISIBILITY_DB="${DB}_visibility"
[[ "$FRONTEND_PORT" =~ ^[0-9]+$ ]] && ((FRONTEND_PORT >= 2000 && FRONTEND_PORT <= 60000)) ||
	die "TAILOR_TEMPORAL_PG_PORT must be a port from 2000 to 60000 (the membership ports are 1000 below it), not '$FRONTEND_PORT'"
HTTP_PORT=$((FRONTEND_PORT + 10))
HISTORY_PORT=$((FRONTEND_PORT + 1))
MATCHING_PORT=$((FRONTEND_PORT + 2))
METRICS_PORT=$((FRONTEND_PORT + 3))
WORKER_PORT=$((FRONTEND_PORT + 6))
MEMBERSHIP_PORT=$((FRONTEND_PORT - 1000)) # frontend; history, matching and worker follow as above
NAMESPACE="default"
PID_FILE="$RUN/server.pid"
LOG="$RUN/server.log"
SERVER_BIN="$REPO_ROOT/.bin/temporal-server"
SQL_TOOL_BIN="$REPO_ROOT/.bin/temporal-sql-tool"
ADDRESS="127.0.0.1:$FRONTEND_PORT"
UP_WAIT_SECONDS=120
DOWN_WAIT_SECONDS=30

usage() {
	sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# server_is_pinned reports whether the binary at $1 was built from go.temporal.io/server at the
# pinned version.
server_is_pinned() {
	[[ -x "$1" ]] && go version -m "$1" 2>/dev/null |
		awk -v want="v${TEMPORAL_SERVER_VERSION}" '$1 == "mod" && $2 == "go.temporal.io/server" && $3 == want { found = 1 } END { exit !found }'
}

# build_server_binary builds package $1 of the server module into .bin/ under the name $2.
build_server_binary() {
	local pkg="$1" bin="$2" gobin
	if server_is_pinned "$bin"; then
		note "$(basename "$bin") v$TEMPORAL_SERVER_VERSION at .bin/$(basename "$bin")"
		return 0
	fi
	note "building $pkg@v$TEMPORAL_SERVER_VERSION into .bin/$(basename "$bin") (a cold build takes a few minutes)"
	gobin="$(mktemp -d)"
	GOBIN="$gobin" go install "$pkg@v$TEMPORAL_SERVER_VERSION" ||
		die "could not build $pkg@v$TEMPORAL_SERVER_VERSION (needs network for a cold module cache)"
	mkdir -p "$REPO_ROOT/.bin"
	mv "$gobin/$(basename "$pkg")" "$bin"
	rmdir "$gobin"
	server_is_pinned "$bin" || die "$bin is not go.temporal.io/server v$TEMPORAL_SERVER_VERSION after install"
}

# module_dir prints where the Go module cache holds the server module (downloading it if needed).
module_dir() {
	local dir
	dir="$(cd "$(mktemp -d)" && go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[[ -d "$dir/schema/postgresql/v12" ]] || die "no schema/postgresql/v12 in the server module at '$dir'"
	printf '%s' "$dir"
}

sql_tool() {
	SQL_PLUGIN=postgres12 SQL_HOST="$PG_HOST" SQL_PORT="$PG_PORT" SQL_USER="$PG_USER" \
		SQL_PASSWORD="$PG_PASSWORD" "$SQL_TOOL_BIN" "$@"
}

psql_admin() {
	psql "postgres://$PG_USER@$PG_HOST:$PG_PORT/postgres?sslmode=disable" -XtAc "$1"
}

# migrate_database creates database $1 if missing and brings it to the newest schema in $2.
migrate_database() {
	local db="$1" schema="$2" exists has_version
	exists="$(psql_admin "select 1 from pg_database where datname = '$db'")"
	if [[ "$exists" != "1" ]]; then
		note "creating database $db"
		sql_tool --db "$db" create-database >>"$RUN/sql-tool.log" 2>&1 ||
			die "temporal-sql-tool create-database $db failed; see $RUN/sql-tool.log"
	fi
	has_version="$(psql "postgres://$PG_USER@$PG_HOST:$PG_PORT/$db?sslmode=disable" -XtAc \
		"select 1 from information_schema.tables where table_name = 'schema_version'")"
	if [[ "$has_version" != "1" ]]; then
		sql_tool --db "$db" setup-schema -v 0.0 >>"$RUN/sql-tool.log" 2>&1 ||
			die "temporal-sql-tool setup-schema $db failed; see $RUN/sql-tool.log"
	fi
	sql_tool --db "$db" update-schema -d "$schema" >>"$RUN/sql-tool.log" 2>&1 ||
		die "temporal-sql-tool update-schema $db failed; see $RUN/sql-tool.log"
	note "$db at schema $(psql "postgres://$PG_USER@$PG_HOST:$PG_PORT/$db?sslmode=disable" -XtAc 'select curr_version from schema_version')"
}

# render_config writes the server config from the template in deploy/temporal-postgres/.
render_config() {
	local template="$REPO_ROOT/deploy/temporal-postgres/config.yaml.tmpl"
	mkdir -p "$RUN/config"
	sed -e "s#@DB@#$DB#g" -e "s#@VISIBILITY_DB@#$VISIBILITY_DB#g" \
		-e "s#@PG_ADDR@#$PG_HOST:$PG_PORT#g" -e "s#@PG_USER@#$PG_USER#g" \
		-e "s#@PG_PASSWORD@#$PG_PASSWORD#g" -e "s#@FRONTEND_PORT@#$FRONTEND_PORT#g" \
		-e "s#@METRICS_PORT@#$METRICS_PORT#g" -e "s#@HTTP_PORT@#$HTTP_PORT#g" \
		-e "s#@HISTORY_PORT@#$HISTORY_PORT#g" -e "s#@MATCHING_PORT@#$MATCHING_PORT#g" \
		-e "s#@WORKER_PORT@#$WORKER_PORT#g" \
		-e "s#@FRONTEND_MEMBERSHIP_PORT@#$MEMBERSHIP_PORT#g" \
		-e "s#@HISTORY_MEMBERSHIP_PORT@#$((MEMBERSHIP_PORT + 1))#g" \
		-e "s#@MATCHING_MEMBERSHIP_PORT@#$((MEMBERSHIP_PORT + 2))#g" \
		-e "s#@WORKER_MEMBERSHIP_PORT@#$((MEMBERSHIP_PORT + 6))#g" \
		-e "s#@NUM_HISTORY_SHARDS@#$SHARDS#g" \
		-e "s#@DYNAMIC_CONFIG@#$REPO_ROOT/deploy/temporal-postgres/dynamicconfig.yaml#g" \
		"$template" >"$RUN/config/tailor.yaml"
	if grep -q '@[A-Z_]*@' "$RUN/config/tailor.yaml"; then
		die "$template has placeholders this script does not fill: $(grep -o '@[A-Z_]*@' "$RUN/config/tailor.yaml" | sort -u | paste -sd' ')"
	fi
}

# running_pid prints the pid of the server this script started, if it is alive: after a crash
# or a reboot the pid in the file may belong to another process by now, which must not be stopped.
# The kernel names the executable by its real path, so .bin/temporal-server may be a symlink.
running_pid() {
	local pid
	[[ -f "$PID_FILE" ]] || return 1
	pid="$(<"$PID_FILE")"
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null &&
		[[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(readlink -f "$SERVER_BIN")" ]] && printf '%s' "$pid"
}

serving() {
	"$TEMPORAL_CLI_PATH" operator cluster health --address "$ADDRESS" 2>/dev/null | grep -q SERVING
}

cmd_up() {
	step "PostgreSQL"
	ensure_postgres
	step "Temporal CLI and server v$TEMPORAL_SERVER_VERSION"
	ensure_temporal
	build_server_binary go.temporal.io/server/cmd/server "$SERVER_BIN"
	build_server_binary go.temporal.io/server/cmd/tools/sql "$SQL_TOOL_BIN"

	mkdir -p "$RUN"
	if pid="$(running_pid)"; then
		note "the server is already running (pid $pid)"
	else
		step "databases $DB and $VISIBILITY_DB"
		local module
		module="$(module_dir)"
		migrate_database "$DB" "$module/schema/postgresql/v12/temporal/versioned"
		migrate_database "$VISIBILITY_DB" "$module/schema/postgresql/v12/visibility/versioned"

		step "starting the server on $ADDRESS, $SHARDS history shards (log: ${LOG#"$REPO_ROOT/"})"
		render_config
		if serving; then
			die "something already serves Temporal on $ADDRESS, not started by this script; stop it or set TAILOR_TEMPORAL_PG_PORT"
		fi
		printf '\n--- %s start ---\n' "$(date -u +%FT%TZ)" >>"$LOG"
		# setsid: its own session, so that a Ctrl-C in the terminal that ran `up` does not stop it.
		setsid "$SERVER_BIN" --root "$RUN" --config config --env tailor --allow-no-auth start \
			>>"$LOG" 2>&1 </dev/null &
		echo $! >"$PID_FILE"
	fi

	local started=$SECONDS
	until serving; do
		if ! running_pid >/dev/null; then
			tail -n 30 "$LOG" >&2
			die "the server exited at start; the end of $LOG is above"
		fi
		((SECONDS - started < UP_WAIT_SECONDS)) || die "the server did not say SERVING within ${UP_WAIT_SECONDS}s; see $LOG"
		sleep 0.5
	done
	note "SERVING after $((SECONDS - started))s"

	if ! "$TEMPORAL_CLI_PATH" operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
		"$TEMPORAL_CLI_PATH" operator namespace create --namespace "$NAMESPACE" --retention 72h --address "$ADDRESS" >/dev/null
		note "created namespace $NAMESPACE"
	fi
	# A new namespace reaches every service's cache within system.namespaceCacheRefreshInterval (2 s).
	started=$SECONDS
	until "$TEMPORAL_CLI_PATH" workflow list --namespace "$NAMESPACE" --address "$ADDRESS" --limit 1 >/dev/null 2>&1; do
		((SECONDS - started < 30)) || die "namespace $NAMESPACE did not become usable within 30s"
		sleep 0.5
	done
	note "namespace $NAMESPACE ready; TEMPORAL_ADDRESS=$ADDRESS"
}

cmd_down() {
	local pid
	if ! pid="$(running_pid)"; then
		rm -f "$PID_FILE"
		note "the server is not running"
		return 0
	fi
	kill -TERM "$pid"
	local started=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS - started >= DOWN_WAIT_SECONDS)); then
			note "still running after ${DOWN_WAIT_SECONDS}s; SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	rm -f "$PID_FILE"
	note "stopped (pid $pid) after $((SECONDS - started))s"
}

cmd_kill() {
	local pid
	pid="$(running_pid)" || die "the server is not running"
	kill -KILL "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	note "killed (pid $pid) with SIGKILL; the pid file stays, as after a crash"
}

cmd_status() {
	local pid
	if ! pid="$(running_pid)"; then
		echo "not running"
		return 3
	fi
	ensure_temporal >/dev/null
	if serving; then
		echo "running (pid $pid), SERVING on $ADDRESS"
	else
		echo "running (pid $pid), not serving on $ADDRESS yet"
		return 1
	fi
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
kill) cmd_kill ;;
status) cmd_status ;;
address) printf '%s\n' "$ADDRESS" ;;
pid) running_pid && echo || die "the server with $SHARDS history shards (${RUN#"$REPO_ROOT/"}) is not running" ;;
databases) printf '%s\n' "$DB" "$VISIBILITY_DB" ;;
metrics) printf 'http://127.0.0.1:%s/metrics\n' "$METRICS_PORT" ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
