# shellcheck shell=bash
# Shared helpers for Tailor's scripts. Source it, don't run it:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# It makes sure what the tests and the demo need is there, installing and
# starting it when it is not: PostgreSQL on 127.0.0.1:5432 and the pinned
# Temporal CLI (dev server) in the repo's .bin/.

set -euo pipefail

# The Temporal CLI is pinned here and only here. Later versions fail to
# `go install`; bump deliberately and check the dev server still serves the
# search attributes and the UI the tests and the README rely on.
TEMPORAL_CLI_VERSION="1.5.1"
TEMPORAL_CLI_PACKAGE="github.com/temporalio/cli/cmd/temporal"

# The Temporal server that scripts/temporal-postgres.sh builds and runs on PostgreSQL: the
# version the pinned CLI's dev server embeds. deploy/docker-compose.yml runs the same image tag;
# deploy/compose_test.go reads it from this line and fails when they differ.
TEMPORAL_SERVER_VERSION="1.29.1"

# workflowcheck, the SDK's static determinism check, is pinned here and run
# with `go run pkg@version`: it builds from its own go.mod (it imports no SDK,
# only golang.org/x/tools), so our go.mod carries none of its dependencies.
# It analyses our code with our go.mod's go.temporal.io/sdk; v0.6.0 is the
# newest release and knows the SDK internals it must treat as deterministic.
WORKFLOWCHECK_VERSION="v0.6.0"
WORKFLOWCHECK_PACKAGE="go.temporal.io/sdk/contrib/tools/workflowcheck"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_HOST="127.0.0.1"
PG_PORT="5432"
PG_WAIT_SECONDS=30

# step prints a short header so a long log shows where it is.
step() {
	printf '\n==> %s\n' "$*"
}

note() {
	printf '    %s\n' "$*"
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# redact_url hides the password of a postgres:// URL before it is printed.
redact_url() {
	printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#'
}

postgres_ready() {
	command -v pg_isready >/dev/null 2>&1 &&
		pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1
}

# start_postgres_cluster starts the Debian/Ubuntu "main" cluster of the newest
# installed PostgreSQL version, without systemd (there may be none).
start_postgres_cluster() {
	local version
	version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1)"
	if [[ -z "$version" ]]; then
		die "/etc/postgresql has no cluster; create one with: pg_createcluster --start <version> main"
	fi
	if pg_ctlcluster "$version" main status >/dev/null 2>&1; then
		note "PostgreSQL $version/main is running but not answering on $PG_HOST:$PG_PORT;" \
			"check 'port' and 'listen_addresses' in /etc/postgresql/$version/main/postgresql.conf"
		return 0
	fi
	note "starting PostgreSQL $version/main"
	pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
		die "could not start PostgreSQL $version/main; run as root or as the postgres user," \
			"or start PostgreSQL yourself so that it listens on $PG_HOST:$PG_PORT"
}

# ensure_postgres makes sure a PostgreSQL server answers on 127.0.0.1:5432,
# starting the local cluster or installing PostgreSQL (root + apt) if needed.
ensure_postgres() {
	if postgres_ready; then
		note "PostgreSQL is accepting connections on $PG_HOST:$PG_PORT"
		return 0
	fi
	if [[ -d /etc/postgresql ]]; then
		start_postgres_cluster
	elif command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" -eq 0 ]]; then
		note "PostgreSQL is not installed; installing it with apt-get (needs network, takes a minute)"
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
		start_postgres_cluster
	else
		die "PostgreSQL is not running on $PG_HOST:$PG_PORT and cannot be installed from here" \
			"(needs root and apt-get). Install PostgreSQL and start it on that address," \
			"or point TEST_DATABASE_URL at a server of yours."
	fi

	local waited=0
	until postgres_ready; do
		if ((waited >= PG_WAIT_SECONDS)); then
			die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within ${PG_WAIT_SECONDS}s;" \
				"see the server log under /var/log/postgresql/"
		fi
		sleep 1
		waited=$((waited + 1))
	done
	note "PostgreSQL is accepting connections on $PG_HOST:$PG_PORT"
}

# ensure_database_access checks that the URL logs in. A fresh Debian/Ubuntu
# PostgreSQL asks for a password over TCP while the superuser has none; in
# that one case, as root, it gives the local postgres role the password
# "postgres" and exports PGPASSWORD (pgx and psql read it). Anything else is
# reported, not changed.
ensure_database_access() {
	local url="$1" shown err has_no_password
	shown="$(redact_url "$url")"
	if ! command -v psql >/dev/null 2>&1; then
		note "psql not found; not checking that $shown logs in"
		return 0
	fi
	if err="$(psql "$url" -XtAc 'select 1' 2>&1 >/dev/null)"; then
		note "logged in to $shown"
		return 0
	fi
	case "$err" in
	*"password authentication failed"* | *"no password supplied"*) ;;
	*) die "cannot connect to $shown: $err" ;;
	esac
	if [[ "$(id -u)" -ne 0 || -n "${PGPASSWORD:-}" || "$url" != postgres://postgres@127.0.0.1:* ]] ||
		! command -v runuser >/dev/null 2>&1; then
		die "PostgreSQL wants a password for $shown; set PGPASSWORD, or set TEST_DATABASE_URL" \
			"to a URL with user and password that can create databases"
	fi
	has_no_password="$(runuser -u postgres -- psql -XtAc \
		"select rolpassword is null from pg_authid where rolname = 'postgres'" 2>/dev/null || true)"
	if [[ "$has_no_password" != "t" ]]; then
		die "PostgreSQL wants a password for $shown and the postgres role already has one;" \
			"export PGPASSWORD=<it> and run again"
	fi
	note "the local postgres role has no password; setting it to 'postgres' for TCP logins"
	runuser -u postgres -- psql -XqtAc "alter role postgres password 'postgres'" >/dev/null
	export PGPASSWORD="postgres"
	err="$(psql "$url" -XtAc 'select 1' 2>&1 >/dev/null)" || die "cannot connect to $shown: $err"
	note "logged in to $shown"
}

# temporal_cli_is_pinned reports whether the binary at $1 is the pinned CLI:
# a release build says so in --version, a `go install` build in its module info.
temporal_cli_is_pinned() {
	local bin="$1"
	[[ -x "$bin" ]] || return 1
	if "$bin" --version 2>/dev/null | grep -q "version ${TEMPORAL_CLI_VERSION}[ ]"; then
		return 0
	fi
	go version -m "$bin" 2>/dev/null |
		awk -v want="v${TEMPORAL_CLI_VERSION}" '$1 == "mod" && $2 == "github.com/temporalio/cli" && $3 == want { found = 1 } END { exit !found }'
}

# ensure_temporal installs the pinned Temporal CLI into .bin/ and exports
# TEMPORAL_CLI_PATH, which the tests use to start a dev server.
ensure_temporal() {
	command -v go >/dev/null 2>&1 || die "go is not on PATH; install Go (see go.mod for the version)"
	local bin="$REPO_ROOT/.bin/temporal"
	if temporal_cli_is_pinned "$bin"; then
		note "Temporal CLI v$TEMPORAL_CLI_VERSION at .bin/temporal"
	else
		note "building Temporal CLI v$TEMPORAL_CLI_VERSION into .bin/ (the first build takes a few minutes)"
		mkdir -p "$REPO_ROOT/.bin"
		GOBIN="$REPO_ROOT/.bin" go install "${TEMPORAL_CLI_PACKAGE}@v${TEMPORAL_CLI_VERSION}" ||
			die "could not build the Temporal CLI v$TEMPORAL_CLI_VERSION (needs network for a cold module cache)"
		temporal_cli_is_pinned "$bin" || die "$bin is not Temporal CLI v$TEMPORAL_CLI_VERSION after install"
		note "installed .bin/temporal"
	fi
	export TEMPORAL_CLI_PATH="$bin"
}

# ensure_chromium makes sure headless Chromium is there for the browser tests (the HTML report, the customer pages):
# CHROMIUM_PATH, else /usr/bin/chromium, installing Debian's chromium package as root with apt-get
# when missing (about half a minute here). It exports CHROMIUM_PATH and TAILOR_REQUIRE_BROWSER=1,
# so that under this script a browser test fails instead of skipping.
ensure_chromium() {
	local bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
	if [[ ! -x "$bin" ]]; then
		if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" -eq 0 ]]; then
			note "Chromium is not installed; installing it with apt-get (needs network, takes about a minute)"
			DEBIAN_FRONTEND=noninteractive apt-get install -y chromium ||
				{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } ||
				die "could not install chromium with apt-get"
		else
			die "no Chromium at $bin and it cannot be installed from here (needs root and apt-get);" \
				"install Debian's chromium package (or Google Chrome) and set CHROMIUM_PATH to it"
		fi
	fi
	[[ -x "$bin" ]] || die "no Chromium at $bin after installing the chromium package; set CHROMIUM_PATH"
	export CHROMIUM_PATH="$bin" TAILOR_REQUIRE_BROWSER=1
	note "Chromium at $bin"
}
