#!/usr/bin/env bash
#
# bench/run.sh - LocationActors against Kamailio p_usrloc, side by side on loopback (bench/RESULTS.md). For each system:
# the highest rate of new REGISTERs, re-REGISTERs and INVITE->302s it answers with zero failed calls under sipp, p50/p99
# at 500/s, and the CPU each kind of process spends per request (at the highest rate both passed). Prints one markdown
# table on stdout; the steps and progress go to stderr.
#
#   bench/run.sh [--quick] [--seconds N] [--rates "1000 2000 ..."] [--children N] [--budget SECONDS] [--repeats N]
#                [--scenarios "register reregister invite302"] [--backend mariadb|postgres]
#
#   --quick       3 s steps, rates "1000 2000 4000", 1 latency repeat, about 3 minutes: to check that everything works
#   --seconds N   length of a step (default 8)
#   --rates       the rates stepped through after the 500/s step (default "1000 1500 2000 3000 4000 5000 6000 8000 10000")
#   --children N  Kamailio's UDP worker processes (default 8, see below)
#   --budget S    no step starts that could end later than S seconds after the start (default 840; --quick 270)
#   --repeats N   runs of the latency point per system and scenario; the table gives their median (default 3)
#   --scenarios   the ramps to run (default all three); the latency point always measures all three
#   --backend     the database servers (default mariadb). With postgres: 2 PostgreSQL servers (scripts/postgres.sh), and
#                 Kamailio through db_postgres reads LocationActors' own layout. p_usrloc cannot store a contact through
#                 db_postgres (docs/migration.md, "On PostgreSQL"): its REGISTER and re-REGISTER are not run, and its
#                 INVITEs look up the users LocationActors registered, so both systems read the same rows.
#
# What runs, all on 127.0.0.1: 4 MariaDB servers (scripts/mariadb.sh, in the run's own temporary folder), the
# LocationActors deployment of bench/deployment.sh (3 nodes + a proxy; locdb on server 1, groups 1 and 2 with a member
# on each of servers 1 and 2), and Kamailio with bench/kamailio/kamailio.cfg on a copy of the same layout on servers 3
# and 4 (databases kam_*). Separate servers per system, so each system's MariaDB CPU is its own.
#
# Each system gets a warm-up (not reported), then the latency point: new REGISTERs, re-REGISTERs and INVITEs at
# 500/s, 4,000 of each, timed to the microsecond by the load driver's sip-latency (sipp's own trace counts in 4 ms
# ticks here), --repeats times, the systems taking turns. Then the ramps: for REGISTER (new users at every step),
# re-REGISTER (the same contacts again: a refresh) and INVITE (302 expected, users registered before), a 500/s step,
# then the rates in turn. A system's ramp of a scenario stops at its first step with a failed call or an achieved rate
# below 90 % of the target. The systems alternate per scenario, so slow drift in the machine's load hits both.
#
# Kamailio's workers: p_usrloc in db_mode 3 reads and writes MariaDB synchronously inside the worker handling the
# request, so a worker spends much of a request waiting for a database round trip. 8 workers (4 per core here) keep
# both cores busy while some wait; the test configuration's 2 would measure the round trips, not Kamailio.
#
# Environment: LA_DB_BASE_PORT (default 3537: servers on 3537-3540), LA_BENCH_NODE_PORTS (default "44053 44054 44055"),
# LA_BENCH_HTTP_PORT (48080), LA_BENCH_SIP_PORT (45060, LocationActors), LA_BENCH_KAMAILIO_PORT (45062),
# LA_BENCH_SIPP_PORTS ("45070 45071": sipp's own port towards LocationActors and towards Kamailio).

set -Eeuo pipefail
cd "$(dirname "$0")/.."

seconds=8
rates="1000 1500 2000 3000 4000 5000 6000 8000 10000"
children=8
budget=840
quick=0
repeats=3
scenarios="register reregister invite302"
backend=mariadb
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --seconds) seconds=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --children) children=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    -h|--help) sed -n '3,42p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$quick" -eq 1 ]; then
  seconds=3
  rates="1000 2000 4000"
  budget=270
  repeats=1
fi
latency_rate=500

say() { printf 'run: %s\n' "$*" >&2; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

for n in "$seconds" "$children" "$budget" "$repeats" $rates; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive whole number"
done
for scenario in $scenarios; do
  [[ "$scenario" =~ ^(register|reregister|invite302)$ ]] || die "unknown scenario '$scenario' (register, reregister or invite302)"
done
command -v sipp >/dev/null || die "sipp is missing (apt-get install sip-tester)"
# Debian installs Kamailio in /usr/sbin, which a non-login PATH may lack.
kamailio_bin=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$kamailio_bin" ] || die "kamailio is missing (apt-get install kamailio kamailio-mysql-modules)"
modules=$(ls -d /usr/lib/*/kamailio/modules 2>/dev/null | head -n 1)
case "$backend" in
  mariadb) db_module=db_mysql.so; db_package=kamailio-mysql-modules ;;
  postgres) db_module=db_postgres.so; db_package=kamailio-postgres-modules ;;
  *) die "unknown backend '$backend' (mariadb or postgres)" ;;
esac
[ -f "$modules/p_usrloc.so" ] && [ -f "$modules/$db_module" ] || die "Kamailio's p_usrloc/$db_module modules are missing (apt-get install $db_package)"

export LA_LOCAL_BACKEND=$backend
# MariaDB: two servers for LocationActors (the deployment's), two for Kamailio. PostgreSQL: the deployment's two, which
# Kamailio only reads.
export LA_DB_INSTANCES=4
export LA_DB_BASE_PORT="${LA_DB_BASE_PORT:-3537}"
export LA_PG_BASE_PORT="${LA_PG_BASE_PORT:-5537}"
db_ports=$([ "$backend" = mariadb ] && seq "$LA_DB_BASE_PORT" $((LA_DB_BASE_PORT + 3)) || seq "$LA_PG_BASE_PORT" $((LA_PG_BASE_PORT + 1)))
export LA_BENCH_NODE_PORTS="${LA_BENCH_NODE_PORTS:-44053 44054 44055}"
export LA_BENCH_HTTP_PORT="${LA_BENCH_HTTP_PORT:-48080}"
export LA_BENCH_SIP_PORT="${LA_BENCH_SIP_PORT:-45060}"
kamailio_port="${LA_BENCH_KAMAILIO_PORT:-45062}"
read -r la_sipp_port kam_sipp_port <<<"${LA_BENCH_SIPP_PORTS:-45070 45071}"

# Refuse to start next to something already listening: a foreign server would answer our traffic, or ours would
# fail to bind halfway through.
for p in $LA_BENCH_NODE_PORTS "$LA_BENCH_HTTP_PORT" "$LA_BENCH_SIP_PORT" "$kamailio_port" "$la_sipp_port" "$kam_sipp_port" $db_ports; do
  [ -z "$(ss -Hltun "sport = :$p" 2>/dev/null)" ] || die "port $p is in use (see 'ss -ltunp'); move it with the environment variables of --help"
done

# Kamailio's processes: the main one (started here) and the children it forks. Stopped before the deployment.
kam_pid=""
stop_kamailio() {
  [ -n "$kam_pid" ] || return 0
  local children_pids pid
  children_pids=$(ps -o pid= --ppid "$kam_pid" 2>/dev/null || true)
  kill -TERM "$kam_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$kam_pid" 2>/dev/null || break
    sleep 0.1
  done
  # Whatever is left of what was started here, checked by name so a reused PID is left alone.
  for pid in $kam_pid $children_pids; do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kamailio ] && kill -KILL "$pid" 2>/dev/null || true
  done
  wait "$kam_pid" 2>/dev/null || true
  kam_pid=""
}
bench_cleanup=stop_kamailio

say "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); building and starting LocationActors"
# shellcheck source=deployment.sh
source bench/deployment.sh
# shellcheck source=sipp/step.sh
source bench/sipp/step.sh
if [ "$backend" = mariadb ]; then
  # shellcheck disable=SC1091
  source "$data/mariadb/env"
  # shellcheck source=kamailio/layout.sh
  source bench/kamailio/layout.sh
  kamailio_layout
else
  # shellcheck disable=SC1091
  source "$data/postgres/env"
  kamailio_master_url="$LA_POSTGRES_1_URL/la_master"
fi

say "starting Kamailio ($children UDP workers) on 127.0.0.1:$kamailio_port"
kam_dir="$data/kamailio"
mkdir -p "$kam_dir"
# The copy holds the database password: readable by this user only.
(umask 077 && sed -e "s|DB_MODULE|$db_module|" -e "s|MASTER_DB_URL|$kamailio_master_url|" -e "s|SIP_PORT|$kamailio_port|" \
  -e "s|CHILDREN|$children|" -e "s|MODULES_PATH|$modules/|" bench/kamailio/kamailio.cfg >"$kam_dir/kamailio.cfg")
# In the foreground (-DD), logging to stderr (-E), its pid file and runtime folder in the run's folder, as this user.
"$kamailio_bin" -f "$kam_dir/kamailio.cfg" -DD -E -P "$kam_dir/kamailio.pid" -w "$kam_dir" -Y "$kam_dir" -m 256 -M 16 \
  >"$kam_dir/kamailio.log" 2>&1 &
kam_pid=$!

# Ready when a REGISTER is answered 200: the SIP port, the workers and the databases all work.
bench/sipp/users.sh 1 probe >"$data/probe.csv"
wait_registers() { # name port sipp_port
  local i failed
  for i in $(seq 1 60); do
    read -r _ failed _ < <(sipp_step "$data/probe-$1-$i" "$2" register.xml "$data/probe.csv" 1 1 "$3" 5)
    [ "$failed" = 0 ] && return 0
    [ "$1" = kamailio ] && ! kill -0 "$kam_pid" 2>/dev/null && { tail -20 "$kam_dir/kamailio.log" >&2; die "Kamailio exited"; }
    sleep 0.5
  done
  [ "$1" = kamailio ] && tail -20 "$kam_dir/kamailio.log" >&2
  die "$1 does not answer REGISTER on port $2"
}
wait_registers locationactors "$sip_port" "$la_sipp_port"
if [ "$backend" = mariadb ]; then
  wait_registers kamailio "$kamailio_port" "$kam_sipp_port"
else
  # p_usrloc cannot register here: ready when it finds the probe user LocationActors registered.
  for i in $(seq 1 60); do
    read -r _ failed _ < <(sipp_step "$data/probe-kamailio-$i" "$kamailio_port" invite302.xml "$data/probe.csv" 1 1 "$kam_sipp_port" 5)
    [ "$failed" = 0 ] && break
    kill -0 "$kam_pid" 2>/dev/null || { tail -20 "$kam_dir/kamailio.log" >&2; die "Kamailio exited"; }
    [ "$i" -eq 60 ] && { tail -20 "$kam_dir/kamailio.log" >&2; die "Kamailio does not find the probe user LocationActors registered"; }
    sleep 0.5
  done
fi

# The processes whose CPU is counted, by kind: the SIP server (Kamailio's processes, or the proxy), the cluster nodes,
# and the system's MariaDB servers.
# shellcheck source=cpu.sh
source bench/cpu.sh
declare -A pids
# A PostgreSQL server's work is done in its backends (one process per connection, children of the server): they are
# listed after the warm-up, when every pool holds its connections.
db_pids() { # instance...
  local i pid
  for i in "$@"; do
    if [ "$backend" = mariadb ]; then
      LA_DB_DIR="$data/mariadb" scripts/mariadb.sh pid "$i"
    else
      pid=$(LA_PG_DIR="$data/postgres" scripts/postgres.sh pid "$i")
      echo "$pid"; pgrep -P "$pid" || true
    fi
  done | tr '\n' ' '
}
set_db_pids() {
  if [ "$backend" = mariadb ]; then
    pids[kamailio.db]=$(db_pids 3 4)
  else
    pids[kamailio.db]=$(db_pids 1 2) # the same servers: the steps of the two systems never overlap
  fi
  pids[locationactors.db]=$(db_pids 1 2)
}
pids[kamailio.sip]="$kam_pid $(ps -o pid= --ppid "$kam_pid" | tr '\n' ' ')"
pids[kamailio.nodes]=""
pids[locationactors.sip]="$(dotnet_children LocationActors.Proxy.dll | tr '\n' ' ')"
pids[locationactors.nodes]="$(dotnet_children LocationActors.Node.dll | tr '\n' ' ')"
set_db_pids
[ "$(wc -w <<<"${pids[locationactors.nodes]}")" -eq 3 ] && [ "$(wc -w <<<"${pids[locationactors.sip]}")" -eq 1 ] ||
  die "could not find the 3 node processes and the proxy under run-local (PID $deployment)"
for k in "${!pids[@]}"; do say "CPU of $k: PIDs ${pids[$k]:-none}"; done

# One step: sipp at a rate, the CPU of every kind of process around it. Sets step_failed, step_achieved, step_p50,
# step_p99 and step_cpu (ms per request: "sip nodes db", "-" for a kind the system does not have).
declare -A port_of=([kamailio]="$kamailio_port" [locationactors]="$sip_port")
declare -A sipp_port_of=([kamailio]="$kam_sipp_port" [locationactors]="$la_sipp_port")
step() { # system scenario rate users
  local sys=$1 scenario=$2 rate=$3 users=$4 calls=$(($3 * seconds)) kind n
  local -A before
  for kind in sip nodes db; do before[$kind]=$(ticks ${pids[$sys.$kind]}); done
  read -r n step_failed step_achieved step_p50 step_p99 < <(sipp_step "$data/steps/$sys-$scenario-$rate" "${port_of[$sys]}" \
    "$scenario.xml" "$users" "$rate" "$calls" "${sipp_port_of[$sys]}" $((seconds * 4 + 10)))
  step_cpu=""
  for kind in sip nodes db; do
    if [ -z "${pids[$sys.$kind]}" ]; then step_cpu+=" -"; continue; fi
    step_cpu+=" $(cpu_ms_per "${before[$kind]}" "$(ticks ${pids[$sys.$kind]})" "$n")"
  done
  step_cpu=${step_cpu# }
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$sys" "$scenario" "$rate" "$n" "$step_failed" "$step_achieved" \
    "$step_p50" "$step_p99" "${step_cpu// / \/ }" >&2
}

# Users registered in clean steps, per system: what re-REGISTER and INVITE use. On PostgreSQL Kamailio looks up
# LocationActors' users (it cannot register its own).
pool() { if [ "$backend" = postgres ]; then echo "$data/pool-locationactors.csv"; else echo "$data/pool-$1.csv"; fi; }
# Whether a system runs a scenario: p_usrloc cannot register through db_postgres.
runs() { [ "$backend" = mariadb ] || [ "$1" = locationactors ] || [ "$2" = invite302 ]; }

# The ramp of one scenario for one system. Sets result[sys.scenario] (highest clean achieved rate, "≥" in front when
# even the last rate was clean), and cpu[sys.scenario.rate] of every step with clean[sys.scenario.rate] for those
# without failures.
declare -A result lat cpu clean
# The time left is shared among the ramps still to run (time a ramp leaves unused goes to the next), so a slow start
# or a long ramp cannot take every step from the scenarios after it; the 500/s step runs whenever the budget allows.
ramps_left=$(($(wc -w <<<"$scenarios") * 2))
ramp() { # system scenario
  local sys=$1 scenario=$2 rate users best="" stopped=0 ran=0 share_end
  share_end=$((SECONDS + (budget - SECONDS) / ramps_left))
  ramps_left=$((ramps_left - 1))
  for rate in $latency_rate $rates; do
    if [ $((SECONDS + seconds * 2 + 5)) -gt "$budget" ] || { [ "$ran" -gt 0 ] && [ $((SECONDS + seconds + 3)) -gt "$share_end" ]; }; then
      say "$sys $scenario: its share of the time budget ends before a $rate/s step; stopping here"
      stopped=1
      break
    fi
    ran=1
    if [ "$scenario" = register ]; then
      users="$data/users-$sys-$rate.csv"
      bench/sipp/users.sh $((rate * seconds)) "${sys:0:1}r${rate}u" >"$users"   # new users at every step
    else
      users=$(pool "$sys")
    fi
    step "$sys" "$scenario" "$rate" "$users"
    cpu[$sys.$scenario.$rate]="$step_cpu"
    if [ "$step_failed" != 0 ] || [ "$((step_achieved * 10))" -lt "$((rate * 9))" ]; then
      stopped=1
      break
    fi
    clean[$sys.$scenario.$rate]=1
    best=$step_achieved
    [ "$scenario" = register ] && tail -n +2 "$users" >>"$(pool "$sys")"
    # Let queued database writes finish, so a step does not pay for the one before.
    sleep 1
  done
  [ "$ran" -eq 1 ] && result[$sys.$scenario]="${best:-none}"
  [ -n "$best" ] && [ "$stopped" -eq 0 ] && result[$sys.$scenario]="≥ $best"
  return 0
}

systems="kamailio locationactors"
# The prefix of a system's own users (on PostgreSQL, Kamailio's are LocationActors').
user_prefix() { if [ "$backend" = postgres ]; then echo l; else echo "${1:0:1}"; fi; }
say "warming up (not reported): JIT, connection pools, the databases' buffers"
for sys in locationactors kamailio; do
  echo SEQUENTIAL >"$(pool "$sys")"
  bench/sipp/users.sh $((latency_rate * (quick ? 2 : 5))) "$(user_prefix "$sys")warm" >"$data/warm-$sys.csv"
  runs "$sys" register && sipp_step "$data/warm-$sys-register" "${port_of[$sys]}" register.xml "$data/warm-$sys.csv" "$latency_rate" \
    $((latency_rate * (quick ? 2 : 5))) "${sipp_port_of[$sys]}" 60 >/dev/null
  sipp_step "$data/warm-$sys-invite" "${port_of[$sys]}" invite302.xml "$data/warm-$sys.csv" "$latency_rate" \
    $((latency_rate * (quick ? 2 : 5))) "${sipp_port_of[$sys]}" 60 >/dev/null
done
set_db_pids
for k in kamailio.db locationactors.db; do say "CPU of $k after the warm-up: PIDs ${pids[$k]}"; done

# The latency point: each run of the load driver prints "sent failed achieved/s p50 p90 p99 p99.9 max" (ms). New users
# per repeat and system: the REGISTER run stores them, the re-REGISTER run refreshes the same contacts (same port),
# the INVITE run looks them up. lat[sys.scenario] gets "p50 p99", each the median of the repeats.
driver="$PWD/bench/LocationActors.LoadDriver/bin/Release/net10.0/LocationActors.LoadDriver.dll"
[ -f "$driver" ] || die "the load driver is not built ($driver)"
latency_count=$((latency_rate * 8))
declare -A lat_runs
say "latency at $latency_rate/s, $latency_count requests per run, $repeats run(s) per system (ms: sent failed achieved/s p50 p90 p99 p99.9 max)"
for ((rep = 1; rep <= repeats; rep++)); do
  for scenario in register reregister invite302; do
    for sys in $([ "$backend" = postgres ] && echo "locationactors kamailio" || echo "$systems"); do
      runs "$sys" "$scenario" || continue
      case $scenario in
        invite302) args=(--scenario invite) ;;
        *) args=(--scenario register --local-port "${sipp_port_of[$sys]}") ;;
      esac
      line=$(dotnet exec "$driver" sip-latency --target "127.0.0.1:${port_of[$sys]}" --prefix "$(user_prefix "$sys")lat${rep}u" \
        --users "$latency_count" --count "$latency_count" --rate "$latency_rate" "${args[@]}") || true
      say "latency $sys $scenario run $rep: $line"
      read -r _ failed _ p50 _ p99 _ <<<"$line"
      [ "$failed" = 0 ] && lat_runs[$sys.$scenario]+="$p50 $p99;"
      # Users the latency point registered join the pool that the re-REGISTER and INVITE ramps use (with --scenarios
      # leaving out the REGISTER ramp, they are the whole pool).
      [ "$scenario" = register ] && [ "$failed" = 0 ] && bench/sipp/users.sh "$latency_count" "$(user_prefix "$sys")lat${rep}u" | tail -n +2 >>"$(pool "$sys")"
      sleep 1
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
for key in "${!lat_runs[@]}"; do
  runs=$(tr ';' '\n' <<<"${lat_runs[$key]}" | grep -v '^$')
  # Fewer clean runs than repeats: the cell says how many there were.
  lat[$key]="$(cut -d' ' -f1 <<<"$runs" | median) $(cut -d' ' -f2 <<<"$runs" | median)$([ "$(wc -l <<<"$runs")" -lt "$repeats" ] && echo " ($(wc -l <<<"$runs") of $repeats clean)" || true)"
done

db_name=$([ "$backend" = mariadb ] && echo MariaDB || echo PostgreSQL)
say "steps of $seconds s: 500/s, then $rates (CPU ms per request: SIP server / nodes / $db_name)"
printf '| system | scenario | target/s | calls | failed | achieved/s | p50 ms | p99 ms | CPU ms/request |\n|---|---|---|---|---|---|---|---|---|\n' >&2
for scenario in $scenarios; do
  for sys in $systems; do
    runs "$sys" "$scenario" || { ramps_left=$((ramps_left - 1)); continue; }
    ramp "$sys" "$scenario"
  done
done

# The summary. Ratios are LocationActors / Kamailio; a rate ratio is a lower bound ("≥") when LocationActors' ramp
# never failed.
ratio() { # la kamailio
  awk -v a="$1" -v b="$2" 'BEGIN {
    ge = (a ~ /^≥/); sub(/^≥ /, "", a); sub(/^≥ /, "", b)
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) {print "–"; exit}
    printf "%s%.2f", (ge ? "≥ " : ""), a / b }'
}
# CPU per request is compared at one load for both: the highest rate both systems passed without failures (at 500/s
# the idle work of 4 .NET processes, cluster heartbeats and timers, weighs more per request than at higher rates).
# Without such a rate, the 500/s step, failures or not.
cpu_rate() { # scenario
  local rate common=$latency_rate
  for rate in $latency_rate $rates; do
    [ -n "${clean[kamailio.$1.$rate]:-}" ] && [ -n "${clean[locationactors.$1.$rate]:-}" ] && common=$rate
  done
  echo "$common"
}
cpu_cell() { # "sip nodes db" rate -> "at rate/s: sip / nodes / db = total"
  [ -n "${1:-}" ] || { echo "–"; return; }
  awk -v c="$1" -v r="$2" 'BEGIN {n = split(c, v, " "); t = 0; s = ""
    for (i = 1; i <= n; i++) {if (v[i] != "-") t += v[i]; s = s (i > 1 ? " / " : "") (v[i] == "-" ? "–" : v[i])}
    printf "at %s/s: %s = %.3f", r, s, t}'
}
cpu_total() { [ -n "${1:-}" ] && awk -v c="$1" 'BEGIN {n = split(c, v, " "); for (i = 1; i <= n; i++) if (v[i] != "-") t += v[i]; printf "%.3f", t}' || echo "–"; }
lat_cell() { [ -n "${1:-}" ] && awk '{printf "%s / %s", $1, $2; for (i = 3; i <= NF; i++) printf " %s", $i}' <<<"$1" || echo "–"; }

echo
echo "bench/run.sh: $backend, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $seconds s steps, Kamailio $children UDP workers, latency: median of $repeats run(s); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| system | REGISTER/s | re-REGISTER/s | INVITE→302/s | REGISTER p50 / p99 ms at 500/s | re-REGISTER p50 / p99 ms at 500/s | INVITE p50 / p99 ms at 500/s | REGISTER CPU ms/request: SIP server / nodes / $db_name = total | INVITE CPU ms/request: SIP server / nodes / $db_name = total |"
echo "|---|---|---|---|---|---|---|---|---|"
reg_cpu_rate=$(cpu_rate register)
inv_cpu_rate=$(cpu_rate invite302)
for sys in kamailio locationactors; do
  name=$([ "$sys" = kamailio ] && echo "Kamailio p_usrloc" || echo "LocationActors")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "${result[$sys.register]:-–}" "${result[$sys.reregister]:-–}" \
    "${result[$sys.invite302]:-–}" "$(lat_cell "${lat[$sys.register]:-}")" "$(lat_cell "${lat[$sys.reregister]:-}")" "$(lat_cell "${lat[$sys.invite302]:-}")" \
    "$(cpu_cell "${cpu[$sys.register.$reg_cpu_rate]:-}" "$reg_cpu_rate")" "$(cpu_cell "${cpu[$sys.invite302.$inv_cpu_rate]:-}" "$inv_cpu_rate")"
done
read -r lr50 lr99 _ <<<"${lat[locationactors.register]:-- -}"; read -r kr50 kr99 _ <<<"${lat[kamailio.register]:-- -}"
read -r le50 le99 _ <<<"${lat[locationactors.reregister]:-- -}"; read -r ke50 ke99 _ <<<"${lat[kamailio.reregister]:-- -}"
read -r li50 li99 _ <<<"${lat[locationactors.invite302]:-- -}"; read -r ki50 ki99 _ <<<"${lat[kamailio.invite302]:-- -}"
printf '| LocationActors / Kamailio | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %s |\n' \
  "$(ratio "${result[locationactors.register]:-}" "${result[kamailio.register]:-}")" \
  "$(ratio "${result[locationactors.reregister]:-}" "${result[kamailio.reregister]:-}")" \
  "$(ratio "${result[locationactors.invite302]:-}" "${result[kamailio.invite302]:-}")" \
  "$(ratio "$lr50" "$kr50")" "$(ratio "$lr99" "$kr99")" "$(ratio "$le50" "$ke50")" "$(ratio "$le99" "$ke99")" \
  "$(ratio "$li50" "$ki50")" "$(ratio "$li99" "$ki99")" \
  "$(ratio "$(cpu_total "${cpu[locationactors.register.$reg_cpu_rate]:-}")" "$(cpu_total "${cpu[kamailio.register.$reg_cpu_rate]:-}")")" \
  "$(ratio "$(cpu_total "${cpu[locationactors.invite302.$inv_cpu_rate]:-}")" "$(cpu_total "${cpu[kamailio.invite302.$inv_cpu_rate]:-}")")"
[ "$backend" = postgres ] && echo && echo "p_usrloc's REGISTER and re-REGISTER: not run, every one fails in db_postgres (docs/migration.md, \"On PostgreSQL\"); its INVITEs look up LocationActors' users on the same servers."
say "done in $SECONDS s"
