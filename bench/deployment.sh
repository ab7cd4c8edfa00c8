# bench/deployment.sh - sourced by the bench scripts: starts scripts/run-local.sh on ports of its own (nodes 24053-24055,
# HTTP 28080, SIP 25060, MariaDB from port 3437) with a throw-away data folder (the caller's $bench_data when set), waits until it serves, and stops
# everything it started (by PID) when the calling script exits. Sets $data, $seeds, $http, $sip_port and $deployment
# (run-local's PID; the nodes and the proxy are its children).
#
# Environment: LA_LOCAL_BACKEND (run-local's: sqlite, mariadb or postgres); LA_BENCH_NODE_PORTS, LA_BENCH_HTTP_PORT,
# LA_BENCH_SIP_PORT, LA_DB_BASE_PORT and LA_PG_BASE_PORT (PostgreSQL from 5537) move the ports; LA_DB_INSTANCES
# (default 2) starts more MariaDB servers in the same folder for the caller's own use (the deployment uses instances 1
# and 2), LA_PG_INSTANCES the same for PostgreSQL. A caller with processes of its own names its clean-up function in $bench_cleanup: there is
# one EXIT trap, and it runs that function before stopping the deployment.

data="${bench_data:-$(mktemp -d -t la-bench.XXXXXX)}"
# PostgreSQL runs as user postgres (when this runs as root), which must reach its folder in here.
[ "${LA_LOCAL_BACKEND:-sqlite}" = postgres ] && chmod 755 "$data"
read -r -a bench_node_ports <<<"${LA_BENCH_NODE_PORTS:-24053 24054 24055}"
seeds=$(printf 'akka.tcp://location@127.0.0.1:%s,' "${bench_node_ports[@]}"); seeds=${seeds%,}
http="127.0.0.1:${LA_BENCH_HTTP_PORT:-28080}"
sip_port=${LA_BENCH_SIP_PORT:-25060}

# LA_DB_DIR and LA_PG_DIR are set here, not inherited: the database servers live and die with this deployment's data folder.
LA_DATA_DIR="$data" LA_DB_DIR="$data/mariadb" LA_PG_DIR="$data/postgres" LA_LOCAL_NODE_PORTS="${bench_node_ports[*]}" LA_HTTP_ENDPOINT="$http" \
  LA_SIP_ENDPOINT="127.0.0.1:$sip_port" LA_DB_BASE_PORT="${LA_DB_BASE_PORT:-3437}" LA_PG_BASE_PORT="${LA_PG_BASE_PORT:-5537}" \
  scripts/run-local.sh >"$data/run-local.out" 2>&1 &
deployment=$!

stop_deployment() {
  trap - EXIT
  if [ -n "${bench_cleanup:-}" ]; then "$bench_cleanup" || true; fi
  kill -TERM "$deployment" 2>/dev/null || true
  wait "$deployment" 2>/dev/null || true
  case "${LA_LOCAL_BACKEND:-sqlite}" in
    mariadb) LA_DB_DIR="$data/mariadb" scripts/mariadb.sh down --purge >/dev/null 2>&1 || true ;;
    postgres) LA_PG_DIR="$data/postgres" scripts/postgres.sh down --purge >/dev/null 2>&1 || true ;;
  esac
  rm -rf "$data"
}
trap stop_deployment EXIT
# Without these an interrupted bench would die by the signal and skip the EXIT trap: exiting runs it.
trap 'exit 130' INT
trap 'exit 143' TERM

for i in $(seq 1 600); do
  grep -q "run-local: ready" "$data/run-local.out" 2>/dev/null && break
  kill -0 "$deployment" 2>/dev/null || { cat "$data/run-local.out"; tail -n 15 "$data"/logs/*.log >&2; echo "bench: the deployment did not start" >&2; exit 1; }
  [ "$i" -eq 600 ] && { cat "$data/run-local.out"; echo "bench: not ready after 300 s" >&2; exit 1; }
  sleep 0.5
done
# Sharding moves groups while the nodes join; measure once it has settled.
sleep 15
