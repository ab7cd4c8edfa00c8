#!/usr/bin/env bash
#
# bench/keepalive.sh - what keepalive costs and how many pings the deployment sustains (bench/RESULTS.md, "Keepalive").
# Starts the MariaDB deployment of bench/deployment.sh with keepalive every LA_BENCH_KA_INTERVAL seconds (no rate limit,
# contacts never removed), and sipp as the phones, answering every OPTIONS on one port. Measures the nodes' and the
# proxy's CPU for 20 s with no contact, then registers contacts from that port step by step (LA_BENCH_KA_CONTACTS,
# totals; the phones stop while sipp registers from their port, so that the REGISTERs come from where the contacts are)
# and, one interval after each step, measures three intervals: pings due per second (contacts / interval), answered and
# unanswered per second (the nodes' keepalive metrics), and the CPU above idle, also per 100,000 contacts pinged a
# minute. Prints one line per step.
#
#   bench/keepalive.sh                  LA_BENCH_KA_INTERVAL (default 10), LA_BENCH_KA_CONTACTS (default "25000 50000 100000 200000")
#
# Ports as in bench/deployment.sh; the phones on LA_BENCH_KA_PORT (default 45990). Everything started is stopped by PID.

set -Eeuo pipefail
cd "$(dirname "$0")/.."
command -v sipp >/dev/null || { echo "bench/keepalive.sh: sipp is missing (apt-get install sip-tester)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench/keepalive.sh: curl is missing" >&2; exit 1; }

interval=${LA_BENCH_KA_INTERVAL:-10}
read -r -a totals <<<"${LA_BENCH_KA_CONTACTS:-25000 50000 100000 200000}"
ka_port=${LA_BENCH_KA_PORT:-45990}
export LA_LOCAL_BACKEND=mariadb
export LA_KEEPALIVE_INTERVAL="${interval}s" LA_KEEPALIVE_MAX_RATE=10000000 LA_KEEPALIVE_MAX_MISSED=1000000 LA_KEEPALIVE_REPLY_TIMEOUT=2s

phones=""
stop_phones() { if [ -n "$phones" ]; then kill "$phones" 2>/dev/null || true; wait "$phones" 2>/dev/null || true; fi; phones=""; }
start_phones() {
  (cd "$data/phones" && exec sipp -sf "$bench_sipp_dir/options-answer.xml" -i 127.0.0.1 -p "$ka_port" -t u1 -nostdin -buff_size "$sipp_buffer" >>sipp.out 2>&1) &
  phones=$!
}
bench_cleanup=stop_phones
source bench/deployment.sh
source bench/cpu.sh
source bench/sipp/step.sh

node_pids=$(dotnet_children LocationActors.Node.dll)
proxy_pids=$(dotnet_children LocationActors.Proxy.dll)
mkdir -p "$data/phones"

# Pings answered and unanswered so far, summed over every node's /metrics.
node_https=$(curl -sf "http://$http/v1/cluster" | grep -o '"http":"[^"]*"' | cut -d'"' -f4)
pings() {
  local answered=0 unanswered=0 node
  for node in $node_https; do
    read -r a u < <(curl -sf "http://$node/metrics" | awk '
      /^location_node_keepalive_answered_total/ {a += $NF} /^location_node_keepalive_unanswered_total/ {u += $NF} END {printf "%d %d\n", a, u}')
    answered=$((answered + a)); unanswered=$((unanswered + u))
  done
  echo "$answered $unanswered"
}

before=$(ticks $node_pids $proxy_pids)
sleep 20
idle=$((($(ticks $node_pids $proxy_pids) - before) * 1000 / clk_tck / 20))
echo "keepalive every ${interval} s, $(date -u +%H:%MZ): idle with no contact: nodes + proxy ${idle} ms of CPU per s"

registered=0
for total in "${totals[@]}"; do
  count=$((total - registered))
  { echo SEQUENTIAL; for ((i = registered + 1; i <= total; i++)); do printf 'ka%07d;\n' "$i"; done; } >"$data/users-$total.csv"
  stop_phones
  read -r n failed achieved _ _ < <(sipp_step "$data/register-$total" "$sip_port" register.xml "$data/users-$total.csv" 2000 "$count" "$ka_port" $((count / 2000 * 4 + 30)))
  start_phones
  registered=$total
  sleep "$((interval + 2))"
  read -r a0 u0 < <(pings)
  before=$(ticks $node_pids $proxy_pids); phones_before=$(ticks $phones $(ps -o pid= --ppid "$phones"))
  window=$((3 * interval))
  sleep "$window"
  read -r a1 u1 < <(pings)
  cpu=$((($(ticks $node_pids $proxy_pids) - before) * 1000 / clk_tck / window))
  phones_cpu=$((($(ticks $phones $(ps -o pid= --ppid "$phones")) - phones_before) * 1000 / clk_tck / window))
  awk -v c="$total" -v i="$interval" -v a=$((a1 - a0)) -v u=$((u1 - u0)) -v w="$window" -v cpu="$cpu" -v idle="$idle" -v f="$failed" -v ph="$phones_cpu" 'BEGIN {
    due = c / i; ans = a / w; una = u / w; per = (ans + una) > 0 ? (cpu - idle) / ((ans + una) * 60 / 100000) : 0
    printf "%d contacts (%s REGISTERs failed): due %.0f/s, answered %.0f/s, unanswered %.0f/s; nodes + proxy %d ms of CPU per s (%d above idle) = %.1f ms/s per 100,000 contacts pinged a minute; the sipp phones %d ms/s\n",
      c, f, due, ans, una, cpu, cpu - idle, per, ph }'
done
