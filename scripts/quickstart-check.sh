#!/usr/bin/env bash
#
# scripts/quickstart-check.sh - does what the README's Quick start tells a newcomer, and checks that it works: runs
# scripts/run-local.sh (the first command) in the background, waits until it says it is ready, registers a contact
# with sipsak over SIP (the command run-local.sh prints under "Try it"), finds it with `locctl lookup`, registers
# more users over HTTP, kills a node (SIGKILL, the failover run-local.sh suggests trying) and finds every user again
# once run-local.sh has started the node again, then stops run-local.sh by its PID (SIGTERM, as Ctrl-C would) and
# checks that every process it started is gone.
# Ends with "quickstart-check: OK" (exit 0) or the reason and run-local.sh's output (exit 1).
#
# Environment: what run-local.sh reads (LA_DATA_DIR, LA_HTTP_ENDPOINT, LA_SIP_ENDPOINT, LA_LOCAL_NODE_PORTS, ...),
# so a test can run it on free ports and a folder of its own; LA_QUICKSTART_ARGS: arguments for run-local.sh (e.g.
# --postgres); LA_QUICKSTART_TIMEOUT (default 180): seconds to wait for "ready", build included.

set -Eeuo pipefail
cd "$(dirname "$0")/.."

http="${LA_HTTP_ENDPOINT:-127.0.0.1:8080}"
sip="${LA_SIP_ENDPOINT:-127.0.0.1:5060}"
timeout="${LA_QUICKSTART_TIMEOUT:-180}"
data="${LA_DATA_DIR:-data}"
read -r -a node_ports <<<"${LA_LOCAL_NODE_PORTS:-4053 4054 4055}"
read -r -a run_args <<<"${LA_QUICKSTART_ARGS:-}"
locctl_dll="src/LocationActors.Cli/bin/Release/net10.0/locctl.dll"
out="$(mktemp -t la-quickstart.XXXXXX)"
pid=""

say() { printf 'quickstart-check: %s\n' "$*"; }
fail() {
  say "FAILED: $*"
  sed 's/^/  | /' "$out"
  exit 1
}

# The processes run-local.sh started (its children), for the check that stopping it stopped them.
children() { pgrep -P "$1" || true; }
# A zombie (exited, not yet reaped: PID 1 of some containers never reaps) counts as stopped.
running() { local state; state=$(ps -o stat= -p "$1" 2>/dev/null) && [[ "$state" != Z* ]]; }

stop() {
  [ -n "$pid" ] || return 0
  local started
  started=$(children "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  # Bash runs run-local.sh's trap once its foreground command ends: during the build that can take a while.
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    # shellcheck disable=SC2086
    kill -KILL "$pid" $started 2>/dev/null || true
    pid=""
    fail "run-local.sh did not stop within 60 s of SIGTERM"
  fi
  wait "$pid" 2>/dev/null || true
  pid=""
  for child in $started; do
    running "$child" && fail "process $child that run-local.sh started still runs after it stopped: $(ps -o args= -p "$child")"
  done
  return 0
}
cleanup() {
  local status=$?
  trap - EXIT
  # In a subshell: a failure while stopping is reported (fail exits) and the output file is still removed.
  ( stop ) || status=1
  rm -f "$out"
  exit "$status"
}
trap cleanup EXIT

command -v sipsak >/dev/null || fail "sipsak is not installed (apt-get install sipsak)"
started_at=$SECONDS

# 1. The README's first command, in the background instead of a terminal of its own.
scripts/run-local.sh "${run_args[@]}" >"$out" 2>&1 &
pid=$!
say "started scripts/run-local.sh ${run_args[*]} (pid $pid); waiting until it is ready"
until grep -q '^run-local: ready\.' "$out"; do
  kill -0 "$pid" 2>/dev/null || { pid=""; fail "run-local.sh exited before it was ready"; }
  [ $((SECONDS - started_at)) -lt "$timeout" ] || fail "not ready after ${timeout} s"
  sleep 0.5
done
say "ready after $((SECONDS - started_at)) s"

# 2. A REGISTER with sipsak, as run-local.sh suggests (sipsak -U registers the -C contact for the -s user for -x
# seconds; sipsak's default of 15 s is below the registrar's min-expires).
user="quickstart$$"
contact="sip:${user}@192.0.2.20:5060"
register=$(sipsak -U -C "$contact" -x 3600 -s "sip:${user}@localhost" -p "${sip%:*}:${sip##*:}" -vv 2>&1) ||
  fail "sipsak REGISTER failed: $register"
say "sipsak registered $contact"

# 3. The lookup with locctl, through the proxy's HTTP API.
lookup=$(dotnet "$locctl_dll" lookup "$user" --url "http://$http" 2>&1) || fail "locctl lookup $user failed: $lookup"
grep -q "^$contact " <<<"$lookup" || fail "locctl lookup $user does not list $contact: $lookup"
say "locctl lookup $user: $lookup"

# 4. A failover by hand, as run-local.sh suggests: users registered, a node killed, every user found again.
for i in $(seq 1 20); do
  curl -fsS -X POST "http://$http/v1/aors/${user}x$i" -H 'content-type: application/json' \
    -d "{\"contacts\":[{\"uri\":\"sip:${user}x$i@192.0.2.21:5060\"}]}" >/dev/null || fail "registering ${user}x$i over HTTP failed"
done
victim=$(cat "$data/run/node-${node_ports[0]}.pid")
kill -KILL "$victim"
say "registered 20 more users over HTTP, then killed node ${node_ports[0]} (pid $victim)"
killed_at=$SECONDS
until grep -q "^run-local: node-${node_ports[0]} started again" "$out"; do
  kill -0 "$pid" 2>/dev/null || { pid=""; fail "run-local.sh exited after a node was killed"; }
  [ $((SECONDS - killed_at)) -lt "$timeout" ] || fail "run-local.sh did not start the killed node again within ${timeout} s"
  sleep 0.5
done
# While the cluster decides the node is dead, its groups do not answer (the proxy says 503): wait that out.
for u in "$user" $(seq -f "${user}x%g" 1 20); do
  until found=$(curl -fsS --max-time 30 "http://$http/v1/aors/$u" 2>&1); do
    [ $((SECONDS - killed_at)) -lt "$timeout" ] || fail "$u is not found ${timeout} s after the node was killed: $found"
    sleep 0.5
  done
  grep -q "192.0.2.2" <<<"$found" || fail "$u is found without its contact: $found"
done
say "node ${node_ports[0]} started again; all 21 users are found ($((SECONDS - killed_at)) s after the kill)"

# 5. Stop by PID; every process it started must be gone.
stop
say "run-local.sh and its processes stopped"
say "OK ($((SECONDS - started_at)) s)"
