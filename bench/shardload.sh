#!/usr/bin/env bash
# How loaded a Temporal server's history shards were between two samples of its Prometheus
# metrics (as bench/run.sh --temporal postgres keeps them in server-metrics/, files named by their
# Unix time in milliseconds):
#
#   bench/shardload.sh SHARDS FIRST.prom LAST.prom
#
# Why these metrics: a history shard lets one persistence write through at a time (the server's
# dynamic config history.shardIOConcurrency, default 1, a semaphore in the shard's context). Every
# write that changes a workflow (CreateWorkflowExecution, UpdateWorkflowExecution, ...) holds it
# for the length of its database transaction. So one shard can do at most 1 / (mean write
# latency) writes per second, and the share of the window its slot was held says how close it
# came: near 100% and a growing wait for the slot (semaphore_latency, operation "ShardInfo") mean
# the shard was the limit; well below, something else was (usually the CPU, on a small machine).
#
# It prints, over the window: the shard writes and their rate, per shard; their mean latency;
# the share of each shard's time its write slot was held (the sum of those latencies divided by
# the window and the shard count, which assumes the load spread evenly over the shards: workflow
# ids hash evenly); and the mean wait for the slot.

set -euo pipefail

die() {
	printf 'shardload: %s\n' "$*" >&2
	exit 1
}

(($# == 3)) || die "usage: bench/shardload.sh SHARDS FIRST.prom LAST.prom"
shards="$1" first="$2" last="$3"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "SHARDS must be a whole number of at least 1, not '$shards'"
[[ -f "$first" && -f "$last" ]] || die "no such sample: $first or $last"
t0="$(basename "$first" .prom)" t1="$(basename "$last" .prom)"
[[ "$t0" =~ ^[0-9]+$ && "$t1" =~ ^[0-9]+$ ]] && ((t1 > t0)) ||
	die "the samples must be named by their Unix time in milliseconds, the first earlier ($t0, $t1)"

# The writes that take the shard's I/O slot (service/history/shard/context_impl.go in the server
# module calls ioSemaphoreAcquire around each), by the names the persistence metrics give them.
shard_ops='^(CreateWorkflowExecution|UpdateWorkflowExecution|ConflictResolveWorkflowExecution|SetWorkflowExecution|AddTasks|UpdateShard|DeleteWorkflowExecution|DeleteCurrentWorkflowExecution)$'

awk -v window_ms="$((t1 - t0))" -v shards="$shards" -v ops="$shard_ops" '
	# value of label $2 in the series line $1
	function label(line, name,    m) {
		if (match(line, name "=\"[^\"]*\"")) {
			m = substr(line, RSTART + length(name) + 2, RLENGTH - length(name) - 3)
			return m
		}
		return ""
	}
	{
		sign = (FILENAME == ARGV[1]) ? -1 : 1
		series = $1
		value = $NF + 0
		if (series ~ /^persistence_latency_(sum|count)\{/) {
			op = label(series, "operation")
			if (op !~ ops) next
			kind = (series ~ /^persistence_latency_sum/) ? "sum" : "count"
			lat[op, kind] += sign * value
			seen[op] = 1
		} else if (series ~ /^semaphore_latency_(sum|count)\{/ && label(series, "operation") == "ShardInfo") {
			kind = (series ~ /^semaphore_latency_sum/) ? "sum" : "count"
			sem[kind] += sign * value
		}
	}
	END {
		window = window_ms / 1000
		printf "window:            %.1f s between the two samples\n", window
		total = 0; busy = 0; line = ""
		for (op in seen) {
			if (lat[op, "count"] <= 0) continue
			total += lat[op, "count"]; busy += lat[op, "sum"]
			line = line sprintf("%s%s %d (%.1f ms)", (line == "" ? "" : ", "), op, lat[op, "count"], 1000 * lat[op, "sum"] / lat[op, "count"])
		}
		if (total <= 0) { print "shard writes:      none in the window"; exit }
		printf "shard writes:      %d, %.0f/s, %.0f/s per shard: %s\n", total, total / window, total / window / shards, line
		printf "write latency:     mean %.2f ms, so at most %.0f writes/s through one shard at this latency\n", 1000 * busy / total, total / busy
		printf "slot held:         %.0f%% of each shard'"'"'s time (the writes'"'"' latencies / window / %d shards)\n", 100 * busy / window / shards, shards
		if (sem["count"] > 0)
			printf "wait for the slot: mean %.2f ms over %d acquisitions (semaphore_latency, ShardInfo)\n", 1000 * sem["sum"] / sem["count"], sem["count"]
	}
' "$first" "$last"
