#!/usr/bin/env bash
#
# bench/hotpaths.sh - the hot-path micro-benchmarks (BenchmarkDotNet, bench/LocationActors.Benchmarks) and the memory
# report of a group's contacts (bytes per contact, warm-up of 1 M contacts, REGISTER rate against the group's size).
# Prints markdown tables for bench/RESULTS.md, and where the full reports are.
#
#   bench/hotpaths.sh [--quick] [--mariadb] [--only benchmarks|memory] [--filter 'GLOB' ...]
#
#   --quick    BenchmarkDotNet's short job (3 warm-ups, 3 iterations) and a memory report up to 100 k contacts;
#              without it: the medium job (2 launches, 10 warm-ups, 15 iterations) and up to 1 M contacts.
#   --mariadb  also run the batch upsert against MariaDB: one local server of scripts/mariadb.sh, started and purged
#              here (LA_DB_DIR, default a temporary folder; LA_DB_BASE_PORT, default 3527).
#   --filter   BenchmarkDotNet globs (default: every benchmark), e.g. --filter '*Sip*'.
#
# Environment: LA_BENCH_OUT (default ${TMPDIR:-/tmp}/la-bench-hotpaths): reports, and the SQLite member file of the
# warm-up, generated once and reused.

set -Eeuo pipefail
cd "$(dirname "$0")/.."

command="bench/hotpaths.sh $*"
quick=0
mariadb=0
only=""
filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --mariadb) mariadb=1; shift ;;
    --only) only=$2; shift 2 ;;
    --filter) filters+=("$2"); shift 2 ;;
    *) echo "bench/hotpaths.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

out="${LA_BENCH_OUT:-${TMPDIR:-/tmp}/la-bench-hotpaths}"
mkdir -p "$out"
project=bench/LocationActors.Benchmarks
dll="$project/bin/Release/net10.0/LocationActors.Benchmarks.dll"

# The remoting benchmark listens on these two ports; a process already there would make its numbers meaningless.
for port in 3533 3534; do
  if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
    echo "bench/hotpaths.sh: port $port is in use; the remoting benchmark needs it" >&2
    exit 1
  fi
done

started_mariadb=0
cleanup() {
  if [ "$started_mariadb" = 1 ]; then
    scripts/mariadb.sh down --purge >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $(dotnet --version) SDK, command: $command"
dotnet build "$project" -c Release -v quiet -nologo >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }

if [ "$only" != memory ]; then
  job=medium
  [ "$quick" = 1 ] && job=short
  [ ${#filters[@]} -gt 0 ] || filters=('*')
  if [ "$mariadb" = 1 ]; then
    export LA_DB_DIR="${LA_DB_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/la-bench-mariadb.XXXXXX")}"
    export LA_DB_BASE_PORT="${LA_DB_BASE_PORT:-3527}" LA_DB_INSTANCES=1
    started_mariadb=1
    scripts/mariadb.sh up >"$out/mariadb.log" 2>&1 || { cat "$out/mariadb.log"; exit 1; }
    scripts/mariadb.sh createdb 1 la_bench >>"$out/mariadb.log" 2>&1
    # shellcheck disable=SC1091
    source "$LA_DB_DIR/env"
    export LA_BENCH_MARIADB_URL="mysql://$LA_DB_USER:$LA_DB_PASSWORD@127.0.0.1:$LA_MARIADB_1_PORT/la_bench"
  fi
  rm -rf "$out/bdn/results"
  # Job and filter are BenchmarkDotNet's own options; the summary is joined into one report.
  (cd "$project" && dotnet "bin/Release/net10.0/LocationActors.Benchmarks.dll" --job "$job" --artifacts "$out/bdn" \
      --filter "${filters[@]}") >"$out/benchmarks.log" 2>&1 || { tail -50 "$out/benchmarks.log"; exit 1; }
  echo
  echo "## BenchmarkDotNet ($job job)"
  echo
  cat "$out"/bdn/results/*-report-github.md
  echo
fi

if [ "$only" != benchmarks ]; then
  args=(memory --dir "$out")
  [ "$quick" = 1 ] && args+=(--quick)
  echo "## Memory and group size"
  echo
  dotnet "$dll" "${args[@]}" 2>&1 | grep -v '^\[INFO\]'
fi
echo "full logs: $out"
