#!/usr/bin/env bash
# N processes of the dashboard behind nginx, on loopback, with sticky sessions (deploy/nginx.conf).
#
#   bash scripts/cluster.sh start [--replicas N] [--port P] [--app-port-base B]
#       N app processes (default 2) on 127.0.0.1:B+0..B+N-1 (default B = P+1) and nginx on 127.0.0.1:P
#       (default 8080); returns when every replica's /_stcore/health and nginx answer.
#   bash scripts/cluster.sh stop       # stops nginx and every replica (their whole process groups)
#   bash scripts/cluster.sh status     # each process, its port and health; exit 0 only if all are up
#   bash scripts/cluster.sh replica K stop|kill|start   # one replica: graceful stop, crash (SIGKILL), start
#   bash scripts/cluster.sh install-nginx               # as root: Debian's nginx, if it is missing
#
# Everything it writes is under .run/cluster/ (CLUSTER_RUN_DIR to move it): the rendered nginx.conf, logs/
# (replica-K.log, nginx-access.log, nginx-error.log), pids/, nginx's temp files and static cache, and
# cookie_secret. Every replica gets the same server.cookieSecret: STREAMLIT_SERVER_COOKIE_SECRET if it is set
# at `start`, else one generated once; either way it is kept in .run/cluster/cookie_secret (mode 600), which
# `replica K start` reads too. Needs no root: as root it installs nginx with apt when missing, and nginx's
# workers run as www-data.
# Python and the pinned packages: as scripts/run.sh (scripts/_python.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
. scripts/_python.sh

RUN="$(realpath -m "${CLUSTER_RUN_DIR:-$ROOT/.run/cluster}")"
PIDS="$RUN/pids"
LOGS="$RUN/logs"
STARTUP_TIMEOUT="${CLUSTER_STARTUP_TIMEOUT:-180}"

say() { echo "cluster.sh: $*"; }
die() { echo "cluster.sh: error: $*" >&2; exit 1; }

helper() { "$PYTHON" "$ROOT/deploy/helper.py" "$@"; }

find_nginx() {
    NGINX="${NGINX:-$(command -v nginx || true)}"
    if [ -z "$NGINX" ] && [ -x /usr/sbin/nginx ]; then NGINX=/usr/sbin/nginx; fi
    [ -n "$NGINX" ]
}

install_nginx() {
    find_nginx && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        die "nginx is missing; install it (Debian: sudo apt-get install -y nginx) or set NGINX=/path/to/nginx"
    fi
    say "installing Debian's nginx (apt-get)"
    # Debian's package starts a system nginx on port 80 when installed; a policy-rc.d answering 101 stops
    # that (the cluster runs its own nginx). Only a guard this script made is removed afterwards.
    local guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        guard=1
    fi
    local rc=0
    apt_install nginx || rc=$?
    if [ -n "$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi
    [ "$rc" -eq 0 ] || die "apt-get install nginx failed ($rc)"
    find_nginx || die "nginx still not found after installing it"
}

# --- process groups: every process is started as the leader of its own session, so its group id is its pid
group_alive() { kill -0 -- "-$1" 2>/dev/null; }

is_ours() {  # is_ours NAME PID: the process is still what we started (not a reused pid)
    local cmd
    cmd="$(tr '\0' ' ' < "/proc/$2/cmdline" 2>/dev/null)" || return 1
    case "$1" in
        nginx) [[ "$cmd" == *nginx* ]] ;;
        *) [[ "$cmd" == *streamlit* ]] ;;
    esac
}

pid_of() {  # pid_of NAME -> the pid in pids/NAME.pid, if its group is alive and is ours
    local file="$PIDS/$1.pid" pid
    [ -s "$file" ] || return 1
    pid="$(cat "$file")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    group_alive "$pid" || return 1
    is_ours "$1" "$pid" || return 1
    echo "$pid"
}

spawn() {  # spawn NAME LOG COMMAND... : start COMMAND in a new session, pid into pids/NAME.pid
    local name="$1" log="$2"; shift 2
    local file="$PIDS/$name.pid"
    rm -f "$file"
    setsid bash -c 'echo "$$" > "$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$file" "$@" >>"$log" 2>&1 </dev/null &
    local i
    for i in $(seq 1 100); do
        [ -s "$file" ] && return 0
        sleep 0.05
    done
    die "$name did not start (see $log)"
}

stop_group() {  # stop_group NAME [SIGNAL]: SIGTERM (or SIGNAL) to the group, SIGKILL after 15 s
    local name="$1" signal="${2:-TERM}" file="$PIDS/$1.pid" pid i
    [ -s "$file" ] || return 0
    pid="$(cat "$file")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && group_alive "$pid" && ! is_ours "$name" "$pid"; then
        say "$name: process $pid is not one this script started (stale pid file); not touching it"
        rm -f "$file"
        return 0
    fi
    if [[ "$pid" =~ ^[0-9]+$ ]] && group_alive "$pid"; then
        kill "-$signal" -- "-$pid" 2>/dev/null || true
        for i in $(seq 1 150); do
            group_alive "$pid" || break
            sleep 0.1
        done
        if group_alive "$pid"; then
            say "$name (process group $pid) still running after 15 s: SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || true
            for i in $(seq 1 50); do
                group_alive "$pid" || break
                sleep 0.1
            done
        fi
        if group_alive "$pid"; then
            echo "cluster.sh: error: $name (process group $pid) would not stop" >&2
            return 1
        fi
        say "stopped $name (process group $pid)"
    fi
    rm -f "$file"
}

load_env() {
    [ -s "$RUN/cluster.env" ] || return 1
    # shellcheck disable=SC1091
    . "$RUN/cluster.env"
}

ensure_secret() {  # at start: the cluster's one secret, in cookie_secret (mode 600), which every replica reads
    if [ -n "${STREAMLIT_SERVER_COOKIE_SECRET:-}" ]; then
        (umask 077 && printf '%s\n' "$STREAMLIT_SERVER_COOKIE_SECRET" > "$RUN/cookie_secret")
    else
        helper secret "$RUN/cookie_secret"
    fi
}

start_replica() {  # start_replica K PORT (no wait)
    local k="$1" port="$2" secret
    [ -s "$RUN/cookie_secret" ] || die "no $RUN/cookie_secret (start the cluster first)"
    secret="$(tr -d '\n' < "$RUN/cookie_secret")"
    STREAMLIT_SERVER_COOKIE_SECRET="$secret" PYTHONUNBUFFERED=1 \
        spawn "replica-$k" "$LOGS/replica-$k.log" \
        "$PYTHON" -m streamlit run app.py \
        --server.address 127.0.0.1 --server.port "$port" --server.headless true
}

replica_names() { ls "$PIDS" 2>/dev/null | sed -n 's/^\(replica-[0-9]*\)\.pid$/\1/p' | sort -t- -k2 -n; }

stop_all() {  # every group, even when one of them would not stop; fails if any is left
    local name rc=0
    stop_group nginx || rc=1
    for name in $(replica_names); do stop_group "$name" || rc=1; done
    return "$rc"
}

any_running() {
    local name
    for name in nginx $(replica_names); do
        pid_of "$name" >/dev/null && return 0
    done
    return 1
}

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

cmd_start() {
    local replicas=2 port=8080 base=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --replicas) replicas="${2:-}"; shift 2 ;;
            --replicas=*) replicas="${1#*=}"; shift ;;
            --port) port="${2:-}"; shift 2 ;;
            --port=*) port="${1#*=}"; shift ;;
            --app-port-base) base="${2:-}"; shift 2 ;;
            --app-port-base=*) base="${1#*=}"; shift ;;
            *) die "unknown option $1 (see: bash scripts/cluster.sh help)" ;;
        esac
    done
    [[ "$replicas" =~ ^[0-9]+$ ]] && [ "$replicas" -ge 1 ] && [ "$replicas" -le 32 ] \
        || die "--replicas must be 1..32, not '$replicas'"
    [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad --port '$port'"
    base="${base:-$((port + 1))}"
    [[ "$base" =~ ^[0-9]+$ ]] && [ $((base + replicas - 1)) -le 65535 ] || die "bad --app-port-base '$base'"

    mkdir -p "$PIDS" "$LOGS"
    [ -e "$RUN/.gitignore" ] || printf '# written by scripts/cluster.sh: nothing here belongs in git\n*\n' > "$RUN/.gitignore"
    if any_running; then
        die "already running (bash scripts/cluster.sh status; stop it first with: bash scripts/cluster.sh stop)"
    fi
    rm -f "$PIDS"/*.pid
    # From here on, a start that fails stops whatever it had started.
    trap 'rc=$?; if [ "$rc" -ne 0 ]; then stop_all || true; fi' EXIT

    pick_python
    pip_install requirements.txt
    install_nginx
    ensure_secret

    local app_ports=() k
    for ((k = 0; k < replicas; k++)); do app_ports+=($((base + k))); done
    local busy
    if ! busy="$(helper ports-free "$port" "${app_ports[@]}")"; then
        die "port(s) already in use on 127.0.0.1: $busy"
    fi
    local csv
    csv="$(IFS=,; echo "${app_ports[*]}")"
    cat > "$RUN/cluster.env" <<EOF
# written by scripts/cluster.sh start
PORT=$port
REPLICAS=$replicas
APP_PORTS=$csv
PYTHON=$PYTHON
NGINX=$NGINX
EOF

    local user_args=()
    if is_root; then
        # nginx's workers (www-data) write its static cache under the run folder: they must reach it.
        if id www-data >/dev/null 2>&1 && setpriv --reuid=www-data --regid=www-data --clear-groups \
                test -x "$RUN" 2>/dev/null; then
            user_args=(--user "www-data www-data")
        else
            say "warning: www-data cannot reach $RUN; nginx's workers run as root (use a run folder others can reach: CLUSTER_RUN_DIR)"
            user_args=(--user "root root")
        fi
    fi
    "$PYTHON" deploy/render.py --port "$port" --app-ports "$csv" --run-dir "$RUN" --out "$RUN/nginx.conf" \
        "${user_args[@]}" || die "could not render deploy/nginx.conf"
    local nginx_args=(-p "$RUN" -e "$LOGS/nginx-error.log" -c "$RUN/nginx.conf")
    local check
    if ! check="$("$NGINX" -t "${nginx_args[@]}" 2>&1)"; then
        echo "$check" >&2
        die "nginx -t failed on $RUN/nginx.conf"
    fi
    # Each WebSocket holds two descriptors in nginx; allow as many as the hard limit does.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

    say "starting $replicas replica(s) on 127.0.0.1:${app_ports[0]}..$((base + replicas - 1)) (logs: $LOGS)"
    local waits=()
    for ((k = 0; k < replicas; k++)); do
        start_replica "$k" "${app_ports[$k]}"
        waits+=("http://127.0.0.1:${app_ports[$k]}/_stcore/health:$(cat "$PIDS/replica-$k.pid")")
    done
    if ! helper wait --timeout "$STARTUP_TIMEOUT" "${waits[@]}"; then
        for ((k = 0; k < replicas; k++)); do tail -n 20 "$LOGS/replica-$k.log" >&2 || true; done
        die "a replica did not become healthy"
    fi
    spawn nginx "$LOGS/nginx-stdout.log" "$NGINX" "${nginx_args[@]}" -g "daemon off;"
    if ! helper wait --timeout 30 "http://127.0.0.1:$port/_stcore/health:$(cat "$PIDS/nginx.pid")"; then
        tail -n 20 "$LOGS/nginx-error.log" >&2 || true
        die "nginx did not answer on 127.0.0.1:$port"
    fi
    trap - EXIT
    say "ready: http://127.0.0.1:$port/ -> $replicas replica(s) ($csv); stop with: bash scripts/cluster.sh stop"
}

cmd_stop() {
    if [ ! -d "$PIDS" ] || [ -z "$(ls "$PIDS" 2>/dev/null)" ]; then
        say "not running"
        return 0
    fi
    stop_all || die "some processes would not stop (see above)"
    rm -f "$RUN/nginx.pid"
    say "stopped"
}

cmd_status() {
    if ! load_env; then
        say "not running (no $RUN/cluster.env)"
        return 3
    fi
    pick_python
    local up=0 total=0 name pid port health k
    IFS=, read -r -a ports <<< "$APP_PORTS"
    printf '%-10s %-8s %-6s %s\n' process pid port health
    for ((k = 0; k < REPLICAS; k++)); do
        name="replica-$k"; port="${ports[$k]}"; total=$((total + 1))
        if pid="$(pid_of "$name")"; then
            health="$(helper health "http://127.0.0.1:$port/_stcore/health")"
            [ "$health" = 200 ] && up=$((up + 1))
        else
            pid="-"; health="stopped"
        fi
        printf '%-10s %-8s %-6s %s\n' "$name" "$pid" "$port" "$health"
    done
    total=$((total + 1))
    if pid="$(pid_of nginx)"; then
        health="$(helper health "http://127.0.0.1:$PORT/_stcore/health")"
        [ "$health" = 200 ] && up=$((up + 1))
    else
        pid="-"; health="stopped"
    fi
    printf '%-10s %-8s %-6s %s\n' nginx "$pid" "$PORT" "$health"
    if [ "$up" -eq "$total" ]; then
        say "up: http://127.0.0.1:$PORT/ ($REPLICAS replica(s))"
        return 0
    fi
    if [ "$up" -eq 0 ] && ! any_running; then
        say "not running"
        return 3
    fi
    say "degraded: $up of $total processes healthy"
    return 1
}

cmd_replica() {
    local k="${1:-}" action="${2:-}"
    [[ "$k" =~ ^[0-9]+$ ]] || die "usage: bash scripts/cluster.sh replica K stop|kill|start"
    load_env || die "not running (no $RUN/cluster.env)"
    [ "$k" -lt "$REPLICAS" ] || die "no replica $k (the cluster has $REPLICAS)"
    IFS=, read -r -a ports <<< "$APP_PORTS"
    local port="${ports[$k]}"
    case "$action" in
        stop) stop_group "replica-$k" TERM ;;
        kill) stop_group "replica-$k" KILL ;;
        start)
            pid_of "replica-$k" >/dev/null && die "replica $k is running"
            pick_python
            start_replica "$k" "$port"
            helper wait --timeout "$STARTUP_TIMEOUT" \
                "http://127.0.0.1:$port/_stcore/health:$(cat "$PIDS/replica-$k.pid")" \
                || die "replica $k did not become healthy (see $LOGS/replica-$k.log)"
            say "replica $k up on 127.0.0.1:$port"
            ;;
        *) die "usage: bash scripts/cluster.sh replica K stop|kill|start" ;;
    esac
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    replica) shift; cmd_replica "$@" ;;
    install-nginx) install_nginx; say "nginx: $NGINX" ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
esac
