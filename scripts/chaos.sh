#!/usr/bin/env bash
#
# scripts/chaos.sh - kills and pauses nodes and databases under load, and proves that nothing acknowledged is lost.
# On loopback only, bounded in time: starts 3 MariaDB servers (members of each group on servers 1 and 2, the master
# on 3), 3 cluster nodes and two proxies; drives registrations, refreshes, removals and lookups through the proxies
# while faults follow a seeded schedule; then checks the history and prints a summary ending in the line
#   chaos: ops=N acked=N lost=0 wrong=0 double_hosted=0 hosting_spans=N availability=99.95% longest_gap_ms=N
# double_hosted counts groups written by two nodes at overlapping times (from the spans the groups log; a killed
# node's span ends at its kill). Everything it started is stopped (by PID) at the end. Exit code 0 when lost=0,
# wrong=0 and double_hosted=0.
#
#   scripts/chaos.sh [--duration SECONDS] [--seed N] [--fault-interval SECONDS] [--faults KIND,...] [--users N] [--mixed]
#
#   --faults KIND,...  only these fault kinds (kill-node, pause-node, kill-db, freeze-db, master-away, restart-proxy,
#                      maintenance: a member into maintenance and activated again, as with locctl db; compound: two
#                      at once, in turn master-away+kill-node, kill-db+kill-node (the node hosting a group of that
#                      member), freeze-db+pause-node)
#   --users N          users, each an independent client (default 300); --pause-ms N: mean pause between their operations
#   --mixed            beside Kamailio p_usrloc (bench/kamailio/kamailio.cfg, 4 workers) on the same databases: the nodes
#                      run with shared-databases on, every other user registers, removes and looks up through Kamailio
#                      over SIP, the final reads go through both systems, and the faults default to maintenance,
#                      kill-db and freeze-db (a member's return, three ways). Needs kamailio and kamailio-mysql-modules.
#   --netns            every node and proxy in a network namespace of its own (root): veth pairs on a bridge
#                      lachaos0 (10.231.0.0/24; MariaDB listens on the bridge, 10.231.0.1), which makes the partition
#                      fault possible (iptables inside the namespaces: a node isolated from the others, a node whose
#                      outgoing packets to them are lost, a proxy cut from a node, a member's server unreachable from
#                      one node only). Namespaces (lachaos-*) and the bridge are removed at the end, also on failure,
#                      and any left by an earlier run before starting.
#
# Environment: LA_CHAOS_DIR (default a temporary folder: MariaDB data and logs), LA_CHAOS_DB_BASE_PORT (default 3457:
# MariaDB on 3457-3459), LA_CHAOS_KAMAILIO_PORT (default 35062, with --mixed). Nodes listen on 127.0.0.1:34053-34055,
# the two proxies' HTTP APIs on 127.0.0.1:38080-38081.

set -Eeuo pipefail
cd "$(dirname "$0")/.."
root=$PWD
args=("$@")

dir="${LA_CHAOS_DIR:-$(mktemp -d -t la-chaos.XXXXXX)}"
mkdir -p "$dir/logs"
# Its own servers, never a test run's or a developer's (whose LA_DB_* may be set).
export LA_DB_DIR="$dir/mariadb" LA_DB_INSTANCES=3 LA_DB_BASE_PORT="${LA_CHAOS_DB_BASE_PORT:-3457}"

mixed=0
netns=0
for a in "$@"; do
  [ "$a" = --mixed ] && mixed=1
  [ "$a" = --netns ] && netns=1
done

# --netns: the bridge and the namespaces, by name (lachaos-node1..3 at 10.231.0.11-13, lachaos-proxy1..2 at
# 10.231.0.21-22); what an earlier run left is removed first.
netns_down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^lachaos-/ {print $1}'); do ip netns del "$ns" 2>/dev/null || true; done
  ip link del lachaos0 2>/dev/null || true
}
netns_up() {
  netns_down
  ip link add lachaos0 type bridge
  ip addr add 10.231.0.1/24 dev lachaos0
  ip link set lachaos0 up
  local spec name ip
  for spec in node1:11 node2:12 node3:13 proxy1:21 proxy2:22; do
    name=${spec%%:*}; ip=10.231.0.${spec#*:}
    ip netns add "lachaos-$name"
    ip link add "lachaos-$name" type veth peer name eth0 netns "lachaos-$name"
    ip link set "lachaos-$name" master lachaos0 up
    ip netns exec "lachaos-$name" ip addr add "$ip/24" dev eth0
    ip netns exec "lachaos-$name" ip link set eth0 up
    ip netns exec "lachaos-$name" ip link set lo up
  done
}

# Kamailio's processes (--mixed): the main one, started here, and the children it forks; checked by name before a
# SIGKILL, so a reused PID is left alone.
kam_pid=""
stop_kamailio() {
  [ -n "$kam_pid" ] || return 0
  local children pid
  children=$(ps -o pid= --ppid "$kam_pid" 2>/dev/null || true)
  kill -TERM "$kam_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$kam_pid" 2>/dev/null || break; sleep 0.1; done
  for pid in $kam_pid $children; do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kamailio ] && kill -KILL "$pid" 2>/dev/null || true
  done
  kam_pid=""
}

cleanup() {
  stop_kamailio
  scripts/mariadb.sh down --purge >/dev/null 2>&1 || true
  if [ "$netns" -eq 1 ]; then netns_down; fi
  if [ -z "${LA_CHAOS_DIR:-}" ]; then rm -rf "$dir"; fi # (an && list here would become the script's exit status)
}
trap cleanup EXIT

echo "chaos: building (Release)"
dotnet build LocationActors.sln -c Release -v quiet -nologo >"$dir/logs/build.log" 2>&1 || { tail -20 "$dir/logs/build.log"; exit 2; }
if [ "$netns" -eq 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "chaos: --netns needs root (ip netns, iptables)" >&2; exit 2; }
  netns_up
  export LA_DB_BIND=10.231.0.1 LA_DB_CLIENT_HOSTS='10.231.0.%' # reachable from every namespace through the bridge, and from here
  echo "chaos: namespaces lachaos-node1..3 (10.231.0.11-13) and lachaos-proxy1..2 (10.231.0.21-22) on bridge lachaos0"
fi
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

if [ "$mixed" -eq 1 ]; then
  kamailio_bin=$(command -v kamailio || echo /usr/sbin/kamailio)
  modules=$(ls -d /usr/lib/*/kamailio/modules 2>/dev/null | head -n 1)
  if [ ! -x "$kamailio_bin" ] || [ ! -f "$modules/p_usrloc.so" ] || [ ! -f "$modules/db_mysql.so" ]; then
    echo "chaos: --mixed needs Kamailio with p_usrloc (apt-get install kamailio kamailio-mysql-modules)" >&2; exit 2
  fi
  kam_port="${LA_CHAOS_KAMAILIO_PORT:-35062}"
  mkdir -p "$dir/kamailio"
  (umask 077 && sed -e "s|DB_MODULE|db_mysql.so|" -e "s|MASTER_DB_URL|$LA_MASTER_DB_URL|" -e "s|SIP_PORT|$kam_port|" -e "s|CHILDREN|4|" -e "s|MODULES_PATH|$modules/|" \
    bench/kamailio/kamailio.cfg >"$dir/kamailio/kamailio.cfg")
  "$kamailio_bin" -f "$dir/kamailio/kamailio.cfg" -DD -E -P "$dir/kamailio/kamailio.pid" -w "$dir/kamailio" -m 64 -M 8 \
    >"$dir/logs/kamailio.log" 2>&1 &
  kam_pid=$!
  # A configuration Kamailio refuses ends it at once; the run must not go on without it (every lookup through it would
  # wait for an answer that never comes).
  sleep 2
  kill -0 "$kam_pid" 2>/dev/null || { tail -n 20 "$dir/logs/kamailio.log" >&2; echo "chaos: Kamailio did not start (see above)" >&2; exit 1; }
  echo "chaos: Kamailio p_usrloc on 127.0.0.1:$kam_port (pid $kam_pid), log in logs/kamailio.log"
  args+=(--kamailio-port "$kam_port")
fi

dotnet exec src/LocationActors.Chaos/bin/Release/net10.0/LocationActors.Chaos.dll --root "$root" --logs "$dir/logs" "${args[@]}"
