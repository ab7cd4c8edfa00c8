#!/usr/bin/env bash
#
# scripts/run-local.sh - a complete local LocationActors deployment in the foreground: 3 cluster nodes and a proxy
# (HTTP API on 127.0.0.1:8080, SIP on 127.0.0.1:5060), on embedded SQLite files (2 location groups x 2 member databases, locdb seeded).
# A process that dies is started again (logged), as a supervisor would; Ctrl-C (or SIGTERM) stops every process it started.
#
#   scripts/run-local.sh              SQLite files under ./data (nothing to install)
#   scripts/run-local.sh --mariadb    MariaDB instead: local servers started by scripts/mariadb.sh (installed through
#                                     apt-get when missing, so run as root on a fresh machine); members of each group
#                                     on different servers
#   scripts/run-local.sh --postgres   PostgreSQL instead, the same way: local servers started by scripts/postgres.sh
#
# The database servers keep running after Ctrl-C (the next run reuses them): scripts/mariadb.sh down or
# scripts/postgres.sh down, with the same LA_DB_DIR / LA_PG_DIR, stops them.
# Environment: LA_DATA_DIR (default ./data: databases and logs), LA_LOCAL_BACKEND=sqlite|mariadb|postgres (what
# --mariadb and --postgres set), LA_HTTP_ENDPOINT (default 127.0.0.1:8080), LA_SIP_ENDPOINT (default 127.0.0.1:5060),
# LA_LOCAL_NODE_PORTS (default "4053 4054 4055"), LA_ADMIN_TOKEN (default: a random one, printed), LA_DB_* as in
# scripts/mariadb.sh (LA_DB_DIR default ./data/mariadb), LA_PG_* as in scripts/postgres.sh (LA_PG_DIR default
# ./data/postgres, or a folder under /tmp when the servers' user `postgres` cannot reach ./data), LA_LOCAL_GROUPS (the
# number of groups with --mariadb, default 2: group g in databases la_g<g>, first on server 1 for odd g). Every other setting
# of docs/configuration.md reaches the nodes and the proxy through its variable as it is, e.g.
# LA_KEEPALIVE_INTERVAL=30s LA_KEEPALIVE_MAX_MISSED=3 scripts/run-local.sh (keepalive, docs/operations.md).

set -Eeuo pipefail
cd "$(dirname "$0")/.."
root=$PWD

backend="${LA_LOCAL_BACKEND:-sqlite}"
group_count="${LA_LOCAL_GROUPS:-2}"
for arg in "$@"; do
  case "$arg" in
    --mariadb) backend=mariadb ;;
    --postgres) backend=postgres ;;
    --sqlite) backend=sqlite ;;
    -h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-local.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

data="${LA_DATA_DIR:-$root/data}"
http="${LA_HTTP_ENDPOINT:-127.0.0.1:8080}"
sip="${LA_SIP_ENDPOINT:-127.0.0.1:5060}"
read -r -a ports <<<"${LA_LOCAL_NODE_PORTS:-4053 4054 4055}"
token="${LA_ADMIN_TOKEN:-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
mkdir -p "$data/logs"
pids=()

say() { printf 'run-local: %s\n' "$*"; }
die() { printf 'run-local: %s\n' "$*" >&2; exit 1; }

stop_all() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping ${#pids[@]} processes"
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
      alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ $alive -eq 0 ] && break
      sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  say "stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "${ports[@]}" "${http##*:}" "${sip##*:}"; do
  port_free "$p" || die "port $p is in use (another run still going? see 'ss -ltnp'); set LA_LOCAL_NODE_PORTS / LA_HTTP_ENDPOINT / LA_SIP_ENDPOINT"
done

say "building (Release)"
dotnet build LocationActors.sln -c Release -v quiet -nologo >"$data/logs/build.log" 2>&1 || { tail -20 "$data/logs/build.log"; die "build failed (see $data/logs/build.log)"; }
node_dll="$root/src/LocationActors.Node/bin/Release/net10.0/LocationActors.Node.dll"
proxy_dll="$root/src/LocationActors.Proxy/bin/Release/net10.0/LocationActors.Proxy.dll"
locctl_dll="$root/src/LocationActors.Cli/bin/Release/net10.0/locctl.dll"

[[ "$group_count" =~ ^[1-9][0-9]{0,2}$ ]] || die "LA_LOCAL_GROUPS must be a number of groups (1-999), not '$group_count'"
[ "$backend" = mariadb ] || [ "$group_count" = 2 ] || die "LA_LOCAL_GROUPS is for the MariaDB backend (--mariadb); the others have 2 groups"

case "$backend" in
  sqlite)
    master="sqlite://$data/master.db"
    groups=(--group "sqlite://$data/g1m1.db,sqlite://$data/g1m2.db" --group "sqlite://$data/g2m1.db,sqlite://$data/g2m2.db")
    ;;
  mariadb)
    export LA_DB_DIR="${LA_DB_DIR:-$data/mariadb}"
    scripts/mariadb.sh up >"$data/logs/mariadb.log" 2>&1 || { tail -20 "$data/logs/mariadb.log"; die "could not start MariaDB (see $data/logs/mariadb.log)"; }
    # shellcheck disable=SC1091
    source "$LA_DB_DIR/env"
    # Group g's first member on server 1 for odd g, 2 for even g, its second on the other: each server is first for half.
    scripts/mariadb.sh sql 1 "CREATE DATABASE IF NOT EXISTS la_master" >/dev/null
    groups=()
    for ((g = 1; g <= group_count; g++)); do
      first=$(((g + 1) % 2 + 1)); second=$((3 - first))
      scripts/mariadb.sh sql "$first" "CREATE DATABASE IF NOT EXISTS la_g$g" >/dev/null
      scripts/mariadb.sh sql "$second" "CREATE DATABASE IF NOT EXISTS la_g$g" >/dev/null
      first_url=LA_MARIADB_${first}_URL; second_url=LA_MARIADB_${second}_URL
      groups+=(--group "${!first_url}/la_g$g,${!second_url}/la_g$g")
    done
    master="$LA_MARIADB_1_URL/la_master"
    ;;
  postgres)
    if [ -z "${LA_PG_DIR:-}" ]; then
      LA_PG_DIR=$data/postgres
      # As root the servers run as user postgres, which must be able to reach their folder.
      if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$data"; then
        LA_PG_DIR="${TMPDIR:-/tmp}/locationactors-local-postgres"
      fi
    fi
    export LA_PG_DIR
    scripts/postgres.sh up >"$data/logs/postgres.log" 2>&1 || { tail -20 "$data/logs/postgres.log"; die "could not start PostgreSQL (see $data/logs/postgres.log)"; }
    # shellcheck disable=SC1091
    source "$LA_PG_DIR/env"
    for db in "1 la_master" "1 la_g1" "2 la_g1" "2 la_g2" "1 la_g2"; do
      set -- $db
      scripts/postgres.sh createdb "$1" "$2" >/dev/null 2>>"$data/logs/postgres.log"
    done
    master="$LA_POSTGRES_1_URL/la_master"
    groups=(--group "$LA_POSTGRES_1_URL/la_g1,$LA_POSTGRES_2_URL/la_g1" --group "$LA_POSTGRES_2_URL/la_g2,$LA_POSTGRES_1_URL/la_g2")
    ;;
  *) die "LA_LOCAL_BACKEND must be sqlite, mariadb or postgres, not '$backend'" ;;
esac

export LA_MASTER_DB_URL="$master"
dotnet exec "$node_dll" init "${groups[@]}" | sed 's/^/run-local: /'

seeds=$(printf 'akka.tcp://location@127.0.0.1:%s,' "${ports[@]}"); seeds=${seeds%,}
mkdir -p "$data/run"
# Each process by name (node-<port>, proxy), its PID also in $data/run/<name>.pid: a supervisor's view of them.
declare -A pid_of=()
start() {
  local name=$1
  if [ "$name" = proxy ]; then
    LA_HTTP_ENDPOINT=$http LA_SIP_ENDPOINT=$sip LA_CONTACT_POINTS=$seeds LA_ADMIN_TOKEN=$token LA_EXIT_WITH_PARENT=$$ \
      dotnet exec "$proxy_dll" run >>"$data/logs/proxy.log" 2>&1 &
  else
    LA_NODE_PORT=${name#node-} LA_SEED_NODES=$seeds LA_EXIT_WITH_PARENT=$$ dotnet exec "$node_dll" run >>"$data/logs/$name.log" 2>&1 &
  fi
  pid_of[$name]=$!
  echo $! >"$data/run/$name.pid"
  pids=("${pid_of[@]}")
}
for p in "${ports[@]}"; do start "node-$p"; done
start proxy

say "3 nodes (ports ${ports[*]}) and the proxy started on $backend; waiting until every group serves"
for i in $(seq 1 240); do
  if curl -fsS "http://$http/health/ready" >/dev/null 2>&1; then break; fi
  for pid in "${pid_of[@]}"; do kill -0 "$pid" 2>/dev/null || die "a process exited early; see $data/logs/"; done
  [ "$i" -eq 240 ] && die "not ready after 120 s; see $data/logs/"
  sleep 0.5
done

cat <<EOF
run-local: ready.
  HTTP API     http://$http   (routes: docs/http-api.md)   admin token: $token
  status page  http://$http/ui   (open it in a browser)
  SIP          udp+tcp $sip   (registrar; INVITE/MESSAGE for a user is answered 302 with its contacts)
  cluster      ${seeds//,/ }
  databases    master $(printf '%s' "$master" | sed -E 's#//([^:/]+):[^@]*@#//\1:***@#')
  logs         $data/logs/
Try it:
  curl -s -X POST http://$http/v1/aors/alice -d '{"contacts":[{"uri":"sip:alice@192.0.2.10:5060","expires":3600}]}'
  curl -s http://$http/v1/aors/alice
  sipsak -U -C sip:bob@192.0.2.20:5060 -x 3600 -s sip:bob@localhost -p ${sip%:*}:${sip##*:} -vv
  dotnet $locctl_dll status --url http://$http
  dotnet $locctl_dll db maintenance 1 2 --url http://$http --token $token
Try a failover by hand: kill a node (it is started again, as a supervisor would) and watch its groups move:
  kill -9 \$(cat $data/run/node-${ports[0]}.pid); dotnet $locctl_dll status --url http://$http
Ctrl-C stops everything.
EOF

# In the foreground until Ctrl-C. A process that dies is started again after a short pause, as systemd or a
# container runtime would: the cluster serves on meanwhile, and the node rejoins it.
while true; do
  for name in "${!pid_of[@]}"; do
    pid=${pid_of[$name]}
    kill -0 "$pid" 2>/dev/null && continue
    code=0; wait "$pid" 2>/dev/null || code=$?
    say "$name (pid $pid) exited with status $code; starting it again in 2 s (log: $data/logs/$name.log)"
    sleep 2
    start "$name"
    say "$name started again (pid ${pid_of[$name]})"
  done
  sleep 1
done
