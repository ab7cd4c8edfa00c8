# bench/deployment.sh - sourced by the bench scripts: starts scripts/run-local.sh on ports of its own (nodes 24053-24055,
# HTTP 28080, SIP 25060, MariaDB from port 3437) with a throw-away data folder, waits until it serves, and stops
# everything it started (by PID) when the calling script exits. Sets $data, $seeds, $http and $sip_port.

data="$(mktemp -d -t la-bench.XXXXXX)"
seeds="akka.tcp://location@127.0.0.1:24053,akka.tcp://location@127.0.0.1:24054,akka.tcp://location@127.0.0.1:24055"
http="127.0.0.1:28080"
sip_port=25060

LA_DATA_DIR="$data" LA_LOCAL_NODE_PORTS="24053 24054 24055" LA_HTTP_ENDPOINT="$http" LA_SIP_ENDPOINT="127.0.0.1:$sip_port" \
  LA_DB_BASE_PORT="${LA_DB_BASE_PORT:-3437}" scripts/run-local.sh >"$data/run-local.out" 2>&1 &
deployment=$!

stop_deployment() {
  kill -TERM "$deployment" 2>/dev/null || true
  wait "$deployment" 2>/dev/null || true
  if [ "${LA_LOCAL_BACKEND:-sqlite}" = mariadb ]; then
    LA_DB_DIR="$data/mariadb" scripts/mariadb.sh down --purge >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
}
trap stop_deployment EXIT

for i in $(seq 1 600); do
  grep -q "run-local: ready" "$data/run-local.out" 2>/dev/null && break
  kill -0 "$deployment" 2>/dev/null || { cat "$data/run-local.out"; echo "bench: the deployment did not start" >&2; exit 1; }
  [ "$i" -eq 600 ] && { cat "$data/run-local.out"; echo "bench: not ready after 300 s" >&2; exit 1; }
  sleep 0.5
done
# Sharding moves groups while the nodes join; measure once it has settled.
sleep 15
