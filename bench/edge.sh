#!/usr/bin/env bash
#
# bench/edge.sh - whole calls through a Kamailio edge proxy, LocationActors behind it against Kamailio's own registrars on
# the same edge (bench/RESULTS.md, "Calls through a Kamailio edge"). Prints one markdown table on stdout; the steps and
# progress go to stderr.
#
#   bench/edge.sh [--seconds N] [--rates "200 500 1000 1500 2000"] [--repeats N] [--users N] [--children N] [--warmup N]
#                 [--systems "..."]
#
#   --seconds N   length of a step (default 10)
#   --rates       call rates stepped through (default "200 500 1000 1500 2000")
#   --repeats N   steps per system and rate, the systems taking turns; the table gives the median step (default 3)
#   --users N     phones per system (default 2000), each called in turn
#   --children N  UDP workers of every Kamailio (default 8, as bench/run.sh)
#   --warmup N    seconds of calls at 1,000/s through each system's edge before the steps, not reported (default 30):
#                 a .NET process compiles its hot paths again, optimised, during its first 30 s or so of load (tiered
#                 JIT); measured cold, LocationActors' first steps paid for that compiling (bench/RESULTS.md)
#   --systems     which to run (default all four):
#                   la-302    deploy/kamailio/edge.cfg: LocationActors asked with an INVITE, its 302 through uac_redirect
#                   la-http   deploy/kamailio/edge.cfg -A LOOKUP_HTTP: LocationActors asked over HTTP (http_client)
#                   usrloc    bench/kamailio/edge-registrar.cfg: the edge is the registrar, Kamailio's usrloc in memory
#                   p_usrloc  the same with p_usrloc in db_mode 3 on MariaDB (p_usrloc-spec §10's layout)
#
# What runs, all on 127.0.0.1: 4 MariaDB servers and the LocationActors deployment of bench/deployment.sh (3 nodes and
# a proxy on servers 1 and 2), p_usrloc's copy of the layout on servers 3 and 4 (bench/kamailio/layout.sh), and one
# Kamailio edge per system. For each system: --users phones register through its edge (sipp, register.xml), then
# sipp's phones (bench/sipp/phone.xml: 180, 200 after 100 ms, ACK, BYE) answer on the address they registered and a
# caller (bench/sipp/call.xml: INVITE, ACK, 200 ms, BYE) places calls through the edge at each rate for --seconds.
# The systems take turns at each rate. Each cell: the share of calls complete (the BYE answered 200), how many failed,
# how many of those ended 408 Request Timeout (a branch without an answer within tm's fr_timer), how many UDP
# datagrams the kernel dropped on full receive buffers during the step (/proc/net/snmp RcvbufErrors), and the p99 of
# INVITE→200. A second table gives the CPU each kind of process spent per call in the same steps (bench/cpu.sh): the
# edge's Kamailio processes, LocationActors' proxy and nodes, and the system's MariaDB servers.
#
# Environment: LA_DB_BASE_PORT (default 3637: servers on 3637-3640), LA_BENCH_NODE_PORTS ("46053 46054 46055"),
# LA_BENCH_HTTP_PORT (48180), LA_BENCH_SIP_PORT (45160), LA_BENCH_EDGE_PORTS ("45170 45171 45172 45173": the edges
# of the four systems), LA_BENCH_SIPP_BASE (45180: the phones and callers of each system from there);
# LA_BENCH_EDGE_OPTIONS: more options for every edge's command line, the same for all four (e.g. "-x tlsf": another
# shared-memory allocator than Debian's qm, which is built with memory debugging).

set -Eeuo pipefail
cd "$(dirname "$0")/.."

seconds=10
rates="200 500 1000 1500 2000"
repeats=3
users=2000
children=8
warmup=30
systems="la-302 la-http usrloc p_usrloc"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --children) children=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    -h|--help) sed -n '3,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/edge.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'edge: %s\n' "$*" >&2; }
die() { printf 'bench/edge.sh: %s\n' "$*" >&2; exit 1; }

for n in "$seconds" "$repeats" "$users" "$children" $rates; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive whole number"
done
[[ "$warmup" =~ ^[0-9]+$ ]] || die "--warmup '$warmup' is not a whole number of seconds"
for sys in $systems; do
  [[ "$sys" =~ ^(la-302|la-http|usrloc|p_usrloc)$ ]] || die "unknown system '$sys' (la-302, la-http, usrloc, p_usrloc)"
done
command -v sipp >/dev/null || die "sipp is missing (apt-get install sip-tester)"
kamailio_bin=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$kamailio_bin" ] || die "kamailio is missing (apt-get install kamailio)"
modules=$(ls -d /usr/lib/*/kamailio/modules 2>/dev/null | head -n 1)
for module in p_usrloc db_mysql uac_redirect http_client jansson; do
  [ -f "$modules/$module.so" ] || die "Kamailio's $module module is missing (apt-get install kamailio-mysql-modules kamailio-utils-modules kamailio-extra-modules)"
done

export LA_LOCAL_BACKEND=mariadb
export LA_DB_INSTANCES=4
export LA_DB_BASE_PORT="${LA_DB_BASE_PORT:-3637}"
export LA_BENCH_NODE_PORTS="${LA_BENCH_NODE_PORTS:-46053 46054 46055}"
export LA_BENCH_HTTP_PORT="${LA_BENCH_HTTP_PORT:-48180}"
export LA_BENCH_SIP_PORT="${LA_BENCH_SIP_PORT:-45160}"
read -r -a edge_ports <<<"${LA_BENCH_EDGE_PORTS:-45170 45171 45172 45173}"
sipp_base="${LA_BENCH_SIPP_BASE:-45180}"
all_systems=(la-302 la-http usrloc p_usrloc)
declare -A edge_port phones_port caller_port phones_pid
for i in 0 1 2 3; do
  edge_port[${all_systems[$i]}]=${edge_ports[$i]}
  phones_port[${all_systems[$i]}]=$((sipp_base + 2 * i))
  caller_port[${all_systems[$i]}]=$((sipp_base + 2 * i + 1))
done

for p in $LA_BENCH_NODE_PORTS "$LA_BENCH_HTTP_PORT" "$LA_BENCH_SIP_PORT" "${edge_ports[@]}" $(seq "$sipp_base" $((sipp_base + 7))) \
    $(seq "$LA_DB_BASE_PORT" $((LA_DB_BASE_PORT + LA_DB_INSTANCES - 1))); do
  [ -z "$(ss -Hltun "sport = :$p" 2>/dev/null)" ] || die "port $p is in use (see 'ss -ltunp'); move it with the environment variables of --help"
done

# What this script starts besides the deployment: the edges and sipp's phones, stopped by PID (and checked by name, so
# a reused PID is left alone) before the deployment.
started=()
stop_started() {
  local pid name
  for entry in "${started[@]}"; do
    read -r pid name <<<"$entry"
    kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 1
  for entry in "${started[@]}"; do
    read -r pid name <<<"$entry"
    for p in $pid $(ps -o pid= --ppid "$pid" 2>/dev/null || true); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$name" ] && kill -KILL "$p" 2>/dev/null || true
    done
  done
  started=()
}
bench_cleanup=stop_started

say "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); building and starting LocationActors"
# shellcheck source=deployment.sh
source bench/deployment.sh
# shellcheck source=sipp/step.sh
source bench/sipp/step.sh
# shellcheck disable=SC1091
source "$data/mariadb/env"
# shellcheck source=kamailio/layout.sh
source bench/kamailio/layout.sh
kamailio_layout

start_edge() { # system
  local sys=$1 dir="$data/edge-$1" config
  local -a defines=(-A "EDGE_LISTEN=udp:127.0.0.1:${edge_port[$1]}" -A "CHILDREN=$children" -A "MODULES=\"$modules/\"")
  mkdir -p "$dir"
  case "$sys" in
    la-302) config=deploy/kamailio/edge.cfg; defines+=(-A "LA_SIP=\"sip:127.0.0.1:$sip_port\"") ;;
    la-http) config=deploy/kamailio/edge.cfg; defines+=(-A "LA_SIP=\"sip:127.0.0.1:$sip_port\"" -A "LA_HTTPCON=\"locationactors=>http://$http\"" -A LOOKUP_HTTP) ;;
    usrloc) config=bench/kamailio/edge-registrar.cfg; defines+=(-A USRLOC_MEMORY) ;;
    p_usrloc)
      # The database URL holds a password: in a copy readable by this user only, not on the command line.
      config="$dir/edge-registrar.cfg"
      (umask 077 && { printf '#!KAMAILIO\n#!define P_USRLOC "%s"\n' "$kamailio_master_url"; cat bench/kamailio/edge-registrar.cfg; } >"$config") ;;
  esac
  # 1 GiB of shared memory: with 256 MB every edge ran out at 2,000 calls/s (tm's build_cell: "could not allocate shared
  # memory"), answering 500 to thousands of INVITEs and BYEs, so that step measured the edges' memory, not the systems.
  # shellcheck disable=SC2086
  "$kamailio_bin" -f "$config" -DD -E -P "$dir/kamailio.pid" -w "$dir" -Y "$dir" -m 1024 -M 16 ${LA_BENCH_EDGE_OPTIONS:-} "${defines[@]}" \
    >"$dir/kamailio.log" 2>&1 &
  started+=("$! kamailio")
}

declare -A edge_pid
for sys in $systems; do
  say "starting the $sys edge ($children UDP workers) on 127.0.0.1:${edge_port[$sys]}"
  start_edge "$sys"
  edge_pid[$sys]=$!
done

# Registered when every phone's REGISTER was answered 200 (tried until the edge and what is behind it answer).
register_phones() { # system
  local sys=$1 i n failed
  bench/sipp/users.sh "$users" "${sys//[-_]/}" >"$data/users-$sys.csv"
  for i in $(seq 1 30); do
    read -r n failed _ < <(sipp_step "$data/register-$sys-$i" "${edge_port[$sys]}" register.xml "$data/users-$sys.csv" 500 "$users" \
      "${phones_port[$sys]}" 60)
    [ "$failed" = 0 ] && return 0
    sleep 1
  done
  tail -20 "$data/edge-$sys/kamailio.log" >&2
  die "the $users phones of $sys did not all register through its edge"
}
for sys in $systems; do
  say "registering $users phones through the $sys edge"
  register_phones "$sys"
  # The phones answer every call from now on, on the address they registered.
  (cd "$data" && exec sipp -sf "$bench_sipp_dir/phone.xml" -i 127.0.0.1 -p "${phones_port[$sys]}" -t u1 -nostdin -buff_size "$sipp_buffer" -m 100000000 \
    -trace_err -error_file "$data/phones-$sys-errors.log" >/dev/null 2>&1) &
  phones_pid[$sys]=$!
  started+=("$! sipp")
done
sleep 2
for sys in $systems; do
  kill -0 "${phones_pid[$sys]}" 2>/dev/null || die "the phones of $sys (sipp) did not start; see $data/phones-$sys-errors.log"
done

# The processes whose CPU a call costs, by kind: the edge (Kamailio's main process and its children), LocationActors'
# proxy and nodes, and the MariaDB servers of the system ("-" for a kind it does not have).
# shellcheck source=cpu.sh
source bench/cpu.sh
declare -A pids
for sys in $systems; do
  pids[$sys.edge]="${edge_pid[$sys]} $(ps -o pid= --ppid "${edge_pid[$sys]}" | tr '\n' ' ')"
  case "$sys" in
    la-*)
      pids[$sys.proxy]="$(dotnet_children LocationActors.Proxy.dll | tr '\n' ' ')"
      pids[$sys.nodes]="$(dotnet_children LocationActors.Node.dll | tr '\n' ' ')"
      pids[$sys.db]="$(LA_DB_DIR="$data/mariadb" scripts/mariadb.sh pid 1) $(LA_DB_DIR="$data/mariadb" scripts/mariadb.sh pid 2)" ;;
    p_usrloc) pids[$sys.db]="$(LA_DB_DIR="$data/mariadb" scripts/mariadb.sh pid 3) $(LA_DB_DIR="$data/mariadb" scripts/mariadb.sh pid 4)" ;;
  esac
done

# Warm-up, not reported: every system gets the same calls before its first step.
if [ "$warmup" -gt 0 ]; then
  for sys in $systems; do
    say "warming up $sys: $warmup s of calls at 1000/s (not reported)"
    sipp_step "$data/warm-up-$sys" "${edge_port[$sys]}" call.xml "$data/users-$sys.csv" 1000 $((1000 * warmup)) \
      "${caller_port[$sys]}" $((warmup + 40)) >/dev/null
    sleep 3
  done
fi

# UDP datagrams the kernel dropped because a socket's receive buffer was full (all sockets of the machine; during a
# step only that step's system has traffic).
udp_drops() { awk '/^Udp:/ {if (!h) {for (i = 2; i <= NF; i++) col[$i] = i; h = 1} else print $col["RcvbufErrors"]}' /proc/net/snmp; }

# Allocations the edge's shared memory refused so far (each logged): a transaction that cannot be built is answered 500.
shm_failures() { grep -c "could not allocate shared memory\|out of mem" "$data/edge-$1/kamailio.log" 2>/dev/null || true; }

declare -A steps
for rate in $rates; do
  for repeat in $(seq 1 "$repeats"); do
    for sys in $systems; do
      dir="$data/steps/$sys-$rate-$repeat"
      drops_before=$(udp_drops)
      shm_before=$(shm_failures "$sys")
      declare -A before=()
      for kind in edge proxy nodes db; do before[$kind]=$(ticks ${pids[$sys.$kind]:-}); done
      read -r n failed achieved p50 p99 < <(sipp_step "$dir" "${edge_port[$sys]}" call.xml "$data/users-$sys.csv" "$rate" $((rate * seconds)) \
        "${caller_port[$sys]}" $((seconds + 40)))
      drops=$(($(udp_drops) - drops_before))
      shm=$(($(shm_failures "$sys") - shm_before))
      cpu=""
      for kind in edge proxy nodes db; do
        if [ -z "${pids[$sys.$kind]:-}" ]; then cpu+=" / -"; else cpu+=" / $(cpu_ms_per "${before[$kind]}" "$(ticks ${pids[$sys.$kind]})" "$n")"; fi
      done
      cpu=${cpu# / }
      timeouts=$(grep -c "Aborting call.*received 'SIP/2.0 408" "$dir/errors.log" 2>/dev/null || true)
      complete=$(awk -v n="$n" -v f="$failed" 'BEGIN {if (f == "?") print "?"; else printf "%.2f", (n - f) / n}')
      steps[$sys.$rate]+="$complete|$complete ($failed failed, ${timeouts:-0} × 408, $drops dropped, p99 $p99 ms)|$cpu"$'\n'
      say "$sys at $rate calls/s (#$repeat): $n calls, $failed failed (${timeouts:-0} ended 408), $achieved/s achieved, INVITE→200 p50 $p50 ms" \
        "p99 $p99 ms, $drops UDP datagrams dropped on full receive buffers, $shm allocations refused by the edge's shared memory;" \
        "CPU ms per call (edge / proxy / nodes / MariaDB) $cpu"
      sleep 3 # the calls of the step end (their BYEs) before the next system's
    done
  done
done

# The median step of each system and rate, by the share of calls complete: field 2 its cell, field 3 its CPU.
median() { sort -t'|' -k1,1n | awk -v field="$1" 'NF {v[++n] = $0} END {split(v[int((n + 1) / 2)], f, "|"); print f[field]}'; }

declare -A name_of=([la-302]="LocationActors, 302" [la-http]="LocationActors, HTTP" [usrloc]="Kamailio usrloc (memory)" [p_usrloc]="Kamailio p_usrloc (db_mode 3)")
table() { # field of the median step: 2 the outcome, 3 the CPU
  local line rate sys
  line="| calls/s |"; for sys in $systems; do line+=" ${name_of[$sys]} |"; done; echo "$line"
  line="|---|"; for sys in $systems; do line+="---|"; done; echo "$line"
  for rate in $rates; do
    line="| $rate |"
    for sys in $systems; do line+=" $(printf '%s' "${steps[$sys.$rate]}" | median "$1") |"; done
    echo "$line"
  done
}
table 2
echo
echo "CPU ms per call of the same steps: edge / LocationActors' proxy / its nodes / MariaDB"
echo
table 3
