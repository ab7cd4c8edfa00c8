#!/usr/bin/env bash
#
# scripts/chaos.sh - kills and pauses nodes and databases under load, and proves that nothing acknowledged is lost.
# On loopback only, bounded in time: starts 3 MariaDB servers (members of each group on servers 1 and 2, the master
# on 3), 3 cluster nodes and two proxies; drives registrations, refreshes, removals and lookups through the proxies
# while faults follow a seeded schedule; then checks the history and prints a summary ending in the line
#   chaos: ops=N acked=N lost=0 wrong=0 availability=99.95% longest_gap_ms=N
# Everything it started is stopped (by PID) at the end. Exit code 0 when lost=0 and wrong=0.
#
#   scripts/chaos.sh [--duration SECONDS] [--seed N] [--fault-interval SECONDS] [--faults KIND,...] [--users N]
#
#   --faults KIND,...  only these fault kinds (kill-node, pause-node, kill-db, freeze-db, master-away, restart-proxy)
#   --users N          users, each an independent client (default 300); --pause-ms N: mean pause between their operations
#
# Environment: LA_CHAOS_DIR (default a temporary folder: MariaDB data and logs), LA_CHAOS_DB_BASE_PORT (default 3457:
# MariaDB on 3457-3459). Nodes listen on 127.0.0.1:34053-34055, the two proxies' HTTP APIs on 127.0.0.1:38080-38081.

set -Eeuo pipefail
cd "$(dirname "$0")/.."
root=$PWD
args=("$@")

dir="${LA_CHAOS_DIR:-$(mktemp -d -t la-chaos.XXXXXX)}"
mkdir -p "$dir/logs"
# Its own servers, never a test run's or a developer's (whose LA_DB_* may be set).
export LA_DB_DIR="$dir/mariadb" LA_DB_INSTANCES=3 LA_DB_BASE_PORT="${LA_CHAOS_DB_BASE_PORT:-3457}"

cleanup() {
  scripts/mariadb.sh down --purge >/dev/null 2>&1 || true
  if [ -z "${LA_CHAOS_DIR:-}" ]; then rm -rf "$dir"; fi # (an && list here would become the script's exit status)
}
trap cleanup EXIT

echo "chaos: building (Release)"
dotnet build LocationActors.sln -c Release -v quiet -nologo >"$dir/logs/build.log" 2>&1 || { tail -20 "$dir/logs/build.log"; exit 2; }
scripts/mariadb.sh up >"$dir/logs/mariadb.log" 2>&1 || { tail -20 "$dir/logs/mariadb.log"; exit 2; }
# shellcheck disable=SC1091
source "$LA_DB_DIR/env"
for db in 3:chaos_master 1:chaos_g1 2:chaos_g1 2:chaos_g2 1:chaos_g2; do
  scripts/mariadb.sh sql "${db%%:*}" "CREATE DATABASE IF NOT EXISTS ${db#*:}" >/dev/null
done
export LA_MASTER_DB_URL="$LA_MARIADB_3_URL/chaos_master"
dotnet exec src/LocationActors.Node/bin/Release/net10.0/LocationActors.Node.dll init \
  --group "$LA_MARIADB_1_URL/chaos_g1,$LA_MARIADB_2_URL/chaos_g1" --group "$LA_MARIADB_2_URL/chaos_g2,$LA_MARIADB_1_URL/chaos_g2" |
  sed 's/^/chaos: /'

dotnet exec src/LocationActors.Chaos/bin/Release/net10.0/LocationActors.Chaos.dll --root "$root" --logs "$dir/logs" "${args[@]}"
