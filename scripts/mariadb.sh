#!/usr/bin/env bash
#
# scripts/mariadb.sh - independent, throw-away local MariaDB server instances
# for LocationActors tests, CI, benchmarks and chaos tests.
#
# Every instance is a plain `mariadbd` process started by this script with
# --no-defaults, its own data directory, socket and TCP port. Nothing here
# depends on (or touches) the distribution's system MariaDB service, and the
# script only ever signals processes whose PID it finds in one of its own pid
# files *and* which are verifiably a mariadbd serving that instance's datadir.
#
# Usage: scripts/mariadb.sh <command> [args]   (run without arguments for help)
#
# Environment (all optional):
#   LA_DB_DIR        State folder. Default: "${TMPDIR:-/tmp}/locationactors-mariadb".
#                    Instance i lives in $LA_DB_DIR/i/ (data/, mariadb.sock,
#                    mariadb.pid, mariadb.log, port). Also holds `password`
#                    and the sourceable `env` file written by `up`.
#   LA_DB_INSTANCES  Number of instances `up` starts. Default: 2.
#   LA_DB_BASE_PORT  TCP port of instance 1; instance i listens on
#                    base + i - 1. Default: 3407. The port is recorded per
#                    instance on creation, so `start N` always reuses it.
#   LA_DB_USER       Application user created on every instance (host
#                    127.0.0.1 and localhost, ALL PRIVILEGES). Default:
#                    "locationactors".
#   LA_DB_PASSWORD   Its password. If unset, the one stored in
#                    $LA_DB_DIR/password is used; if there is none, `up`
#                    generates a random one and stores it there (mode 600).
#   LA_DB_BIND       Address mariadbd binds to. Default: 127.0.0.1.
#   LA_DB_CLIENT_HOSTS  More hosts (MariaDB host patterns, e.g. '10.231.0.%') the user may connect from, besides
#                    127.0.0.1 and localhost. Default: none.
#   LA_DB_SERVER_OPTIONS  More mariadbd options for every instance it starts, e.g.
#                    '--innodb-flush-log-at-trx-commit=2' (benches compare server settings with it). Default: none.
#
# Administrative access (commands `sql`, `createdb`) goes through the unix
# socket with socket authentication as the calling OS user, so no admin
# password exists anywhere.

set -Eeuo pipefail

readonly PROG="${0##*/}"

LA_DB_DIR="${LA_DB_DIR:-${TMPDIR:-/tmp}/locationactors-mariadb}"
LA_DB_INSTANCES="${LA_DB_INSTANCES:-2}"
LA_DB_BASE_PORT="${LA_DB_BASE_PORT:-3407}"
LA_DB_USER="${LA_DB_USER:-locationactors}"
LA_DB_BIND="${LA_DB_BIND:-127.0.0.1}"
# LA_DB_PASSWORD is resolved lazily (see load_password) because only `up`
# may create one.

# Timeouts in seconds. Startup of a fresh instance normally takes 1-3 s;
# the bound only exists so that a broken instance fails a CI job instead of
# hanging it.
readonly READY_TIMEOUT=30
readonly STOP_TIMEOUT=20
readonly LOCK_TIMEOUT=180

# Marker file proving that $LA_DB_DIR was created by this script; `down
# --purge` refuses to `rm -rf` a folder without it (protects against e.g.
# LA_DB_DIR=$HOME).
readonly MARKER=".locationactors-mariadb"

# What scripts/lib/instances.sh works on.
SERVER_NAME=MariaDB
STATE_DIR=$LA_DB_DIR
BASE_PORT=$LA_DB_BASE_PORT
BIND=$LA_DB_BIND
# shellcheck source=lib/instances.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/instances.sh"

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

usage() {
    cat >&2 <<EOF
Usage: $PROG <command> [args]

Commands:
  install                    install mariadb-server/-client via apt if missing (root)
  up [N...]                  create/start instances 1..\$LA_DB_INSTANCES (or only the
                             instances N given), create the application user, write
                             \$LA_DB_DIR/env
  down [--purge]             stop all instances (--purge: also delete \$LA_DB_DIR)
  start N                    start instance N again (same datadir and port)
  stop N                     gracefully stop instance N (SIGTERM, SIGKILL after ${STOP_TIMEOUT}s)
  kill N                     SIGKILL instance N and wait until it is gone
  freeze N                   SIGSTOP instance N
  thaw N                     SIGCONT instance N
  status                     one line per instance: number, port, pid, state
  env                        print the env file written by 'up'
  sql N "STATEMENT"          run SQL as admin on instance N (batch, no column names)
  createdb N NAME [FILE...]  create database NAME on instance N, apply SQL files in order
  pid N                      print the PID of instance N

State folder: $LA_DB_DIR (override with LA_DB_DIR)
EOF
    exit 2
}

# Locate a binary on PATH or in the sbin directories, which are often not on
# a non-login root PATH (mariadbd lives in /usr/sbin on Debian).
find_bin() {
    local name dir
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
        for dir in /usr/sbin /usr/local/sbin /sbin; do
            if [[ -x "$dir/$name" ]]; then
                printf '%s\n' "$dir/$name"
                return 0
            fi
        done
    done
    return 1
}

# The mysql* names are fallbacks for pre-10.5 MariaDB installations.
mariadbd_bin()   { find_bin mariadbd mysqld; }
install_db_bin() { find_bin mariadb-install-db mysql_install_db; }
client_bin()     { find_bin mariadb mysql; }

have_binaries() {
    mariadbd_bin >/dev/null && install_db_bin >/dev/null && client_bin >/dev/null
}

# Escape a value for use inside a single-quoted SQL string literal.
sql_quote() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\'/\'\'}
    printf '%s' "$s"
}

# ---------------------------------------------------------------------------
# Instance layout
# ---------------------------------------------------------------------------

data_dir()  { printf '%s/data' "$(inst_dir "$1")"; }
sock_file() { printf '%s/mariadb.sock' "$(inst_dir "$1")"; }
pid_file()  { printf '%s/mariadb.pid' "$(inst_dir "$1")"; }
log_file()  { printf '%s/mariadb.log' "$(inst_dir "$1")"; }

# ---------------------------------------------------------------------------
# Process inspection. Everything that signals a process goes through
# our_pid, which only returns a PID that (a) comes from our pid file,
# (b) is alive and not a zombie, (c) is a mariadbd by comm, and (d) has this
# instance's --datadir on its command line. (d) protects against PID reuse
# after a SIGKILL left a stale pid file behind.
# ---------------------------------------------------------------------------

# Is PID a mariadbd serving instance N's datadir?
is_our_mariadbd() {
    local pid=$1 n=$2 comm
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ "$comm" == mariadbd || "$comm" == mysqld ]] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
        grep -qxF -- "--datadir=$(data_dir "$n")"
}

# Print the PID of running instance N, or fail. A pid file whose process is
# gone or is not ours is stale (mariadbd does not remove it when SIGKILLed)
# and is ignored.
our_pid() {
    local n=$1 pf pid
    pf=$(pid_file "$n")
    [[ -s "$pf" ]] || return 1
    pid=$(tr -dc '0-9' <"$pf")
    [[ -n "$pid" ]] || return 1
    proc_alive "$pid" && is_our_mariadbd "$pid" "$n" || return 1
    printf '%s' "$pid"
}

# Remove a pid file that no longer refers to a live instance.
clear_stale_pid() {
    local pf
    pf=$(pid_file "$1")
    if [[ -e "$pf" ]] && ! our_pid "$1" >/dev/null; then
        rm -f "$pf"
    fi
}

# ---------------------------------------------------------------------------
# Networking
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# Admin client
# ---------------------------------------------------------------------------

# Run the mariadb client as admin over instance N's socket. --no-defaults
# keeps ~/.my.cnf and /etc/mysql from injecting users/hosts/passwords. No -u:
# the client then uses the OS login name, which is exactly the account
# mariadb-install-db created with unix_socket authentication.
admin_client() {
    local n=$1
    shift
    "$(client_bin)" --no-defaults --socket="$(sock_file "$n")" "$@"
}

# Does instance N answer SELECT 1? The outer timeout matters for frozen
# servers, which accept on the socket but never send the handshake.
answers_select1() {
    [[ "$(timeout 5 "$(client_bin)" --no-defaults --socket="$(sock_file "$1")" \
        --connect-timeout=2 -N -B -e 'SELECT 1' 2>/dev/null)" == 1 ]]
}

# ---------------------------------------------------------------------------
# Password
# ---------------------------------------------------------------------------

# Resolve LA_DB_PASSWORD: environment, else stored file, else (only if $1 =
# create) generate a random 20-character alphanumeric one and store it.
load_password() { resolve_password LA_DB_PASSWORD "$@"; }

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

cmd_install() {
    if have_binaries; then
        log "MariaDB already installed: $(mariadbd_bin)"
        return 0
    fi
    ((EUID == 0)) || die "MariaDB is not installed and installing it needs root (apt-get install mariadb-server mariadb-client)"
    command -v apt-get >/dev/null 2>&1 || die "MariaDB is not installed and apt-get is not available; install mariadb-server and mariadb-client manually"
    log "installing mariadb-server and mariadb-client via apt-get"
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    # The Debian package may try to start its system service; our instances
    # run with --no-defaults on their own ports and do not care.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq mariadb-server mariadb-client
    have_binaries || die "mariadbd/mariadb-install-db/mariadb still not found after installation"
}

# Create instance N's datadir with the system tables if it is empty.
init_instance() {
    local n=$1 dir data log port
    dir=$(inst_dir "$n")
    data=$(data_dir "$n")
    log=$(log_file "$n")
    mkdir -p "$dir"

    # Unix socket paths are limited to 107 bytes; a long TMPDIR (some CI
    # runners) would otherwise fail with an obscure bind error at startup.
    (($(printf '%s' "$(sock_file "$n")" | wc -c) <= 107)) ||
        die "socket path $(sock_file "$n") is too long for a unix socket; use a shorter LA_DB_DIR"

    # Record the port once so later `start N` reuses it even if
    # LA_DB_BASE_PORT changes.
    [[ -s "$dir/port" ]] || printf '%s\n' "$((LA_DB_BASE_PORT + n - 1))" >"$dir/port"
    port=$(inst_port "$n")
    is_uint "$port" && ((port >= 1 && port <= 65535)) || die "instance $n: invalid port '$port'"

    if [[ -d "$data" && -n "$(ls -A "$data")" ]]; then
        # Non-empty but never completed initialisation: do not guess, do not
        # delete silently.
        [[ -d "$data/mysql" ]] ||
            die "instance $n: $data is not empty but has no system tables; remove it or run '$PROG down --purge'"
        return 0
    fi

    mkdir -p "$data"
    # The "'proxies_priv' entry '@% root@<hostname>' ignored in
    # --skip-name-resolve mode" warning at every start is harmless;
    # install-db creates that row even with --skip-name-resolve.
    local -a opts=(--no-defaults --datadir="$data" --auth-root-authentication-method=socket --skip-test-db)
    # --user is only allowed (and needed) as root: mariadbd refuses to run as
    # root unless told so explicitly.
    ((EUID == 0)) && opts+=(--user=root)
    log "instance $n: initialising $data"
    if ! "$(install_db_bin)" "${opts[@]}" </dev/null >>"$log" 2>&1; then
        # Remove the half-written datadir so that the next attempt starts
        # clean instead of hitting the "not empty" check above.
        rm -rf "$data"
        tail -n 20 "$log" >&2 || true
        die "instance $n: mariadb-install-db failed (see $log)"
    fi
}

# Start instance N (initialising it if needed) and wait until it answers.
start_instance() {
    local n=$1 pid port data launcher
    if pid=$(our_pid "$n"); then
        if [[ "$(proc_state "$pid")" == T ]]; then
            # A frozen instance cannot serve `up`'s user setup; the caller
            # asked for a working instance, so thaw it.
            log "instance $n: pid $pid is frozen, sending SIGCONT"
            kill -CONT "$pid"
        fi
        log "instance $n: already running (pid $pid)"
        wait_ready "$n" "$pid"
        return 0
    fi
    clear_stale_pid "$n"

    init_instance "$n"
    port=$(inst_port "$n")
    data=$(data_dir "$n")

    # Our instance is not running, so any listener on the port belongs to
    # someone else: refuse instead of failing later with a bind error or,
    # worse, letting tests talk to a foreign server.
    if port_in_use "$port"; then
        die "instance $n: port $port is already in use by another process (see 'ss -ltnp'); set LA_DB_BASE_PORT or free the port"
    fi

    local -a args=(
        --no-defaults
        --datadir="$data"
        --socket="$(sock_file "$n")"
        --pid-file="$(pid_file "$n")"
        --port="$port"
        --bind-address="$LA_DB_BIND"
        --log-error="$(log_file "$n")"
        --skip-name-resolve
        --skip-log-bin
        --innodb-buffer-pool-size=64M
        --max-connections=500
        --character-set-server=utf8mb4
    )
    ((EUID == 0)) && args+=(--user=root)
    local -a more
    read -r -a more <<<"${LA_DB_SERVER_OPTIONS:-}"
    args+=("${more[@]}")

    log "instance $n: starting on $LA_DB_BIND:$port"
    # Fully detach so that a test harness that runs this script can exit or
    # stop reading our output: new session (setsid), stdin from /dev/null,
    # stdout/stderr into the log, and every other inherited descriptor
    # closed. The latter matters: e.g. our own lock fd 9 or a harness pipe
    # kept open by mariadbd would block other callers / the harness forever.
    # Since this background subshell is not a process-group leader, setsid
    # does not fork, so $! is the mariadbd PID.
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true
        done
        exec setsid "$(mariadbd_bin)" "${args[@]}"
    ) </dev/null >>"$(log_file "$n")" 2>&1 &
    launcher=$!

    if ! wait_ready "$n" "$launcher"; then
        # We started it, so we may (and must) clean it up rather than leave a
        # half-started server behind.
        if proc_alive "$launcher" && is_our_mariadbd "$launcher" "$n"; then
            kill -KILL "$launcher" 2>/dev/null || true
            wait_gone "$launcher" 5 || true
        fi
        clear_stale_pid "$n"
        tail -n 20 "$(log_file "$n")" >&2 || true
        die "instance $n: did not become ready within ${READY_TIMEOUT}s (see $(log_file "$n"))"
    fi
    pid=$(our_pid "$n") || die "instance $n: ready but pid file $(pid_file "$n") is missing"
    log "instance $n: ready (pid $pid)"
}

# Wait (bounded) until instance N answers SELECT 1; fail early if PID dies.
wait_ready() {
    local n=$1 pid=$2 deadline=$((SECONDS + READY_TIMEOUT))
    until answers_select1 "$n"; do
        if ! proc_alive "$pid"; then
            log "instance $n: mariadbd (pid $pid) exited during startup"
            return 1
        fi
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# Create/refresh the application user on instance N. IF NOT EXISTS +
# ALTER USER makes this idempotent and also applies a changed password.
ensure_user() {
    local n=$1 u p host sql=""
    u=$(sql_quote "$LA_DB_USER")
    p=$(sql_quote "$LA_DB_PASSWORD")
    for host in 127.0.0.1 localhost ${LA_DB_CLIENT_HOSTS:-}; do
        sql+="CREATE USER IF NOT EXISTS '$u'@'$host' IDENTIFIED BY '$p';"
        sql+="ALTER USER '$u'@'$host' IDENTIFIED BY '$p';"
        sql+="GRANT ALL PRIVILEGES ON *.* TO '$u'@'$host';"
    done
    # Statement via stdin, not -e, so the password does not show up in ps.
    printf '%s\n' "$sql" | admin_client "$n" -N -B ||
        die "instance $n: creating user '$LA_DB_USER' failed"
}

write_env() {
    local envf="$LA_DB_DIR/env" i port host user pw count=$LA_DB_INSTANCES last
    host=$(client_host)
    # Every instance that exists is listed, also those above LA_DB_INSTANCES that an earlier `up` created (tests
    # that kill instances use dedicated ones above the shared ones), so a later `up` never hides them.
    last=$(list_instances | tail -n 1)
    [[ -n "$last" ]] && ((last > count)) && count=$last
    # Kamailio's db URLs (and LocationActors') are not percent-decoded, so the
    # values go in as they are; load_password only accepts URL-safe ones.
    user=$LA_DB_USER
    pw=$LA_DB_PASSWORD
    {
        echo "# Written by scripts/mariadb.sh up; source it to reach the test databases."
        env_line LA_DB_DIR "$LA_DB_DIR"
        env_line LA_DB_INSTANCES "$count"
        env_line LA_DB_HOST "$host"
        env_line LA_DB_USER "$LA_DB_USER"
        env_line LA_DB_PASSWORD "$LA_DB_PASSWORD"
        for ((i = 1; i <= count; i++)); do
            port=$(inst_port "$i")
            env_line "LA_MARIADB_${i}_PORT" "$port"
            env_line "LA_MARIADB_${i}_SOCKET" "$(sock_file "$i")"
            # Kamailio db_url form, without database name.
            env_line "LA_MARIADB_${i}_URL" "mysql://$user:$pw@$host:$port"
        done
    } >"$envf.tmp.$$"
    # Contains the password: owner-only, and replaced atomically so readers
    # never see a half-written file.
    chmod 600 "$envf.tmp.$$"
    mv -f "$envf.tmp.$$" "$envf"
}

cmd_up() {
    local i wanted=()
    for i in "$@"; do
        check_n "$i" any
        wanted+=("$((10#$i))")
    done
    is_uint "$LA_DB_INSTANCES" && ((10#$LA_DB_INSTANCES >= 1)) || die "LA_DB_INSTANCES must be a positive integer"
    is_uint "$LA_DB_BASE_PORT" && ((LA_DB_BASE_PORT >= 1 && LA_DB_BASE_PORT + LA_DB_INSTANCES - 1 <= 65535)) ||
        die "LA_DB_BASE_PORT '$LA_DB_BASE_PORT' gives ports outside 1..65535"
    [[ "$LA_DB_USER" =~ ^[A-Za-z0-9_]{1,80}$ ]] || die "LA_DB_USER must match ^[A-Za-z0-9_]+$"
    LA_DB_INSTANCES=$((10#$LA_DB_INSTANCES))

    # Under the lock, so two test processes starting at once do not both run apt-get.
    take_lock
    have_binaries || cmd_install
    [[ -e "$LA_DB_DIR/$MARKER" ]] || : >"$LA_DB_DIR/$MARKER"
    load_password create

    if [[ ${#wanted[@]} -eq 0 ]]; then
        for ((i = 1; i <= LA_DB_INSTANCES; i++)); do wanted+=("$i"); done
    fi
    for i in "${wanted[@]}"; do
        start_instance "$i"
        ensure_user "$i"
    done
    write_env
    for i in "${wanted[@]}"; do
        printf 'mariadb %d: %s:%s pid %s socket %s\n' "$i" "$(client_host)" "$(inst_port "$i")" \
            "$(our_pid "$i" || echo '?')" "$(sock_file "$i")"
    done
    log "env written to $LA_DB_DIR/env"
}

# Graceful stop of instance N: SIGCONT (in case it is frozen, otherwise it
# could never act on SIGTERM), SIGTERM, bounded wait, then SIGKILL.
stop_instance() {
    local n=$1 pid
    if ! pid=$(our_pid "$n"); then
        clear_stale_pid "$n"
        log "instance $n: not running"
        return 0
    fi
    log "instance $n: stopping pid $pid"
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
        log "instance $n: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || die "instance $n: pid $pid survived SIGKILL"
    fi
    rm -f "$(pid_file "$n")"
}

cmd_kill() {
    check_n "${1:-}"
    local n=$((10#$1)) pid
    pid=$(our_pid "$n") || die "instance $n is not running"
    kill -KILL "$pid"
    wait_gone "$pid" 10 || die "instance $n: pid $pid still alive after SIGKILL"
    # mariadbd cannot clean up after SIGKILL; drop the now-stale pid file.
    rm -f "$(pid_file "$n")"
    log "instance $n: killed pid $pid"
}

cmd_sql() {
    check_n "${1:-}"
    [[ $# -eq 2 ]] || usage
    local n=$((10#$1))
    our_pid "$n" >/dev/null || die "instance $n is not running"
    admin_client "$n" -N -B -e "$2"
}

cmd_createdb() {
    check_n "${1:-}"
    [[ $# -ge 2 ]] || usage
    local n=$((10#$1)) name=$2 f
    shift 2
    [[ "$name" =~ ^[A-Za-z0-9_]+$ ]] || die "database name must match ^[A-Za-z0-9_]+\$, got '$name'"
    # Check all files before changing anything, so a typo does not leave a
    # half-applied schema behind.
    for f in "$@"; do
        [[ -f "$f" && -r "$f" ]] || die "SQL file not readable: $f"
    done
    our_pid "$n" >/dev/null || die "instance $n is not running"
    admin_client "$n" -N -B -e "CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4"
    for f in "$@"; do
        log "instance $n: applying $f to $name"
        admin_client "$n" -N -B "$name" <"$f" || die "instance $n: applying $f to $name failed"
    done
}

# The server alone: mariadbd is one process.
signal_instance() { kill -"$1" "$2"; }

run_command "$@"
