# bench/cpu.sh - sourced by the bench scripts after bench/deployment.sh: the CPU time processes spent, to divide by the
# requests of a step.
#
#   dotnet_children DLL   the PIDs of run-local's children running DLL (LocationActors.Proxy.dll, LocationActors.Node.dll)
#   ticks PID...          utime + stime of the processes in clock ticks ($clk_tck per second)
#   cpu_ms_per BEFORE AFTER N   (AFTER - BEFORE) ticks as milliseconds per request, N requests

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
