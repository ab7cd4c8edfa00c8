#!/usr/bin/env bash
#
# bench/lookups.sh - lookup throughput and latency from a proxy to the cluster (bench/RESULTS.md).
# Starts scripts/run-local.sh on ports of its own with a throw-away data folder (3 nodes + a proxy, on loopback),
# runs the lookup load driver against it, and stops everything it started (by PID).
#
#   bench/lookups.sh [--seconds N] [--users N] [--concurrency 1,16,64]   (extra arguments go to the driver)
#
# Environment: LA_LOCAL_BACKEND=sqlite|mariadb (default sqlite; lookups are answered from memory either way).

set -Eeuo pipefail
cd "$(dirname "$0")/.."

data="$(mktemp -d -t la-bench.XXXXXX)"
ports="24053 24054 24055"
http="127.0.0.1:28080"
seeds="akka.tcp://location@127.0.0.1:24053,akka.tcp://location@127.0.0.1:24054,akka.tcp://location@127.0.0.1:24055"

LA_DATA_DIR="$data" LA_LOCAL_NODE_PORTS="$ports" LA_HTTP_ENDPOINT="$http" scripts/run-local.sh >"$data/run-local.out" 2>&1 &
deployment=$!
cleanup() {
  kill -TERM "$deployment" 2>/dev/null || true
  wait "$deployment" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for i in $(seq 1 400); do
  grep -q "run-local: ready" "$data/run-local.out" 2>/dev/null && break
  kill -0 "$deployment" 2>/dev/null || { cat "$data/run-local.out"; echo "bench: the deployment did not start" >&2; exit 1; }
  [ "$i" -eq 400 ] && { cat "$data/run-local.out"; echo "bench: not ready after 200 s" >&2; exit 1; }
  sleep 0.5
done

echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), backend ${LA_LOCAL_BACKEND:-sqlite}"
dotnet bench/LocationActors.LoadDriver/bin/Release/net10.0/LocationActors.LoadDriver.dll lookups \
  --contact-points "$seeds" --http-url "http://$http" "$@"
