#!/usr/bin/env bash
#
# bench/sip.sh - the highest REGISTER/s and INVITE->302/s the SIP front end answers with zero failed calls under
# sipp, with p50/p99 response times (bench/RESULTS.md). Starts scripts/run-local.sh on ports of its own with a
# throw-away data folder (3 nodes + a proxy on loopback), steps the sipp rate up, and stops everything it started.
#
#   bench/sip.sh [--seconds N] [--rates "500 1000 2000 ..."]
#
# Environment: LA_LOCAL_BACKEND=sqlite|mariadb (default mariadb: the databases p_usrloc is measured with).

set -Eeuo pipefail
cd "$(dirname "$0")/.."

seconds=10
rates="500 1000 2000 3000 4000 6000 8000"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    *) echo "bench/sip.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

command -v sipp >/dev/null || { echo "bench/sip.sh: sipp is missing (apt-get install sip-tester)" >&2; exit 1; }
export LA_LOCAL_BACKEND="${LA_LOCAL_BACKEND:-mariadb}"
# shellcheck source=deployment.sh
source bench/deployment.sh

# shellcheck source=sipp/step.sh
source bench/sipp/step.sh
# One sipp run: prints "calls failed calls/s p50 p99" (response times in ms, from sipp's per-call rtt trace).
run_sipp() { # scenario users rate calls
  sipp_step "$data/sipp-$1-$3" "$sip_port" "$1" "$2" "$3" "$4" 0 $((seconds * 6))
}

echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), backend $LA_LOCAL_BACKEND, $seconds s per step"
# Warm-up (not reported): JIT, connection pools and MariaDB's buffers, so the first step is not the slowest.
bench/sipp/users.sh 2500 warm >"$data/warm.csv"
run_sipp register.xml "$data/warm.csv" 500 2500 >/dev/null

echo "| scenario | target/s | calls | failed | achieved/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|"
step=0
for scenario in register.xml invite302.xml; do
  for rate in $rates; do
    step=$((step + 1))
    calls=$((rate * seconds))
    users="$data/users-$scenario-$rate.csv"
    if [ "$scenario" = register.xml ]; then
      bench/sipp/users.sh "$calls" "r${step}u" >"$users"    # new users at every step: a first REGISTER each
      cp "$users" "$data/registered-$rate.csv"
    else
      cp "$data/registered-$rate.csv" "$users"            # INVITEs for the users registered at the same rate
    fi
    read -r n failed achieved p50 p99 < <(run_sipp "$scenario" "$users" "$rate" "$calls")
    echo "| ${scenario%.xml} | $rate | $n | $failed | $achieved | $p50 | $p99 |"
  done
done
