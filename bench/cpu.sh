# bench/cpu.sh - sourced by the bench scripts after bench/deployment.sh: the CPU time processes spent, to divide by the
# requests of a step.
#
#   dotnet_children DLL   the PIDs of run-local's children running DLL (LocationActors.Proxy.dll, LocationActors.Node.dll)
#   ticks PID...          utime + stime of the processes in clock ticks ($clk_tck per second)
#   cpu_ms_per BEFORE AFTER N   (AFTER - BEFORE) ticks as milliseconds per request, N requests
#   switches PID...       context switches of every thread of the processes, voluntary and not, one "TID COUNT" line
#                         each: a thread that went to sleep or was put off the CPU, so the hand-offs between threads
#                         that a request takes show up here
#   switched BEFORE AFTER the switches between two such snapshots (the variables' contents), over the threads alive in
#                         both and the new ones; the switches of threads that ended in between are not counted

clk_tck=$(getconf CLK_TCK)

dotnet_children() {
  local pid
  for pid in $(ps -o pid= --ppid "$deployment"); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$1" && echo "$pid"
  done
  return 0
}

# Fields 14 and 15 of /proc/PID/stat, counted after the command name, which may hold spaces.
ticks() {
  local total=0 pid stat
  local -a f
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a f <<<"${stat##*) }"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

cpu_ms_per() {
  awk -v t="$(($2 - $1))" -v hz="$clk_tck" -v n="$3" 'BEGIN {printf "%.3f", t * 1000 / hz / n}'
}

switches() {
  local pid task
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      awk -v tid="${task##*/}" '/^(voluntary|nonvoluntary)_ctxt_switches:/ {n += $2} END {if (NR) print tid, n}' "$task/status" 2>/dev/null
    done
  done
  return 0
}

switched() {
  awk 'NR == FNR {before[$1] = $2; next} {total += $2 - ($1 in before ? before[$1] : 0)} END {printf "%d\n", total}' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}
