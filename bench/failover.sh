#!/usr/bin/env bash
#
# bench/failover.sh - the node hosting the biggest group SIGKILLed under steady SIP load (bench/RESULTS.md, "Failover
# of a big group"). Group 1's two MariaDB members are bulk-loaded with N contacts (group 2's with 10,000) before any
# node starts; then the deployment of bench/deployment.sh (3 nodes + a proxy, scripts/run-local.sh's defaults, so the
# killed node is started again as a supervisor would) serves lookups (INVITE -> 302 for stored users) and REGISTERs of
# new users from a client that retransmits as RFC 3261 says; after --kill-after seconds the node hosting group 1 is
# SIGKILLed. Prints the load driver's timeline (5 s steps from the kill) and its summary line: when the cluster downed
# the node and group 1 served again, failed lookups and REGISTERs (and those after the downing), the window of slow or
# failed answers, peak RSS, and acknowledged registrations not found afterwards. Everything on loopback, stopped by PID.
#
#   bench/failover.sh [--contacts N] [--lookup-rate R] [--register-rate R] [--seconds S] [--kill-after S] [--keep-logs DIR] [--trace CSV]
#
# Defaults: 1,000,000 contacts, 500 lookups/s and 200 REGISTERs/s for 150 s, the kill after 30 s (the issue's run).

set -Eeuo pipefail
cd "$(dirname "$0")/.."

contacts=1000000
keep_logs=
driver_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --contacts) contacts=$2; shift 2 ;;
    --keep-logs) keep_logs=$2; shift 2 ;;
    --lookup-rate|--register-rate|--seconds|--kill-after|--trace) driver_args+=("$1" "$2"); shift 2 ;;
    *) echo "bench/failover.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

export LA_LOCAL_BACKEND=mariadb
bench_data="$(mktemp -d -t la-bench.XXXXXX)"
dotnet build bench/LocationActors.LoadDriver -c Release -v quiet -nologo >"$bench_data/build.log" 2>&1 || { tail -20 "$bench_data/build.log"; exit 1; }
driver=(dotnet exec bench/LocationActors.LoadDriver/bin/Release/net10.0/LocationActors.LoadDriver.dll)

# The members exist and are filled before scripts/run-local.sh starts the nodes (it creates the same databases if
# missing, and its `init` keeps rows that are there).
export LA_DB_DIR="$bench_data/mariadb" LA_DB_BASE_PORT="${LA_DB_BASE_PORT:-3437}"
# Until bench/deployment.sh takes over the clean-up (its EXIT trap stops the servers and removes the folder).
trap 'scripts/mariadb.sh down --purge >/dev/null 2>&1 || true; rm -rf "$bench_data"' EXIT
scripts/mariadb.sh up >"$bench_data/mariadb-up.log" 2>&1 || { tail -20 "$bench_data/mariadb-up.log"; exit 1; }
# shellcheck disable=SC1091
source "$LA_DB_DIR/env"
for db in "1 la_g1" "2 la_g1" "2 la_g2" "1 la_g2"; do
  set -- $db
  scripts/mariadb.sh sql "$1" "CREATE DATABASE IF NOT EXISTS $2" >/dev/null
done
echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $contacts contacts in group 1"
"${driver[@]}" bulk-load --group 1 --contacts "$contacts" --member "$LA_MARIADB_1_URL/la_g1" "$LA_MARIADB_2_URL/la_g1"
"${driver[@]}" bulk-load --group 2 --contacts 10000 --member "$LA_MARIADB_2_URL/la_g2" "$LA_MARIADB_1_URL/la_g2"

keep() { if [ -n "$keep_logs" ]; then mkdir -p "$keep_logs" && cp -r "$data/logs" "$data/run-local.out" "$keep_logs/"; fi; }
bench_cleanup=keep
# shellcheck source=deployment.sh
source bench/deployment.sh
"${driver[@]}" failover-load --target "127.0.0.1:$sip_port" --http "$http" --pid-dir "$data/run" --group 1 --contacts "$contacts" "${driver_args[@]}"
grep -h "exited with status\|started again" "$data/run-local.out" | sed 's/^/bench: /' || true
