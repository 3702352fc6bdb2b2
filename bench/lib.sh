# Shared by bench/run.sh and bench/memory.sh: processes, a throw-away database, the binaries'
# environment. Source it after scripts/lib.sh, once ADMIN_URL, DB_NAME, WORK and KEEP are set.
# Each script sets SERVER_PID, WORKER_PID (and SINK_PID), DB_CREATED, OK and APP_ENV as it goes,
# and KEPT_FILES to say what the work folder holds.

# bench_database_url is ADMIN_URL with its database replaced by DB_NAME.
bench_database_url() {
	printf '%s' "$ADMIN_URL" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$DB_NAME#"
}

# stop ends one process this script started, politely first.
stop() {
	local pid="$1"
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# teardown stops what the script started, drops its database and removes the work folder unless
# the run failed or --keep asked to keep it.
teardown() {
	local code=$?
	set +e
	step "tearing down"
	stop "${WORKER_PID:-}"
	stop "${SINK_PID:-}"
	stop "${SERVER_PID:-}"
	stop "${SAMPLER_PID:-}"
	if ((DB_CREATED)); then
		psql "$ADMIN_URL" -XqtAc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null && note "dropped database $DB_NAME"
	fi
	if ((OK && !KEEP)); then
		rm -rf "$WORK"
	else
		note "$KEPT_FILES are in $WORK"
	fi
	exit "$code"
}

# app runs a Tailor binary with only the benchmark's environment (APP_ENV, set once the ports
# are known): a developer's own SENDGRID_API_KEY, TEMPORAL_* or WORKFLOW_CACHE_SIZE must not leak
# in. env execs the binary, so "env -i ... &" (not "app ... &") keeps $! the binary's own pid.
app() { env -i "${APP_ENV[@]}" "$@"; }

# wait_for runs "$@" until it succeeds, for at most $1 seconds.
wait_for() {
	local limit="$1" what="$2" waited=0
	shift 2
	until "$@" >/dev/null 2>&1; do
		((waited < limit * 10)) || die "$what did not come up within ${limit}s; see $WORK"
		sleep 0.1
		waited=$((waited + 1))
	done
}

# postgres_cpu_ticks prints the CPU time, in clock ticks, that the PostgreSQL backends serving the
# databases matching the extended regex $1 have used so far (utime + stime of each live backend
# whose process title names such a database). Sampled before and after a measurement, like pidstat.
# Other work on the same server (and PostgreSQL's shared background processes) is left out; a
# backend that exits between the samples is lost, which the connection pools of pgx and of Temporal
# (long-lived connections) make rare.
postgres_cpu_ticks() {
	local databases="$1" total=0 pid title stat rest
	for pid in $(pgrep -x postgres || true); do
		title="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
		# "postgres: [CLUSTER: ]USER DATABASE HOST(PORT) STATE", e.g. "postgres: 15/main: postgres tailor_temporal ..."
		[[ "$title" =~ ^postgres:\ ([^\ ]+:\ )?[^\ ]+\ ($databases)\  ]] || continue
		stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
		rest="${stat##*) }" # fields from the 3rd on; the name in () may hold spaces
		# shellcheck disable=SC2086
		set -- $rest
		total=$((total + ${12} + ${13}))
	done
	printf '%s' "$total"
}

# sample_server_metrics writes the Prometheus metrics at URL $1 into folder $2 every 2 s, one file
# per sample named by its Unix time in milliseconds, until it is stopped. Only the families
# bench/shardload.sh reads are kept: a full sample is megabytes.
sample_server_metrics() {
	local url="$1" dir="$2" now
	while :; do
		now="$(date +%s%3N)"
		curl -sf --max-time 2 "$url" |
			grep -E '^(persistence_latency|persistence_requests|semaphore_latency|semaphore_requests)' \
				>"$dir/$now.prom.tmp" && mv "$dir/$now.prom.tmp" "$dir/$now.prom"
		sleep 2
	done
}
