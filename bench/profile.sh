#!/usr/bin/env bash
#
# bench/profile.sh - where the CPU of a request goes, part by part: perf samples of every process of a local deployment
# (3 nodes, the proxy, MariaDB) while sipp sends one kind of request at a fixed rate, each sample charged to the part
# of the path its innermost frame belongs to (SIP parsing, serialisation, remoting, the cluster client, sharding,
# actor dispatch, the garbage collector, the kernel's network stack, ...). Prints one markdown table on stdout:
# milliseconds of CPU per request for each part in each kind of process; progress goes to stderr.
#
#   bench/profile.sh [--scenario invite302|register|reregister] [--rate N] [--seconds N] [--users N] [--top N]
#
#   --scenario   what sipp sends (default invite302: a 302 expected for users registered before)
#   --rate N     requests per second (default 2000); 0 samples the deployment idle, and reports CPU per second instead
#   --seconds N  length of the sampled window (default 15); sipp runs --warmup seconds before it and 2 s after it
#   --warmup N   seconds of load before sampling starts (default 60: a node's JIT still compiles in the first 30 s of load)
#   --users N    users registered before (default 4000)
#   --top N      also print each process kind's N hottest methods (default 0)
#
# Needs perf (Debian linux-perf) and sipp. The .NET processes run with DOTNET_PerfMapEnabled=1, so perf names JIT-compiled
# methods from /tmp/perf-PID.map (removed at the end). Sampling costs a few per cent of CPU itself: compare parts and
# runs of this script with each other, not with bench/run.sh's figures.
#
# Environment: as bench/deployment.sh (ports, LA_DB_BASE_PORT); LA_PROFILE_FREQUENCY (default 499 samples/s per CPU);
# LA_PROFILE_KEEP=DIR keeps the samples there (samples.tsv: process kind, frame; stacks.txt: every sample's call chain).

set -Eeuo pipefail
cd "$(dirname "$0")/.."

scenario=invite302
rate=2000
seconds=15
warmup=60
users=4000
top=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    -h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/profile.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$rate" =~ ^[0-9]+$ ]] || { echo "bench/profile.sh: --rate takes a whole number" >&2; exit 2; }
for n in "$seconds" "$users" "$warmup"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench/profile.sh: '$n' is not a positive whole number" >&2; exit 2; }
done
[[ "$top" =~ ^[0-9]+$ ]] || { echo "bench/profile.sh: --top takes a whole number" >&2; exit 2; }
[[ "$scenario" =~ ^(register|reregister|invite302)$ ]] || { echo "bench/profile.sh: unknown scenario '$scenario'" >&2; exit 2; }
command -v sipp >/dev/null || { echo "bench/profile.sh: sipp is missing (apt-get install sip-tester)" >&2; exit 1; }
command -v perf >/dev/null || { echo "bench/profile.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
say() { printf 'profile: %s\n' "$*" >&2; }

export LA_LOCAL_BACKEND=mariadb
export DOTNET_PerfMapEnabled=1
# Without W^X double mapping, JIT-compiled code lives in anonymous memory, where perf looks it up in the perf map.
export DOTNET_EnableWriteXorExecute=0
maps_before=$(ls /tmp/perf-*.map /tmp/perfinfo-*.map 2>/dev/null || true)
profile_cleanup() {
  [ -n "${sipp_pid:-}" ] && kill "$sipp_pid" 2>/dev/null
  if [ -n "${LA_PROFILE_KEEP:-}" ] && [ -f "$data/perf.data" ]; then
    mkdir -p "$LA_PROFILE_KEEP" && cp "$data/samples.tsv" "$LA_PROFILE_KEEP/" 2>/dev/null
    perf script -i "$data/perf.data" -F pid,tid,ip,sym,dso >"$LA_PROFILE_KEEP/stacks.txt" 2>/dev/null
  fi
  # The symbol maps the deployment's .NET processes (and its build) wrote, and only those.
  for map in /tmp/perf-*.map /tmp/perfinfo-*.map; do
    [ -e "$map" ] && ! grep -qxF "$map" <<<"$maps_before" && rm -f "$map"
  done
  return 0
}
bench_cleanup=profile_cleanup
root=$PWD
source bench/deployment.sh
source bench/cpu.sh
source bench/sipp/step.sh

proxy_pids=$(dotnet_children LocationActors.Proxy.dll)
node_pids=$(dotnet_children LocationActors.Node.dll)
dotnet_pids="$proxy_pids $node_pids"
mariadb_pids=$(cat "$data"/mariadb/*/mariadb.pid 2>/dev/null | tr '\n' ' ')
say "proxy $proxy_pids, nodes $(echo $node_pids), MariaDB $mariadb_pids"

if [ "$rate" -gt 0 ]; then
  bench/sipp/users.sh "$users" prof >"$data/users.csv"
  say "registering $users users"
  sipp_step "$data/sipp-warm" "$sip_port" register.xml "$data/users.csv" 1000 "$users" 45070 60 >/dev/null
  if [ "$scenario" = reregister ]; then
    # Warm the refresh path, and keep the first REGISTER's Contact (sipp's port) for the measured refreshes.
    sipp_step "$data/sipp-warm2" "$sip_port" reregister.xml "$data/users.csv" 1000 "$users" 45070 60 >/dev/null
  fi
  case "$scenario" in
    register) bench/sipp/users.sh $((rate * (warmup + seconds + 5))) profnew >"$data/load.csv" ;;
    *) cp "$data/users.csv" "$data/load.csv" ;;
  esac

  calls=$((rate * (warmup + seconds + 2)))
  say "$scenario at $rate/s for $((warmup + seconds + 2)) s, sampled for $seconds s from second $warmup"
  mkdir -p "$data/sipp-load"
  (cd "$data/sipp-load" && exec timeout -k 5 $((warmup + seconds + 60)) sipp "127.0.0.1:$sip_port" -sf "$root/bench/sipp/$scenario.xml" \
    -inf "$data/load.csv" -m "$calls" -r "$rate" -i 127.0.0.1 -p 45070 -t u1 -nostdin -buff_size "$sipp_buffer" -timeout 120s -trace_stat -fd 1 \
    >sipp.out 2>&1) &
  sipp_pid=$!
else
  say "idle: sampled for $seconds s after $warmup s"
fi
sleep "$warmup"
perf record -F "${LA_PROFILE_FREQUENCY:-499}" --call-graph fp -o "$data/perf.data" -p "$(echo $dotnet_pids $mariadb_pids | tr ' ' ',')" \
  -- sleep "$seconds" 2>"$data/perf.log" >&2
failed=-
if [ -n "${sipp_pid:-}" ]; then
  wait "$sipp_pid" || true
  sipp_pid=
  failed=$(awk -F';' 'NR==1 {for (i=1;i<=NF;i++) if ($i=="FailedCall(C)") f=i} END {print (f ? $f : "?")}' "$data"/sipp-load/*_[0-9]*_.csv 2>/dev/null || echo "?")
  say "sipp done, failed calls: $failed"
fi

# Each sample: the kind of process it was taken in, and the frame it was taken in (symbol and object); a sample in the
# kernel is named by the system call it was made under (from its kernel call chain), or as an interrupt.
perf script -i "$data/perf.data" -F pid,ip,sym,dso 2>/dev/null | awk -v proxy=" $proxy_pids " -v nodes=" $(echo $node_pids) " '
  function kind(pid) { if (index(proxy, " " pid " ")) return "proxy"; if (index(nodes, " " pid " ")) return "nodes"; return "mariadb" }
  function flush() { if (leaf != "") print kind(pid) "\t" (kernel ? "[kernel] " (call != "" ? call : "other") " (kernel)" : leaf); leaf = "" }
  /^[ \t]*[0-9]+[ \t]*$/ { flush(); pid = $1 + 0; depth = 0; call = ""; next }
  NF >= 2 {
    line = $0; sub(/^[ \t]*[0-9a-f]+[ \t]+/, "", line)
    if (depth++ == 0) { leaf = line; kernel = (line ~ /\(\[kernel/) }
    else if (kernel && call == "") {
      if (match(line, /__(x64|do)_sys_[a-z_0-9]+/)) { call = substr(line, RSTART, RLENGTH); sub(/^__(x64|do)_sys_/, "", call) }
      else if (line ~ /asm_(sysvec|common_interrupt)|do_softirq|irq_exit/) call = "interrupts"
    }
  }
  END { flush() }
' >"$data/samples.tsv"

total_samples=$(wc -l <"$data/samples.tsv")
[ "$total_samples" -gt 0 ] || { cat "$data/perf.log" >&2; echo "bench/profile.sh: perf took no samples" >&2; exit 1; }
if [ "$rate" -gt 0 ]; then
  requests=$((rate * seconds)); per="request"
  echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $scenario at $rate/s, $seconds s sampled at ${LA_PROFILE_FREQUENCY:-499} Hz after $warmup s, failed calls $failed"
else
  requests=$seconds; per="second of idling"
  echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), idle, $seconds s sampled at ${LA_PROFILE_FREQUENCY:-499} Hz after $warmup s"
fi
echo
echo "CPU per $per in microseconds (samples / frequency / ${per}s), by part and kind of process (3 nodes together):"
echo
awk -F'\t' -v hz="${LA_PROFILE_FREQUENCY:-499}" -v n="$requests" '
  function part(s) {
    if (s ~ /^\[kernel\] (futex|sched_yield|epoll_wait|epoll_pwait|nanosleep|clock_nanosleep)/) return "kernel: waits and wake-ups (futex, yield, epoll)"
    if (s ~ /^\[kernel\] (sendmsg|sendto|write|writev|recvmsg|recvfrom|read|readv)/) return "kernel: socket send and receive"
    if (s ~ /^\[kernel\] interrupts/) return "kernel: interrupts (network, timers)"
    if (s ~ /\[kernel|kallsyms/) return "kernel: other"
    if (s ~ /libcoreclr|libclrjit|libSystem\.Native|libstdc|ld-linux/ && s ~ /gc_heap|GCHeap|WKS::|SVR::|mark_|plan_phase|relocate|compact|sweep/) return "garbage collector"
    if (s ~ /libclrjit/ ) return "JIT"
    if (s ~ /mariadbd|libmariadb|ha_innodb|innobase|mysqld/) return "MariaDB"
    if (s ~ /LocationActors\.Sip|SipServer|SipRequestHandler|Redirect|Registrar/) return "SIP (parse, handle, build)"
    if (s ~ /Text\.Json|LocationProtocolSerializer|ProtocolJsonContext|JsonConverter/) return "serialisation (protocol)"
    if (s ~ /Google\.Protobuf|Akka\.Remote\.Serialization|WrappedPayload|MessageContainer|Akka\.Serialization/) return "serialisation (Akka envelope)"
    if (s ~ /DotNetty/) return "remoting transport (DotNetty)"
    if (s ~ /Akka\.Remote/) return "remoting (endpoints)"
    if (s ~ /Akka\.Cluster\.Tools\.Client|ClusterClient|Receptionist/) return "cluster client and receptionist"
    if (s ~ /Akka\.Cluster\.Sharding/) return "sharding"
    if (s ~ /Akka\.Cluster/) return "cluster (gossip, heartbeats)"
    if (s ~ /Akka\.Dispatch|Akka\.Actor|Mailbox|ForkJoin|DedicatedThreadPool/) return "actor dispatch"
    if (s ~ /LocationActors/) return "LocationActors (groups, proxy, storage)"
    if (s ~ /MySqlConnector/) return "MySqlConnector"
    if (s ~ /System\.Net\.Sockets|System\.Net\./) return ".NET sockets"
    if (s ~ /System\.Threading|ThreadPool|Monitor|SpinWait|Semaphore|WaitHandle/) return ".NET threading"
    if (s ~ /libcoreclr/) return "runtime (allocation, type checks, stubs)"
    if (s ~ /libc\.so|libpthread/) return "libc"
    if (s ~ /System\./) return ".NET libraries (other)"
    return "other"
  }
  { us = 1e6 / hz / n; c[part($2) "\t" $1] += us; t[$1] += us; parts[part($2)] = 1 }
  END {
    print "| part | proxy | nodes | MariaDB |"
    print "|---|---|---|---|"
    for (p in parts) printf "%s\t| %s | %.1f | %.1f | %.1f |\n", c[p "\tproxy"] + c[p "\tnodes"], p, c[p "\tproxy"], c[p "\tnodes"], c[p "\tmariadb"] | "sort -t\"\t\" -k1,1gr | cut -f2-"
    close("sort -t\"\t\" -k1,1gr | cut -f2-")
    printf "| **all** | **%.1f** | **%.1f** | **%.1f** |\n", t["proxy"], t["nodes"], t["mariadb"]
  }' "$data/samples.tsv"
if [ "$top" -gt 0 ]; then
  for k in proxy nodes; do
    echo
    echo "Hottest methods in the $k (microseconds per $per, innermost frame):"
    echo
    awk -F'\t' -v k="$k" -v hz="${LA_PROFILE_FREQUENCY:-499}" -v n="$requests" '$1 == k {s = $2; if (s !~ /^\[unknown\]/) sub(/\(.*$/, "", s); c[s] += 1e6 / hz / n}
      END {for (s in c) printf "%.2f\t%s\n", c[s], s}' "$data/samples.tsv" | sort -gr | head -n "$top" | awk -F'\t' '{printf "- %s µs  %s\n", $1, $2}'
  done
fi
