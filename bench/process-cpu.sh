#!/usr/bin/env bash
#
# bench/process-cpu.sh - the CPU the deployment's processes spend, idle and per INVITE->302, from the kernel's own
# accounting (/proc/PID/stat utime + stime): the figure the runtime settings were chosen by (bench/RESULTS.md, "Where a
# request's CPU goes"). Starts the MariaDB deployment of bench/deployment.sh, registers 4,000 users, warms up with 40 s of
# INVITEs at 1,000/s, then measures 20 s idle and 20 s of INVITEs at each rate. Prints one line: CPU, and the context
# switches of the nodes' and proxy's threads (per second idle, per INVITE under load).
#
#   bench/process-cpu.sh [LABEL]        e.g. DOTNET_gcServer=1 bench/process-cpu.sh server-gc
#
# The .NET runtime reads DOTNET_* variables before the shipped runtimeconfig, so a setting is compared by running this
# once with and once without it. Environment: LA_BENCH_CPU_RATES (default "500 2000"); ports as in bench/deployment.sh.

set -Eeuo pipefail
cd "$(dirname "$0")/.."
label=${1:-shipped}
command -v sipp >/dev/null || { echo "bench/process-cpu.sh: sipp is missing (apt-get install sip-tester)" >&2; exit 1; }

export LA_LOCAL_BACKEND=mariadb
source bench/deployment.sh
source bench/cpu.sh
source bench/sipp/step.sh

node_pids=$(dotnet_children LocationActors.Node.dll)
proxy_pids=$(dotnet_children LocationActors.Proxy.dll)
bench/sipp/users.sh 4000 cpu >"$data/users.csv"
sipp_step "$data/register" "$sip_port" register.xml "$data/users.csv" 1000 4000 45070 60 >/dev/null
sipp_step "$data/warm-up" "$sip_port" invite302.xml "$data/users.csv" 1000 40000 45070 120 >/dev/null
sleep 5

nodes_before=$(ticks $node_pids); proxy_before=$(ticks $proxy_pids)
nodes_switched=$(switches $node_pids); proxy_switched=$(switches $proxy_pids)
sleep 20
line="$label, $(date -u +%H:%MZ): idle (ms of CPU per s) nodes $((($(ticks $node_pids) - nodes_before) * 1000 / clk_tck / 20)) proxy $((($(ticks $proxy_pids) - proxy_before) * 1000 / clk_tck / 20))"
line="$line (context switches per s: nodes $(($(switched "$nodes_switched" "$(switches $node_pids)") / 20))"
line="$line proxy $(($(switched "$proxy_switched" "$(switches $proxy_pids)") / 20)))"
for rate in ${LA_BENCH_CPU_RATES:-500 2000}; do
  calls=$((rate * 20))
  nodes_before=$(ticks $node_pids); proxy_before=$(ticks $proxy_pids)
  nodes_switched=$(switches $node_pids); proxy_switched=$(switches $proxy_pids)
  step=$(sipp_step "$data/invite-$rate" "$sip_port" invite302.xml "$data/users.csv" "$rate" "$calls" 45070 120)
  line="$line | $rate/s (ms per INVITE): nodes $(cpu_ms_per "$nodes_before" "$(ticks $node_pids)" "$calls") proxy $(cpu_ms_per "$proxy_before" "$(ticks $proxy_pids)" "$calls")"
  line="$line (context switches per INVITE: nodes $(awk -v d="$(switched "$nodes_switched" "$(switches $node_pids)")" -v n="$calls" 'BEGIN {printf "%.1f", d / n}')"
  line="$line proxy $(awk -v d="$(switched "$proxy_switched" "$(switches $proxy_pids)")" -v n="$calls" 'BEGIN {printf "%.1f", d / n}')) [calls failed achieved/s p50 p99: $step]"
done
echo "$line"
