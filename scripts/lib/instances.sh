# scripts/lib/instances.sh - what scripts/mariadb.sh and scripts/postgres.sh share: numbered throw-away server
# instances under one state folder, each with its own port, and the inspection of their processes. Sourced, not run.
#
# The sourcing script sets, before calling any of these:
#   PROG         its name, for messages
#   STATE_DIR    the state folder (instance i in $STATE_DIR/i/)
#   BASE_PORT    the port of instance 1 (instance i: base + i - 1, recorded at creation)
#   BIND         the address the servers listen on
#   LOCK_TIMEOUT seconds to wait for the state folder's lock
#   MARKER       the file that proves the state folder was made by the script (`down --purge` wants it)
#   SERVER_NAME  the servers' name in messages (MariaDB, PostgreSQL)
# and defines usage, data_dir N (the folder that exists once instance N was created) and our_pid N (the PID of
# instance N's server, only if it is alive and verifiably that instance's).

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

# One KEY=VALUE line for an env file. Plain values are written unquoted so that naive KEY=VALUE parsers (test
# harnesses) can read the file too; anything else is shell-quoted so that `source` stays safe.
env_line() {
    if [[ "$2" =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]]; then
        printf '%s=%s\n' "$1" "$2"
    else
        printf '%s=%q\n' "$1" "$2"
    fi
}

# Serialise state-changing commands (up/down/start/stop) so that parallel test processes calling `up` at once do not
# both initialise the same instance. kill/freeze/thaw deliberately do not take the lock: chaos tests need them at once.
take_lock() {
    mkdir -p "$STATE_DIR"
    exec 9>>"$STATE_DIR/.lock"
    flock -w "$LOCK_TIMEOUT" 9 || die "timed out waiting for lock $STATE_DIR/.lock"
}

inst_dir() { printf '%s/%s' "$STATE_DIR" "$1"; }

# Port of instance N: the one recorded when it was created, else derived from the base port.
inst_port() {
    local f
    f="$(inst_dir "$1")/port"
    if [[ -s "$f" ]]; then
        cat "$f"
    else
        printf '%s' "$((BASE_PORT + $1 - 1))"
    fi
}

# Validates an instance-number argument (and, unless $2 = any, that the instance was created by `up`).
check_n() {
    local n=${1:-}
    [[ -n "$n" ]] || usage
    is_uint "$n" && ((10#$n >= 1)) || die "instance number must be a positive integer, got '$n'"
    if [[ "${2:-}" != any && ! -d "$(data_dir "$((10#$n))")" ]]; then
        die "instance $n does not exist under $STATE_DIR (run '$PROG up' first)"
    fi
}

# Instance numbers present under the state folder, ascending.
list_instances() {
    local d
    [[ -d "$STATE_DIR" ]] || return 0
    for d in "$STATE_DIR"/*/; do
        d=${d%/}
        d=${d##*/}
        is_uint "$d" && printf '%s\n' "$d"
    done | sort -n
}

# Process state letter from /proc/PID/stat (R, S, D, T, Z, ...). The comm field may contain spaces or parentheses, so
# cut after the last ") ".
proc_state() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    printf '%s' "${stat%% *}"
}

# True while the process exists and is not a zombie. Zombies count as gone: in containers PID 1 does not always reap
# orphans, and a zombie holds no ports or files.
proc_alive() {
    local st
    st=$(proc_state "$1") || return 1
    [[ "$st" != Z && "$st" != X ]]
}

# Waits (bounded, $2 seconds) until PID $1 is gone.
wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while proc_alive "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

inst_state() {
    local pid
    if pid=$(our_pid "$1"); then
        [[ "$(proc_state "$pid")" == T ]] && echo frozen || echo running
    else
        echo stopped
    fi
}

# Is anything listening on TCP port $1 (any address)? ss, or a connect attempt when iproute2 is missing.
port_in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
    else
        timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
    fi
}

# Host clients should use: the bind address, unless it is a wildcard.
client_host() {
    case $BIND in
        0.0.0.0 | :: | '*' | '') printf '127.0.0.1' ;;
        *) printf '%s' "$BIND" ;;
    esac
}

# Sets the variable named $1 (the application user's password): from the environment, else from the state folder's
# `password` file, else (only when $2 = create) a random 20-character alphanumeric one, stored there with mode 600 (so
# never world-readable, not even briefly). It goes into database URLs verbatim (Kamailio does not decode them), so
# only URL-safe characters are accepted.
resolve_password() {
    local var=$1 file="$STATE_DIR/password" pw=""
    if [[ -n "${!var:-}" ]]; then
        [[ "${!var}" =~ ^[A-Za-z0-9._~-]{1,80}$ ]] ||
            die "$var may only hold letters, digits and . _ ~ - (it is used verbatim in database URLs)"
        return 0
    fi
    if [[ -s "$file" ]]; then
        printf -v "$var" '%s' "$(<"$file")"
        return 0
    fi
    [[ "${2:-}" == create ]] || die "no password: $var unset and $file missing (run '$PROG up')"
    # Read in small chunks instead of `tr </dev/urandom | head`, whose SIGPIPE would trip pipefail.
    while ((${#pw} < 20)); do
        pw+=$(head -c 64 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
    done
    printf -v "$var" '%s' "${pw:0:20}"
    (umask 077 && printf '%s\n' "${!var}" >"$file.tmp.$$" && mv -f "$file.tmp.$$" "$file")
}

cmd_status() {
    local n pid any=0
    for n in $(list_instances); do
        any=1
        pid=$(our_pid "$n") || pid=-
        printf '%s port=%s pid=%s %s\n' "$n" "$(inst_port "$n")" "$pid" "$(inst_state "$n")"
    done
    ((any)) || log "no instances under $STATE_DIR"
}

cmd_env() {
    [[ -f "$STATE_DIR/env" ]] || die "$STATE_DIR/env not found (run '$PROG up')"
    cat "$STATE_DIR/env"
}

# ---- commands both scripts run alike. Each script also defines: start_instance N, stop_instance N (graceful),
# signal_instance SIG PID (the server and whatever must stop and go on with it), have_binaries, and the commands
# that differ (install, up, kill, sql, createdb).

cmd_down() {
    local purge=0 n
    case ${1:-} in
        "") ;;
        --purge) purge=1 ;;
        *) usage ;;
    esac
    if [[ ! -d "$STATE_DIR" ]]; then
        log "nothing to do: $STATE_DIR does not exist"
        return 0
    fi
    take_lock
    for n in $(list_instances); do
        stop_instance "$n"
    done
    if ((purge)); then
        [[ -e "$STATE_DIR/$MARKER" ]] ||
            die "refusing to delete $STATE_DIR: no $MARKER marker, so it was not created by this script"
        rm -rf -- "$STATE_DIR"
        log "removed $STATE_DIR"
    fi
}

cmd_start() {
    check_n "${1:-}"
    have_binaries || die "$SERVER_NAME is not installed (run '$PROG install')"
    take_lock
    start_instance "$((10#$1))"
}

cmd_stop() {
    check_n "${1:-}"
    take_lock
    stop_instance "$((10#$1))"
}

# SIGSTOP/SIGCONT, then wait until the kernel reports the new state, so that a chaos test can rely on it as soon as
# the command returns.
cmd_freeze_thaw() {
    local what=$1 n pid sig deadline
    check_n "${2:-}"
    n=$((10#$2))
    pid=$(our_pid "$n") || die "instance $n is not running"
    [[ "$what" == freeze ]] && sig=STOP || sig=CONT
    signal_instance "$sig" "$pid"
    deadline=$((SECONDS + 5))
    while :; do
        if [[ "$what" == freeze ]]; then
            [[ "$(proc_state "$pid")" == T ]] && break
        else
            [[ "$(proc_state "$pid")" != T ]] && break
        fi
        ((SECONDS < deadline)) || die "instance $n: pid $pid did not change state after SIG$sig"
        sleep 0.05
    done
    log "instance $n: pid $pid $([[ "$what" == freeze ]] && echo frozen || echo thawed)"
}

cmd_pid() {
    check_n "${1:-}"
    our_pid "$((10#$1))" || die "instance $1 is not running"
    echo
}

# The command line of either script.
run_command() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case $cmd in
        install) [[ $# -eq 0 ]] || usage; cmd_install ;;
        up) cmd_up "$@" ;;
        down) [[ $# -le 1 ]] || usage; cmd_down "$@" ;;
        start) [[ $# -eq 1 ]] || usage; cmd_start "$@" ;;
        stop) [[ $# -eq 1 ]] || usage; cmd_stop "$@" ;;
        kill) [[ $# -eq 1 ]] || usage; cmd_kill "$@" ;;
        freeze | thaw) [[ $# -eq 1 ]] || usage; cmd_freeze_thaw "$cmd" "$@" ;;
        status) [[ $# -eq 0 ]] || usage; cmd_status ;;
        env) [[ $# -eq 0 ]] || usage; cmd_env ;;
        sql) cmd_sql "$@" ;;
        createdb) cmd_createdb "$@" ;;
        pid) [[ $# -eq 1 ]] || usage; cmd_pid "$@" ;;
        *) usage ;;
    esac
}
