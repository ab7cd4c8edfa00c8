#!/usr/bin/env bash
#
# bench/stored.sh - does REGISTER/s stay flat as the stored contacts grow? Starts the MariaDB deployment of
# bench/deployment.sh (3 nodes + a proxy, 2 groups x 2 members), then registers new users with sipp in chunks at one
# fixed rate until N contacts are stored, printing per chunk the contacts stored before it, the achieved rate, failed
# calls, p50/p99 and the nodes' memory (RSS of the 3 node processes together); then one INVITE->302 chunk at the end.
# Everything on loopback, stopped by PID at the end (bench/RESULTS.md).
#
#   bench/stored.sh [--contacts N] [--chunk N] [--rate R]
#
# Defaults: 1,000,000 contacts in chunks of 100,000 at 4,000/s (below the REGISTER ceiling of bench/run.sh, so a chunk
# that falls behind shows a slowdown, not the ceiling): about 5 minutes. Ports as in bench/deployment.sh.

set -Eeuo pipefail
cd "$(dirname "$0")/.."

contacts=1000000
chunk=100000
rate=4000
while [ $# -gt 0 ]; do
  case "$1" in
    --contacts) contacts=$2; shift 2 ;;
    --chunk) chunk=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "bench/stored.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

command -v sipp >/dev/null || { echo "bench/stored.sh: sipp is missing (apt-get install sip-tester)" >&2; exit 1; }
export LA_LOCAL_BACKEND=mariadb
# shellcheck source=deployment.sh
source bench/deployment.sh
# shellcheck source=sipp/step.sh
source bench/sipp/step.sh

# RSS in MiB of the deployment's node processes (run-local's descendants running LocationActors.Node).
nodes_rss() {
  local pids=("$deployment") all=() next
  while [ ${#pids[@]} -gt 0 ]; do
    all+=("${pids[@]}")
    mapfile -t next < <(for p in "${pids[@]}"; do pgrep -P "$p" || true; done)
    pids=("${next[@]}")
  done
  ps -o rss=,args= -p "$(IFS=,; echo "${all[*]}")" | awk '/LocationActors\.Node/ {s+=$1} END {printf "%.0f", s/1024}'
}

echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $contacts contacts in chunks of $chunk at $rate/s"
echo "| stored before | scenario | calls | failed | achieved/s | p50 ms | p99 ms | nodes RSS MiB after |"
echo "|---|---|---|---|---|---|---|---|"
stored=0
step=0
while [ "$stored" -lt "$contacts" ]; do
  step=$((step + 1))
  users="$data/users-$step.csv"
  bench/sipp/users.sh "$chunk" "s${step}u" >"$users"
  read -r n failed achieved p50 p99 < <(sipp_step "$data/sipp-$step" "$sip_port" register.xml "$users" "$rate" "$chunk" 0 $((chunk / rate * 4 + 30)))
  echo "| $stored | register | $n | $failed | $achieved | $p50 | $p99 | $(nodes_rss) |"
  stored=$((stored + chunk))
done
# Lookups with everything stored: the last chunk's users, each found with a 302.
read -r n failed achieved p50 p99 < <(sipp_step "$data/sipp-invite" "$sip_port" invite302.xml "$users" "$rate" "$chunk" 0 $((chunk / rate * 4 + 30)))
echo "| $stored | invite302 | $n | $failed | $achieved | $p50 | $p99 | $(nodes_rss) |"
