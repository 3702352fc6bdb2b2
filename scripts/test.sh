#!/usr/bin/env bash
# Runs every check and test of Tailor; the README's test command, and what
# .ci/run executes on a fresh machine with Go and PostgreSQL.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -run TestStory  # extra arguments go to `go test`
#   scripts/test.sh ./workflows     # a package pattern replaces ./...
#   TAILOR_TEMPORAL=dev scripts/test.sh   # e2e on dev servers too (no Temporal server build)
#
# Without arguments, e2e and the campaign tests run on the PostgreSQL-backed Temporal server of
# scripts/temporal-postgres.sh (built into .bin/ on first use, a few minutes); all else, and any
# run with arguments, on dev servers of the pinned CLI.
#
# It starts (or installs) PostgreSQL, installs Chromium and builds the pinned
# Temporal CLI when they are missing. Tests read TEST_DATABASE_URL (default: the local server's
# postgres database) and TEMPORAL_CLI_PATH (the CLI in .bin/).

set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

command -v go >/dev/null 2>&1 || die "go is not on PATH; install Go (see go.mod for the version)"

step "PostgreSQL"
ensure_postgres
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
ensure_database_access "$TEST_DATABASE_URL"

step "Temporal CLI"
ensure_temporal

step "Chromium (the browser tests: the HTML report, the customer pages)"
ensure_chromium

step "go vet"
go vet ./...

step "gofmt"
unformatted="$(gofmt -l .)"
if [[ -n "$unformatted" ]]; then
	printf '%s\n' "$unformatted" | sed 's/^/    /' >&2
	die "the files above are not gofmt-ed; run: gofmt -w ."
fi
note "all Go files are formatted"

step "determinism fence: what ./workflows reaches"
# Workflow code is replayed, so it must not reach I/O. STYLE.md, Boundaries.
module="$(go list -m)"
forbidden="github\.com/jackc/pgx|sendgrid|${module//./\\.}/internal/(store|outbox)(/|$)"
deps="$(go list -deps ./workflows)"
leaks="$(grep -E "$forbidden" <<<"$deps" || true)"
if [[ -n "$leaks" ]]; then
	printf '    %s\n' "./workflows depends on:" >&2
	printf '%s\n' "$leaks" | sed 's/^/      /' >&2
	printf '    %s\n' "imported by:" >&2
	go list -deps -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' ./workflows |
		awk -v leaks="$leaks" 'BEGIN { n = split(leaks, l, "\n"); for (i = 1; i <= n; i++) bad[l[i]] = 1 }
			{ for (i = 2; i <= NF; i++) if ($i in bad) printf "      %s -> %s\n", $1, $i }' >&2
	die "./workflows must not reach pgx, sendgrid, internal/store or internal/outbox; inject them through activities"
fi
note "./workflows reaches none of pgx, sendgrid, internal/store, internal/outbox"

step "test-helper fence: what production code reaches"
# Test helpers live in packages whose name ends in "test" (internal/store/storetest,
# internal/temporaltest), imported only from _test.go files. Every other package of the module,
# the binaries among them, must not import testing, testify or such a helper, nor reach a package
# that does. One importer is allowed: the Temporal SDK's go.temporal.io/sdk/internal, which holds
# its test suite and imports testing and testify, so that every client of the SDK reaches them.
helpers="$(go list -f '{{.ImportPath}} {{.Name}}' ./... | awk '$2 ~ /test$/ { print $1 }')"
production="$(go list -f '{{.ImportPath}} {{.Name}}' ./... | awk '$2 !~ /test$/ { print $1 }')"
# shellcheck disable=SC2086 # one package per word
helper_leaks="$(go list -deps -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' $production |
	awk -v helpers="$helpers" '
		BEGIN { n = split(helpers, h, "\n"); for (i = 1; i <= n; i++) helper[h[i]] = 1 }
		$1 ~ /^github\.com\/stretchr\/testify\// || $1 == "go.temporal.io/sdk/internal" { next }
		{ for (i = 2; i <= NF; i++) if ($i == "testing" || $i ~ /^github\.com\/stretchr\/testify(\/|$)/ || ($i in helper)) printf "      %s -> %s\n", $1, $i }')"
if [[ -n "$helper_leaks" ]]; then
	printf '    %s\n' "production code imports test code (importer -> imported):" >&2
	printf '%s\n' "$helper_leaks" >&2
	die "only _test.go files may import testing, testify or a *test helper package; move what needs testing.TB into a package named like internal/store/storetest, or take a small interface (a Cleanup func) instead"
fi
note "no production package reaches testing, testify or a test helper ($(wc -w <<<"$helpers") helpers: $(xargs -n1 basename <<<"$helpers" | paste -sd, -))"
step "workflowcheck $WORKFLOWCHECK_VERSION: no time.Now, map range, goroutine or channel in a workflow"
# The fence above sees imports; workflowcheck sees calls, through every package a
# workflow calls into. A false positive gets `//workflowcheck:ignore` on its line
# with a comment saying why the call is deterministic.
go run "${WORKFLOWCHECK_PACKAGE}@${WORKFLOWCHECK_VERSION}" ./workflows/... ||
	die "workflowcheck found non-deterministic code in a workflow (above); use workflow.Now, workflow.Go, workflow channels, sorted map keys"
note "workflowcheck found nothing"

step "go test"
# Extra arguments go to go test; unless one of them names packages, test all.
packages=(./...)
for arg in "$@"; do
	if [[ "$arg" == . || "$arg" == ./* || "$arg" == ../* || "$arg" == *...* || "$arg" == "$module"* ]]; then
		packages=()
		break
	fi
done
if (($# > 0)) || [[ "${TAILOR_TEMPORAL:-postgres}" == dev ]]; then
	go test -count=1 -timeout 20m "$@" "${packages[@]}"
	exit 0
fi

# The whole suite (what CI runs): every package but e2e on dev servers, one per test; then e2e
# and the campaign tests on the production-shaped server (Temporal 1.29.1 on PostgreSQL, SQL
# visibility), so that CI proves what deploy/docker-compose.yml runs. Drill 3 restarts a dev
# server of its own either way; TestDrillTemporalServerKilled runs only there.
# TAILOR_TEMPORAL=dev runs e2e on dev servers instead (no server build).
mapfile -t packages < <(go list ./... | grep -vx "$module/e2e")
go test -count=1 -timeout 20m "${packages[@]}"

step "e2e and campaign tests on the production-shaped Temporal (TAILOR_TEMPORAL=postgres)"
"$REPO_ROOT/scripts/test-postgres-temporal.sh"
