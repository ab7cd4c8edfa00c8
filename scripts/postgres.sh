#!/usr/bin/env bash
#
# scripts/postgres.sh - independent, throw-away local PostgreSQL servers for LocationActors tests, benchmarks and
# `scripts/run-local.sh --postgres`, the counterpart of scripts/mariadb.sh.
#
# Every instance is a plain `postgres` server started by this script with its own data directory, socket directory
# and TCP port. Nothing here uses or touches the distribution's PostgreSQL service (pg_ctlcluster), and the script
# only signals processes whose PID it reads from an instance's postmaster.pid *and* which are verifiably a postgres
# serving that data directory. PostgreSQL refuses to run as root: as root, the servers run as the `postgres` user
# that Debian's package creates.
#
# Usage: scripts/postgres.sh <command> [args]   (run without arguments for help)
#
# Environment (all optional):
#   LA_PG_DIR        State folder. Default: "${TMPDIR:-/tmp}/locationactors-postgres". Instance i lives in
#                    $LA_PG_DIR/i/ (data/, the socket, postgres.log, port). Also holds `password` and the sourceable
#                    `env` file written by `up`.
#   LA_PG_INSTANCES  Number of instances `up` starts. Default: 2.
#   LA_PG_BASE_PORT  TCP port of instance 1; instance i listens on base + i - 1. Default: 5507. Recorded per instance
#                    on creation, so `start N` always reuses it.
#   LA_PG_USER       Application role created on every instance (LOGIN, CREATEDB, password over TCP). Default:
#                    "locationactors".
#   LA_PG_PASSWORD   Its password. If unset, the one stored in $LA_PG_DIR/password is used; if there is none, `up`
#                    generates a random one and stores it there (mode 600).
#   LA_PG_BIND       Address the servers listen on. Default: 127.0.0.1.
#
# Administrative access (`sql`, `createdb`) goes through the instance's unix socket as the server's superuser
# `postgres`, trusted only on that socket (in a directory only the server's user can enter), so no admin password
# exists anywhere.

set -Eeuo pipefail

readonly PROG="${0##*/}"

LA_PG_DIR="${LA_PG_DIR:-${TMPDIR:-/tmp}/locationactors-postgres}"
LA_PG_INSTANCES="${LA_PG_INSTANCES:-2}"
LA_PG_BASE_PORT="${LA_PG_BASE_PORT:-5507}"
LA_PG_USER="${LA_PG_USER:-locationactors}"
LA_PG_BIND="${LA_PG_BIND:-127.0.0.1}"

# Bounds in seconds: a fresh instance is ready in 1-3 s; the bounds exist so a broken one fails a CI job, not hangs it.
readonly READY_TIMEOUT=30
readonly STOP_TIMEOUT=20
readonly LOCK_TIMEOUT=180
# Proves $LA_PG_DIR was made here; `down --purge` refuses to delete a folder without it.
readonly MARKER=".locationactors-postgres"

# What scripts/lib/instances.sh works on.
SERVER_NAME=PostgreSQL
STATE_DIR=$LA_PG_DIR
BASE_PORT=$LA_PG_BASE_PORT
BIND=$LA_PG_BIND
# shellcheck source=lib/instances.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/instances.sh"

usage() {
    cat >&2 <<EOF
Usage: $PROG <command> [args]

Commands:
  install                    install postgresql via apt-get if missing (root)
  up [N...]                  create/start instances 1..\$LA_PG_INSTANCES (or only those given), create the
                             application role, write \$LA_PG_DIR/env
  down [--purge]             stop all instances (--purge: also delete \$LA_PG_DIR)
  start N                    start instance N again (same data directory and port)
  stop N                     stop instance N (fast shutdown; SIGKILL after ${STOP_TIMEOUT}s)
  kill N                     SIGKILL instance N's server and its backends, as in a crash
  freeze N                   SIGSTOP instance N's server and its backends
  thaw N                     SIGCONT them
  status                     one line per instance: number, port, pid, state
  env                        print the env file written by 'up'
  sql N "STATEMENT" [DB]     run SQL as the superuser on instance N (unaligned, no headers)
  createdb N NAME [FILE...]  create database NAME (owned by the application role) on instance N, apply SQL files
  pid N                      print the PID of instance N's server

State folder: $LA_PG_DIR (override with LA_PG_DIR)
EOF
    exit 2
}

# The newest installed server's binaries (Debian keeps them per major version, off PATH).
pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$dir" && -x "$dir/postgres" && -x "$dir/initdb" ]] || return 1
    printf '%s' "$dir"
}

data_dir() { printf '%s/data' "$(inst_dir "$1")"; }
log_file() { printf '%s/postgres.log' "$(inst_dir "$1")"; }

have_binaries() { pg_bindir >/dev/null && command -v psql >/dev/null 2>&1; }

# As root, everything the server touches is done as `postgres`.
as_server_user() {
    if ((EUID == 0)); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

sql_quote() { local s=${1//\'/\'\'}; printf '%s' "$s"; }

# Is PID a postgres server (postmaster) of instance N's data directory?
is_our_postgres() {
    local pid=$1 n=$2 comm
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ "$comm" == postgres ]] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$(data_dir "$n")"
}

# The server's PID from the first line of postmaster.pid, if it is alive and ours (a SIGKILL leaves the file).
our_pid() {
    local n=$1 pf pid
    pf="$(data_dir "$n")/postmaster.pid"
    [[ -s "$pf" ]] || return 1
    pid=$(head -n 1 "$pf" | tr -dc '0-9')
    [[ -n "$pid" ]] || return 1
    proc_alive "$pid" && is_our_postgres "$pid" "$n" || return 1
    printf '%s' "$pid"
}

# Signals the server and every backend it forked (its children): a postmaster signalled alone leaves backends that
# still answer their clients for a while.
signal_server() {
    local sig=$1 pid=$2 child
    kill -"$sig" "$pid" 2>/dev/null || true
    for child in $(pgrep -P "$pid" 2>/dev/null); do
        kill -"$sig" "$child" 2>/dev/null || true
    done
}

# psql as the superuser over instance N's socket (trusted there; root may enter the socket's folder, the server's
# user owns it); ~/.psqlrc and the caller's PG* variables are kept out.
admin_psql() {
    local n=$1
    shift
    env -u PGPASSWORD -u PGUSER -u PGDATABASE -u PGHOST -u PGPORT psql -X -q -v ON_ERROR_STOP=1 -h "$(inst_dir "$n")" \
        -p "$(inst_port "$n")" -U postgres "$@"
}

# The outer timeout matters for a frozen server, which accepts on the socket and never answers.
answers_select1() {
    [[ "$(PGCONNECT_TIMEOUT=2 timeout 5 psql -X -At -h "$(inst_dir "$1")" -p "$(inst_port "$1")" -U postgres -d postgres \
        -c 'SELECT 1' 2>/dev/null)" == 1 ]]
}

load_password() { resolve_password LA_PG_PASSWORD "$@"; }

cmd_install() {
    if have_binaries; then
        log "PostgreSQL already installed: $(pg_bindir)"
        return 0
    fi
    ((EUID == 0)) || die "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available; install postgresql manually"
    log "installing postgresql via apt-get"
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    # The package creates (and may start) its own cluster on 5432; ours run on their own ports and do not care.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq postgresql postgresql-client
    have_binaries || die "postgres/initdb/psql still not found after installation"
}

init_instance() {
    local n=$1 dir data port
    dir=$(inst_dir "$n")
    data=$(data_dir "$n")
    mkdir -p "$dir"
    [[ -s "$dir/port" ]] || printf '%s\n' "$((LA_PG_BASE_PORT + n - 1))" >"$dir/port"
    port=$(inst_port "$n")
    is_uint "$port" && ((port >= 1 && port <= 65535)) || die "instance $n: invalid port '$port'"
    # The server's user owns the instance folder (its socket lives there); nobody else may enter it.
    if ((EUID == 0)); then
        runuser -u postgres -- test -x "$LA_PG_DIR" ||
            die "user postgres, which runs the servers, cannot reach $LA_PG_DIR (a folder above it is closed to it); set LA_PG_DIR to a folder under /tmp"
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"
    if [[ -s "$data/PG_VERSION" ]]; then
        return 0
    fi
    [[ ! -d "$data" || -z "$(ls -A "$data" 2>/dev/null)" ]] ||
        die "instance $n: $data is not empty but holds no cluster; remove it or run '$PROG down --purge'"
    log "instance $n: initialising $data"
    if ! as_server_user "$(pg_bindir)/initdb" -D "$data" -U postgres -E UTF8 --locale=C --auth-local=trust \
        --auth-host=scram-sha-256 >>"$(log_file "$n")" 2>&1; then
        rm -rf "$data"
        tail -n 20 "$(log_file "$n")" >&2 || true
        die "instance $n: initdb failed (see $(log_file "$n"))"
    fi
}

start_instance() {
    local n=$1 pid port launcher
    if pid=$(our_pid "$n"); then
        if [[ "$(proc_state "$pid")" == T ]]; then
            log "instance $n: pid $pid is frozen, thawing it"
            signal_server CONT "$pid"
        fi
        log "instance $n: already running (pid $pid)"
        wait_ready "$n" "$pid"
        return 0
    fi
    init_instance "$n"
    # A server killed leaves its postmaster.pid and socket lock; when its process is not reaped (PID 1 of some containers does not
    # reap), postgres takes the zombie for a live server and refuses to start. our_pid found none alive: it is stale.
    rm -f "$(data_dir "$n")/postmaster.pid" "$(inst_dir "$n")"/.s.PGSQL.*.lock
    port=$(inst_port "$n")
    port_in_use "$port" &&
        die "instance $n: port $port is already in use by another process (see 'ss -ltnp'); set LA_PG_BASE_PORT or free the port"
    log "instance $n: starting on $LA_PG_BIND:$port"
    # Detached in a session of its own, stdin from /dev/null, output into the log, no inherited descriptor (our lock) kept open.
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true
        done
        # setpriv switches user and execs (runuser would stay as the parent, and stop itself when a freeze stops it).
        local -a user=()
        ((EUID == 0)) && user=(setpriv --reuid=postgres --regid=postgres --init-groups)
        exec setsid "${user[@]}" "$(pg_bindir)/postgres" -D "$(data_dir "$n")" -p "$port" \
            -c listen_addresses="$LA_PG_BIND" -c unix_socket_directories="$(inst_dir "$n")" -c max_connections=300 \
            -c shared_buffers=64MB -c logging_collector=off
    ) </dev/null >>"$(log_file "$n")" 2>&1 &
    launcher=$!
    if ! wait_ready "$n" "$launcher"; then
        if pid=$(our_pid "$n"); then signal_server KILL "$pid"; fi
        tail -n 20 "$(log_file "$n")" >&2 || true
        die "instance $n: did not become ready (see $(log_file "$n"))"
    fi
    log "instance $n: ready (pid $(our_pid "$n"))"
}

# As root the launcher is runuser, whose child is the server: wait for readiness while either lives.
wait_ready() {
    local n=$1 pid=$2 deadline=$((SECONDS + READY_TIMEOUT))
    until answers_select1 "$n"; do
        if ! proc_alive "$pid" && ! our_pid "$n" >/dev/null; then
            log "instance $n: the server exited during startup"
            return 1
        fi
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

ensure_role() {
    local n=$1 u p
    u=$LA_PG_USER
    p=$(sql_quote "$LA_PG_PASSWORD")
    # Through stdin, so the password does not show in ps.
    printf '%s\n' "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$u') THEN CREATE ROLE \"$u\" LOGIN CREATEDB; END IF;
END \$\$;
ALTER ROLE \"$u\" LOGIN CREATEDB PASSWORD '$p';" | admin_psql "$n" -d postgres >/dev/null ||
        die "instance $n: creating role '$u' failed"
}

write_env() {
    local envf="$LA_PG_DIR/env" i port host count=$LA_PG_INSTANCES last
    host=$(client_host)
    last=$(list_instances | tail -n 1)
    [[ -n "$last" ]] && ((last > count)) && count=$last
    {
        echo "# Written by scripts/postgres.sh up; source it to reach the test databases."
        env_line LA_PG_DIR "$LA_PG_DIR"
        env_line LA_PG_INSTANCES "$count"
        env_line LA_PG_HOST "$host"
        env_line LA_PG_USER "$LA_PG_USER"
        env_line LA_PG_PASSWORD "$LA_PG_PASSWORD"
        for ((i = 1; i <= count; i++)); do
            port=$(inst_port "$i")
            env_line "LA_POSTGRES_${i}_PORT" "$port"
            # Kamailio's db_url form, without the database name.
            env_line "LA_POSTGRES_${i}_URL" "postgres://$LA_PG_USER:$LA_PG_PASSWORD@$host:$port"
        done
    } >"$envf.tmp.$$"
    chmod 600 "$envf.tmp.$$"
    mv -f "$envf.tmp.$$" "$envf"
}

cmd_up() {
    local i wanted=()
    for i in "$@"; do
        check_n "$i" any
        wanted+=("$((10#$i))")
    done
    is_uint "$LA_PG_INSTANCES" && ((10#$LA_PG_INSTANCES >= 1)) || die "LA_PG_INSTANCES must be a positive integer"
    is_uint "$LA_PG_BASE_PORT" && ((LA_PG_BASE_PORT >= 1 && LA_PG_BASE_PORT + LA_PG_INSTANCES - 1 <= 65535)) ||
        die "LA_PG_BASE_PORT '$LA_PG_BASE_PORT' gives ports outside 1..65535"
    [[ "$LA_PG_USER" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "LA_PG_USER must match ^[a-z_][a-z0-9_]*$"
    LA_PG_INSTANCES=$((10#$LA_PG_INSTANCES))
    take_lock
    have_binaries || cmd_install
    ((EUID != 0)) || id postgres >/dev/null 2>&1 || die "as root the servers run as user 'postgres', which does not exist"
    chmod 755 "$LA_PG_DIR"
    [[ -e "$LA_PG_DIR/$MARKER" ]] || : >"$LA_PG_DIR/$MARKER"
    load_password create
    if [[ ${#wanted[@]} -eq 0 ]]; then
        for ((i = 1; i <= LA_PG_INSTANCES; i++)); do wanted+=("$i"); done
    fi
    for i in "${wanted[@]}"; do
        start_instance "$i"
        ensure_role "$i"
    done
    write_env
    for i in "${wanted[@]}"; do
        printf 'postgres %d: %s:%s pid %s\n' "$i" "$(client_host)" "$(inst_port "$i")" "$(our_pid "$i" || echo '?')"
    done
    log "env written to $LA_PG_DIR/env"
}

# Fast shutdown (SIGINT: backends end, the server stops cleanly); SIGCONT first in case it is frozen.
stop_instance() {
    local n=$1 pid
    if ! pid=$(our_pid "$n"); then
        log "instance $n: not running"
        return 0
    fi
    log "instance $n: stopping pid $pid"
    signal_server CONT "$pid"
    kill -INT "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
        log "instance $n: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        signal_server KILL "$pid"
        wait_gone "$pid" 10 || die "instance $n: pid $pid survived SIGKILL"
    fi
}

cmd_kill() {
    check_n "${1:-}"
    local n=$((10#$1)) pid
    pid=$(our_pid "$n") || die "instance $n is not running"
    signal_server KILL "$pid"
    wait_gone "$pid" 10 || die "instance $n: pid $pid still alive after SIGKILL"
    log "instance $n: killed pid $pid and its backends"
}

cmd_sql() {
    check_n "${1:-}"
    [[ $# -eq 2 || $# -eq 3 ]] || usage
    local n=$((10#$1))
    our_pid "$n" >/dev/null || die "instance $n is not running"
    admin_psql "$n" -At -d "${3:-postgres}" -c "$2"
}

cmd_createdb() {
    check_n "${1:-}"
    [[ $# -ge 2 ]] || usage
    local n=$((10#$1)) name=$2 f
    shift 2
    [[ "$name" =~ ^[a-z0-9_]+$ ]] || die "database name must match ^[a-z0-9_]+\$, got '$name'"
    for f in "$@"; do [[ -f "$f" && -r "$f" ]] || die "SQL file not readable: $f"; done
    our_pid "$n" >/dev/null || die "instance $n is not running"
    if [[ -z "$(admin_psql "$n" -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]]; then
        admin_psql "$n" -d postgres -c "CREATE DATABASE \"$name\" OWNER \"$LA_PG_USER\" ENCODING 'UTF8'"
    fi
    for f in "$@"; do
        log "instance $n: applying $f to $name"
        # As the application role, so it owns what the file creates.
        admin_psql "$n" -d "$name" -c "SET ROLE \"$LA_PG_USER\"" -f - <"$f" || die "instance $n: applying $f to $name failed"
    done
}

signal_instance() { signal_server "$@"; }

run_command "$@"
