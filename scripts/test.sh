#!/usr/bin/env bash
#
# scripts/test.sh - runs every test of the solution for real: unit tests, and integration tests against local
# MariaDB and PostgreSQL servers started by scripts/mariadb.sh and scripts/postgres.sh, and Kamailio's own schema
# scripts.
#
# Installs what is missing through apt-get (needs root on a fresh machine), starts the MariaDB and PostgreSQL
# instances unless they already run (and then stops them again), and ends with one line: "N passed, N failed".
#
# Then, unless arguments narrowed the run or LA_TEST_CHAOS=0, two short chaos runs count as one more test each: they
# pass when nothing acknowledged was lost, no answer was wrong and no group was written by two nodes at once.
# scripts/chaos.sh (about 5 minutes: every fault kind under load once, seed 1; as root with --netns, every process in
# a network namespace of its own, so that a partition is among them), and scripts/chaos.sh --mixed (about 3
# minutes: beside a real Kamailio p_usrloc on the same databases, a member's return after maintenance, a killed and a
# frozen server).
#
# --fast runs the Unit tier alone (tests that need nothing outside their process; about a minute): no MariaDB, no
# packages, no chaos run. Tiers are xUnit traits (tests/LocationActors.TestSupport/Tier.cs): Unit, Db, Process,
# Kamailio; e.g. `scripts/test.sh --filter Tier=Db`.
#
# Environment: LA_DB_* as in scripts/mariadb.sh, LA_PG_* as in scripts/postgres.sh; LA_TEST_CONFIGURATION (default Release); LA_TEST_CHAOS;
# extra arguments are passed to `dotnet test` (e.g. --filter Tier=Process).

set -uo pipefail
cd "$(dirname "$0")/.."

configuration="${LA_TEST_CONFIGURATION:-Release}"
log="$(mktemp -t la-test.XXXXXX)"
started_db=0
started_pg=0

say() { printf 'test.sh: %s\n' "$*" >&2; }

# PostgreSQL (its servers are started as MariaDB's are), Kamailio's schema scripts (the compatibility tests compare our
# tables with them), http_client and jansson (the edge
# proxy of deploy/kamailio/edge.cfg asks the HTTP API with them), sipp and sipsak (the SIP tests), docker-compose (the
# deployment tests validate docker-compose.yml with it; no Docker engine is needed), iproute2 and iptables (the chaos
# run's network namespaces and partitions), prometheus for its promtool (the tests check and unit-test the shipped alert
# rules with it; the Prometheus server it also installs is not used), chromium (the status page is tested in it, driven by
# Playwright, which downloads no browser of its own).
ensure_packages() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing packages: ${missing[*]} (run as root, or apt-get install them)"; return 1
  fi
  say "installing ${missing[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

cleanup() {
  if [ "$started_db" -eq 1 ]; then
    scripts/mariadb.sh down --purge >/dev/null 2>&1 || scripts/mariadb.sh down >/dev/null 2>&1
  fi
  if [ "$started_pg" -eq 1 ]; then
    scripts/postgres.sh down --purge >/dev/null 2>&1 || scripts/postgres.sh down >/dev/null 2>&1
  fi
  rm -f "$log"
}
trap cleanup EXIT

# Passed: 114 / Failed: 0 from the summary line of each test assembly.
summarise() {
  passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
  failed=$(grep -Eo 'Failed: +[0-9]+,' "$log" | tr -d , | awk '{s+=$2} END {print s+0}')
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # the build or the test host failed before any test could report
  fi
}

if [ "${1:-}" = "--fast" ]; then
  shift
  dotnet test LocationActors.sln -c "$configuration" --filter "Tier=Unit" "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  summarise
  echo "$passed passed, $failed failed"
  exit "$status"
fi

ensure_packages postgresql kamailio-mysql-modules kamailio-postgres-modules kamailio-sqlite-modules kamailio-utils-modules kamailio-extra-modules sip-tester sipsak docker-compose iproute2 iptables prometheus chromium || { echo "0 passed, 1 failed"; exit 1; }

# Instances under an existing LA_DB_DIR are a developer's: `up` reuses (or restarts) them and they stay. Only a
# folder this run creates is stopped and removed at the end.
db_dir="${LA_DB_DIR:-${TMPDIR:-/tmp}/locationactors-mariadb}"
[ -e "$db_dir" ] || started_db=1
scripts/mariadb.sh up >&2 || { say "could not start MariaDB"; echo "0 passed, 1 failed"; exit 1; }
pg_dir="${LA_PG_DIR:-${TMPDIR:-/tmp}/locationactors-postgres}"
[ -e "$pg_dir" ] || started_pg=1
scripts/postgres.sh up >&2 || { say "could not start PostgreSQL"; echo "0 passed, 1 failed"; exit 1; }

dotnet test LocationActors.sln -c "$configuration" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

summarise

if [ $# -eq 0 ] && [ "${LA_TEST_CHAOS:-1}" != 0 ]; then
  chaos=(--duration 210 --fault-interval 15 --seed 1)
  if [ "$(id -u)" -eq 0 ]; then
    chaos+=(--netns --faults kill-node,pause-node,kill-db,freeze-db,master-away,restart-proxy,compound,partition)
  fi
  say "chaos run (scripts/chaos.sh ${chaos[*]})"
  if scripts/chaos.sh "${chaos[@]}" >&2; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); status=1
  fi
  say "chaos run beside Kamailio (scripts/chaos.sh --mixed --duration 60 --fault-interval 15 --seed 1)"
  if scripts/chaos.sh --mixed --duration 60 --fault-interval 15 --seed 1 >&2; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); status=1
  fi
fi
echo "$passed passed, $failed failed"
exit "$status"
