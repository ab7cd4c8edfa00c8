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

# shellcheck source=deployment.sh
source bench/deployment.sh

echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), backend ${LA_LOCAL_BACKEND:-sqlite}"
dotnet bench/LocationActors.LoadDriver/bin/Release/net10.0/LocationActors.LoadDriver.dll lookups \
  --contact-points "$seeds" --http-url "http://$http" "$@"
