#!/usr/bin/env bash
# Runs the end-to-end tests, the drills and the campaign tests against the production-shaped
# Temporal server of scripts/temporal-postgres.sh (Temporal 1.29.1 on PostgreSQL, SQL visibility)
# instead of a dev server per test. scripts/test.sh runs it after the other packages (unless
# TAILOR_TEMPORAL=dev or it is given arguments); docs/RELIABILITY.md says what it costs and why.
#
#   scripts/test-postgres-temporal.sh                    # e2e/, and the campaign tests
#   scripts/test-postgres-temporal.sh -run Story ./e2e   # extra arguments replace the default set
#
# The server is started if it is not running, and stopped at the end only if this script started
# it. Each test registers a namespace of its own on it (internal/temporaltest), so runs do not
# see each other's workflows.

set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
server="$REPO_ROOT/scripts/temporal-postgres.sh"

started_here=0
if ! "$server" status >/dev/null 2>&1; then
	started_here=1
fi
"$server" up
if ((started_here)); then
	trap '"$server" down' EXIT
fi

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
ensure_database_access "$TEST_DATABASE_URL"
export TAILOR_TEST_TEMPORAL_ADDRESS
TAILOR_TEST_TEMPORAL_ADDRESS="$("$server" address)"

step "go test against $TAILOR_TEST_TEMPORAL_ADDRESS"
if (($# > 0)); then
	go test -count=1 -timeout 20m "$@"
else
	# The story, the pages, the metrics and every drill (the Temporal server SIGKILL drill runs
	# only here), then the campaign tests of the workflow and of the starter.
	go test -count=1 -timeout 20m ./e2e
	go test -count=1 -timeout 10m -run '^TestCampaign' ./workflows ./starter
fi
