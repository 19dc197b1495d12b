# shellcheck shell=bash
# deploy/lib/servers.sh — start/stop PostgreSQL, Redis and RabbitMQ as plain
# processes (no systemd, no Docker) in private directories.
#
# Source it from a bash script that runs `set -euo pipefail`:
#     . "$(dirname "$0")/lib/servers.sh"
#
# Layout of a server "base" directory BASE (see srv_start_all):
#     BASE/pg/        cluster dir (or a symlink to one), owned by postgres: data/ (PGDATA), postgres.log,
#                     postgres.pid, unix socket .s.PGSQL.<port>
#     BASE/redis/     redis.pid, redis.log, appendonly files (persistent mode)
#     BASE/rabbitmq/  rabbitmq.pid, home/ (Erlang cookie), mnesia/, log/
#
# Every start function is idempotent: when the pid recorded in the server's
# pid file is alive (and is the expected program) it does nothing. If the pid
# is not ours but the port is taken, it fails with a clear message.
# Stop functions only ever signal the pid recorded in the server's own dir.
#
# Profiles (srv_profile):          PostgreSQL  Redis   AMQP    Erlang dist  node
#     test  (deploy/test.sh)        25432       26379   25682   25683        comments-test@localhost
#     run   (deploy/up.sh)          5432        6379    5672    25672        comments@localhost
# (deploy/bench.sh uses the test profile on 27432/27379/27682/27683.) Every fixed port is below Linux's ephemeral
# range (32768-60999): a port in that range can be held by any outgoing connection's local end at the moment a
# server tries to bind it (a CI run once failed so: PostgreSQL "could not bind ... Address already in use").
#
# Public functions (all log to stderr):
#     srv_install_missing [postgres] [redis] [rabbitmq] [curl]   (default: the 3 servers)
#     srv_pg_bindir [DIR]
#     srv_port_open PORT                      -> 0 if 127.0.0.1:PORT accepts
#     srv_wait_port PORT TIMEOUT_S [NAME]
#     srv_pid_alive PIDFILE [COMM]            -> 0 if pid in file is alive (and named COMM)
#     srv_stop_pidfile PIDFILE [TIMEOUT_S] [COMM]   TERM, wait, KILL — by recorded pid only
#     srv_pg_can_reach DIR                    -> 0 if user postgres can traverse to DIR
#     srv_pg_start DIR PORT [on|off]          fsync on (default) / off (throw-away data);
#                                             initdb as postgres on first start, then role
#                                             comments/comments (LOGIN CREATEDB) + db comments
#     srv_pg_wait DIR TIMEOUT_S
#     srv_pg_psql DIR [psql args...]          psql as superuser over the unix socket
#     srv_pg_stop DIR
#     srv_redis_start DIR PORT [persist|ephemeral]
#     srv_redis_wait DIR TIMEOUT_S
#     srv_redis_stop DIR
#     srv_rabbit_launch DIR PORT DIST_PORT NODENAME   start detached, do not wait
#     srv_rabbit_wait DIR TIMEOUT_S                   wait for port, then await_startup
#     srv_rabbit_start DIR PORT DIST_PORT NODENAME    launch + wait
#     srv_rabbitmqctl DIR [args...]                   rabbitmqctl with the node's HOME/name
#     srv_rabbit_stop DIR
#     srv_profile test|run                    sets SRV_PG_PORT SRV_REDIS_PORT SRV_RABBIT_PORT
#                                             SRV_RABBIT_DIST_PORT SRV_RABBIT_NODE SRV_PG_FSYNC
#                                             SRV_REDIS_MODE
#     srv_start_all BASE test|run             install missing packages, start all three
#     srv_stop_all BASE                       stop whatever of the three runs from BASE
#     srv_export_env                          export ConnectionStrings__{postgres,redis,rabbitmq}
#                                             for the ports of the current profile

SRV_PG_USER=comments
SRV_PG_PASSWORD=comments
SRV_PG_DB=comments
SRV_RABBIT_BIN=/usr/lib/rabbitmq/bin
_SRV_APT_UPDATED=${_SRV_APT_UPDATED:-0}

srv_log() { printf '[servers] %s\n' "$*" >&2; }
srv_die() { printf '[servers] ERROR: %s\n' "$*" >&2; return 1; }

# POSIX single-quote one word (for su -c strings run by /bin/sh).
_srv_sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

_srv_is_root() { [[ $(id -u) -eq 0 ]]; }

# BASE/pg may be a symlink to a dir the postgres user can reach (see up.sh).
_srv_resolve() { if [[ -L $1 ]]; then readlink -f "$1"; else printf '%s\n' "$1"; fi; }

# Absolute path (the dir need not exist yet).
_srv_abs() { if [[ $1 == /* ]]; then printf '%s\n' "$1"; else printf '%s\n' "$PWD/$1"; fi; }

# ---------------------------------------------------------------- packages

srv_pg_bindir() {
  # Bin dir of the PostgreSQL that owns DIR's cluster (if any), else 15, else newest.
  local dir=${1:-} ver d
  if [[ -n $dir && -f $dir/data/PG_VERSION ]]; then
    ver=$(<"$dir/data/PG_VERSION")
    if [[ -x /usr/lib/postgresql/$ver/bin/pg_ctl ]]; then
      printf '%s\n' "/usr/lib/postgresql/$ver/bin"; return 0
    fi
  fi
  if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
    printf '%s\n' /usr/lib/postgresql/15/bin; return 0
  fi
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4,4n -r); do
    if [[ -x $d/pg_ctl && -x $d/initdb ]]; then printf '%s\n' "$d"; return 0; fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0
  fi
  return 1
}

_srv_have() {
  case $1 in
    postgres) local b; b=$(srv_pg_bindir) && [[ -x $b/psql ]] ;;
    redis)    command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ;;
    rabbitmq) [[ -x $SRV_RABBIT_BIN/rabbitmq-server && -x $SRV_RABBIT_BIN/rabbitmqctl ]] ;;
    curl)     command -v curl >/dev/null 2>&1 ;;
    chromium) [[ -x /usr/bin/chromium ]] ;;
    *)        srv_die "unknown package kind: $1" ;;
  esac
}

_srv_pkg_name() {
  case $1 in
    postgres) echo postgresql ;;
    redis)    echo redis-server ;;
    rabbitmq) echo rabbitmq-server ;;
    curl)     echo curl ;;
    chromium) echo chromium ;;
  esac
}

srv_install_missing() {
  local want=("$@") k pkgs=() sudo=()
  [[ ${#want[@]} -gt 0 ]] || want=(postgres redis rabbitmq)
  for k in "${want[@]}"; do
    _srv_have "$k" || pkgs+=("$(_srv_pkg_name "$k")")
  done
  [[ ${#pkgs[@]} -eq 0 ]] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    srv_die "missing ${pkgs[*]} and apt-get is not available; install them by hand"
    return 1
  fi
  if ! _srv_is_root; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      srv_die "missing ${pkgs[*]}; run as root (or with sudo) so apt-get can install them"
      return 1
    fi
  fi
  srv_log "installing ${pkgs[*]} with apt-get (once) ..."
  if [[ $_SRV_APT_UPDATED != 1 ]]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update >&2 \
      || { srv_die "apt-get update failed"; return 1; }
    _SRV_APT_UPDATED=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      -o DPkg::Lock::Timeout=180 "${pkgs[@]}" >&2 \
    || { srv_die "apt-get install ${pkgs[*]} failed"; return 1; }
  for k in "${want[@]}"; do
    _srv_have "$k" || { srv_die "$k still missing after apt-get install"; return 1; }
  done
}

# ---------------------------------------------------------------- generic helpers

srv_port_open() {
  local port=$1
  if command -v timeout >/dev/null 2>&1; then
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

srv_wait_port() {
  local port=$1 timeout=${2:-60} name=${3:-port $1} i
  for ((i = 0; i < timeout * 5; i++)); do
    srv_port_open "$port" && return 0
    sleep 0.2
  done
  srv_die "$name did not open 127.0.0.1:$port within ${timeout}s"
}

# srv_pid_alive PIDFILE [COMM] — pid file exists, pid alive, and (optionally)
# /proc/PID/comm equals COMM (guards against a recycled pid).
srv_pid_alive() {
  local file=$1 comm=${2:-} pid
  [[ -s $file ]] || return 1
  pid=$(head -n1 "$file" 2>/dev/null | tr -dc '0-9')
  [[ -n $pid ]] || return 1
  _srv_pid_running "$pid" || return 1
  if [[ -n $comm && -r /proc/$pid/comm ]]; then
    [[ $(<"/proc/$pid/comm") == "$comm" ]] || return 1
  fi
  return 0
}

# Pid exists and is not a zombie (an exited daemon may stay a zombie until
# PID 1 reaps it; kill -0 still succeeds on it).
_srv_pid_running() {
  local pid=$1 stat
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/stat ]]; then
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]] || return 1
  fi
  return 0
}

_srv_pid_of() { local p; p=$(head -n1 "$1" 2>/dev/null | tr -dc '0-9'); printf '%s\n' "$p"; }

_srv_wait_pid_gone() {
  local pid=$1 timeout=${2:-30} i
  for ((i = 0; i < timeout * 5; i++)); do
    _srv_pid_running "$pid" || return 0
    sleep 0.2
  done
  return 1
}

# srv_stop_pidfile PIDFILE [TIMEOUT_S] [COMM]: SIGTERM the recorded pid, wait,
# SIGKILL if needed, remove the pid file. Never touches any other process.
srv_stop_pidfile() {
  local file=$1 timeout=${2:-20} comm=${3:-} pid
  if ! srv_pid_alive "$file" "$comm"; then rm -f "$file"; return 0; fi
  pid=$(_srv_pid_of "$file")
  kill -TERM "$pid" 2>/dev/null || true
  if ! _srv_wait_pid_gone "$pid" "$timeout"; then
    srv_log "pid $pid ($file) ignored SIGTERM for ${timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    _srv_wait_pid_gone "$pid" 5 || true
  fi
  rm -f "$file"
}

_srv_port_free_or_die() {
  local port=$1 what=$2
  if srv_port_open "$port"; then
    srv_die "port 127.0.0.1:$port (for $what) is already in use by a process these scripts did not start; stop it or free the port"
    return 1
  fi
}

_srv_tail_log() {
  local f
  for f in "$@"; do
    [[ -f $f ]] || continue
    printf '[servers] ---- last lines of %s ----\n' "$f" >&2
    tail -n 30 "$f" >&2 || true
  done
}

# ---------------------------------------------------------------- PostgreSQL

# Run a command as the postgres OS user (root) or as ourselves (non-root).
_srv_as_pg() {
  if _srv_is_root; then
    local cmd="cd / && exec" w
    for w in "$@"; do cmd+=" $(_srv_sq "$w")"; done
    su postgres -s /bin/sh -c "$cmd"
  else
    (cd / && "$@")
  fi
}

# True when the postgres user can reach DIR (all parents traversable).
srv_pg_can_reach() {
  local dir; dir=$(_srv_abs "$1")
  _srv_is_root || return 0
  su postgres -s /bin/sh -c "test -x $(_srv_sq "$dir")" 2>/dev/null
}

# Socket directory: DIR itself unless the path would be too long for a unix
# socket (107 bytes), then a short deterministic dir under /tmp.
_srv_pg_sockdir() {
  local dir; dir=$(_srv_abs "$1")
  local port=$2
  if (( ${#dir} + 20 <= 100 )); then printf '%s\n' "$dir"
  else printf '%s\n' "/tmp/.comments-pg-$port"; fi
}

_srv_pg_running() { srv_pid_alive "$1/data/postmaster.pid" postgres; }

srv_pg_psql() {
  local dir; dir=$(_srv_abs "$1"); shift
  local bin port sock
  bin=$(srv_pg_bindir "$dir") || { srv_die "PostgreSQL binaries not found"; return 1; }
  port=$(<"$dir/port")
  sock=$(_srv_pg_sockdir "$dir" "$port")
  PGCONNECT_TIMEOUT=5 "$bin/psql" -X -h "$sock" -p "$port" -U postgres "$@"
}

srv_pg_wait() {
  local dir; dir=$(_srv_abs "$1")
  local timeout=${2:-60} bin port sock i
  bin=$(srv_pg_bindir "$dir") || return 1
  port=$(<"$dir/port")
  sock=$(_srv_pg_sockdir "$dir" "$port")
  for ((i = 0; i < timeout * 5; i++)); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 && "$bin/pg_isready" -q -h "$sock" -p "$port" -t 2; then
      return 0
    fi
    sleep 0.2
  done
  _srv_tail_log "$dir/postgres.log"
  srv_die "PostgreSQL in $dir not ready on port $port within ${timeout}s"
}

_srv_pg_ensure_role() {
  local dir; dir=$(_srv_abs "$1")
  srv_pg_psql "$dir" -d postgres -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$SRV_PG_USER') THEN
    CREATE ROLE "$SRV_PG_USER" LOGIN CREATEDB PASSWORD '$SRV_PG_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE "$SRV_PG_DB" OWNER "$SRV_PG_USER"'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$SRV_PG_DB')\gexec
SQL
}

# srv_pg_start DIR PORT [on|off]  (fsync; "off" only for throw-away data)
srv_pg_start() {
  local dir; dir=$(_srv_abs "$1")
  local port=$2 fsync=${3:-on} bin sock data
  [[ $fsync == on || $fsync == off ]] || { srv_die "srv_pg_start: fsync must be on|off"; return 1; }
  data=$dir/data
  mkdir -p "$dir"
  if _srv_is_root; then
    srv_pg_can_reach "$(dirname "$dir")" \
      || { srv_die "user postgres cannot reach $(dirname "$dir") (a parent dir is not traversable); use another dir"; return 1; }
    chown postgres:postgres "$dir"
  fi
  chmod 700 "$dir"
  if _srv_pg_running "$dir"; then
    srv_log "PostgreSQL already running from $dir (pid $(_srv_pid_of "$data/postmaster.pid")); leaving it"
    _srv_pid_of "$data/postmaster.pid" >"$dir/postgres.pid"
    srv_pg_wait "$dir" 30 && _srv_pg_ensure_role "$dir"
    return
  fi
  _srv_port_free_or_die "$port" "PostgreSQL" || return 1
  bin=$(srv_pg_bindir "$dir") || { srv_die "PostgreSQL binaries not found (srv_install_missing postgres)"; return 1; }
  sock=$(_srv_pg_sockdir "$dir" "$port")
  if [[ $sock != "$dir" ]]; then
    mkdir -p "$sock"; chmod 700 "$sock"
    if _srv_is_root; then chown postgres:postgres "$sock"; fi
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    srv_log "initdb $data"
    local nosync=()
    [[ $fsync == off ]] && nosync=(--no-sync)
    _srv_as_pg "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 "${nosync[@]}" >"$dir/initdb.log" 2>&1 \
      || { _srv_tail_log "$dir/initdb.log"; srv_die "initdb failed"; return 1; }
    echo "include_if_exists = 'comments.conf'" | _srv_as_pg tee -a "$data/postgresql.conf" >/dev/null
  fi
  {
    echo "# written by deploy/lib/servers.sh on every start"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$sock'"
    echo "max_connections = 300"
    echo "fsync = $fsync"
    if [[ $fsync == off ]]; then
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
      # Throw-away databases start empty and grow by thousands of rows a second: analyse them often, or statements
      # prepared while a table was nearly empty keep their sequential-scan plans until the next autoanalyze (1 min).
      echo "autovacuum_naptime = 5s"
    fi
  } | _srv_as_pg tee "$data/comments.conf" >/dev/null
  echo "$port" >"$dir/port"
  if _srv_is_root; then chown postgres:postgres "$dir/port"; fi
  srv_log "starting PostgreSQL on 127.0.0.1:$port (fsync=$fsync, dir $dir)"
  _srv_as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start </dev/null >/dev/null 2>&1 \
    || { _srv_tail_log "$dir/postgres.log"; srv_die "pg_ctl start failed"; return 1; }
  _srv_pid_of "$data/postmaster.pid" >"$dir/postgres.pid"
  srv_pg_wait "$dir" 60 || return 1
  _srv_pg_ensure_role "$dir" || { srv_die "could not create role/database $SRV_PG_USER"; return 1; }
}

srv_pg_stop() {
  local dir; dir=$(_srv_abs "$1")
  local bin pid
  [[ -d $dir/data ]] || { rm -f "$dir/postgres.pid"; return 0; }
  if _srv_pg_running "$dir"; then
    pid=$(_srv_pid_of "$dir/data/postmaster.pid")
    srv_log "stopping PostgreSQL (pid $pid, $dir)"
    bin=$(srv_pg_bindir "$dir") || true
    if [[ -n $bin ]]; then
      _srv_as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    if _srv_pid_running "$pid"; then
      echo "$pid" >"$dir/postgres.pid"
      srv_stop_pidfile "$dir/postgres.pid" 30 postgres
    fi
  fi
  rm -f "$dir/postgres.pid"
}

# ---------------------------------------------------------------- Redis

# srv_redis_start DIR PORT [persist|ephemeral]
srv_redis_start() {
  local dir; dir=$(_srv_abs "$1")
  local port=$2 mode=${3:-ephemeral} opts=()
  mkdir -p "$dir"
  if srv_pid_alive "$dir/redis.pid" redis-server; then
    srv_log "Redis already running from $dir (pid $(_srv_pid_of "$dir/redis.pid")); leaving it"
    srv_redis_wait "$dir" 10
    return
  fi
  rm -f "$dir/redis.pid"
  _srv_port_free_or_die "$port" "Redis" || return 1
  case $mode in
    persist)   opts=(--appendonly yes --appendfsync everysec) ;;   # default RDB save points stay on
    ephemeral) opts=(--save '' --appendonly no) ;;
    *) srv_die "srv_redis_start: mode must be persist|ephemeral"; return 1 ;;
  esac
  echo "$port" >"$dir/port"; echo "$mode" >"$dir/mode"
  srv_log "starting Redis on 127.0.0.1:$port ($mode, dir $dir)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --protected-mode yes \
      --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "${opts[@]}" \
      </dev/null >/dev/null 2>&1 \
    || { _srv_tail_log "$dir/redis.log"; srv_die "redis-server failed to start"; return 1; }
  srv_redis_wait "$dir" 30
}

srv_redis_wait() {
  local dir; dir=$(_srv_abs "$1")
  local timeout=${2:-30} port i
  port=$(<"$dir/port")
  for ((i = 0; i < timeout * 10; i++)); do
    if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]] && [[ -s $dir/redis.pid ]]; then
      return 0
    fi
    sleep 0.1
  done
  _srv_tail_log "$dir/redis.log"
  srv_die "Redis in $dir not answering PING on port $port within ${timeout}s"
}

srv_redis_stop() {
  local dir; dir=$(_srv_abs "$1")
  local pid port how=nosave
  if srv_pid_alive "$dir/redis.pid" redis-server; then
    pid=$(_srv_pid_of "$dir/redis.pid")
    srv_log "stopping Redis (pid $pid, $dir)"
    [[ $(cat "$dir/mode" 2>/dev/null) == persist ]] && how=save
    port=$(cat "$dir/port" 2>/dev/null || true)
    # SHUTDOWN over the port is immediate (SIGTERM is acted on only at the next
    # server tick); only trusted when the pid file still names that server.
    if [[ -n $port ]]; then
      redis-cli -h 127.0.0.1 -p "$port" shutdown "$how" >/dev/null 2>&1 || true
      _srv_wait_pid_gone "$pid" 10 || true
    fi
    # Fallback: SIGTERM/SIGKILL the recorded pid (no-op when already gone).
    echo "$pid" >"$dir/redis.pid"
    srv_stop_pidfile "$dir/redis.pid" 30 redis-server
  fi
  rm -f "$dir/redis.pid"
}

# ---------------------------------------------------------------- RabbitMQ

# Run a RabbitMQ script with the node's private environment (DIR/node.env).
_srv_rabbit_env() {
  local dir; dir=$(_srv_abs "$1"); shift
  local node port dist
  node=$(<"$dir/nodename"); port=$(<"$dir/port"); dist=$(<"$dir/dist_port")
  env HOME="$dir/home" \
      RABBITMQ_NODENAME="$node" \
      RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_NODE_PORT="$port" \
      RABBITMQ_DIST_PORT="$dist" \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" \
      RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_PID_FILE="$dir/rabbitmq.pid" \
      RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
      RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
      RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none" \
      RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      ERL_EPMD_ADDRESS=127.0.0.1 \
      ERL_CRASH_DUMP="$dir/log/erl_crash.dump" \
      "$@"
}

srv_rabbitmqctl() {
  local dir; dir=$(_srv_abs "$1"); shift
  (cd "$dir" && _srv_rabbit_env "$dir" "$SRV_RABBIT_BIN/rabbitmqctl" "$@")
}

# srv_rabbit_launch DIR PORT DIST_PORT NODENAME — start detached, return at once.
srv_rabbit_launch() {
  local dir; dir=$(_srv_abs "$1")
  local port=$2 dist=$3 node=$4
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  chmod 700 "$dir/home"
  if srv_pid_alive "$dir/rabbitmq.pid" beam.smp; then
    srv_log "RabbitMQ already running from $dir (pid $(_srv_pid_of "$dir/rabbitmq.pid")); leaving it"
    return 0
  fi
  rm -f "$dir/rabbitmq.pid"
  _srv_port_free_or_die "$port" "RabbitMQ AMQP" || return 1
  _srv_port_free_or_die "$dist" "RabbitMQ Erlang distribution" || return 1
  [[ -x $SRV_RABBIT_BIN/rabbitmq-server ]] || { srv_die "RabbitMQ not installed (srv_install_missing rabbitmq)"; return 1; }
  echo "$node" >"$dir/nodename"; echo "$port" >"$dir/port"; echo "$dist" >"$dir/dist_port"
  : >"$dir/rabbitmq-env.conf"
  [[ -f $dir/enabled_plugins ]] || echo '[].' >"$dir/enabled_plugins"
  [[ -f $dir/rabbitmq.conf ]] || cat >"$dir/rabbitmq.conf" <<'CONF'
# written by deploy/lib/servers.sh — private node config (guest/guest from loopback only)
loopback_users.guest = true
log.console = false
log.file.level = info
CONF
  srv_log "starting RabbitMQ node $node on 127.0.0.1:$port (dist $dist, dir $dir)"
  (cd "$dir" && _srv_rabbit_env "$dir" "$SRV_RABBIT_BIN/rabbitmq-server" -detached \
      </dev/null >>"$dir/log/startup.log" 2>&1) \
    || { _srv_tail_log "$dir/log/startup.log"; srv_die "rabbitmq-server -detached failed"; return 1; }
}

srv_rabbit_wait() {
  local dir; dir=$(_srv_abs "$1")
  local timeout=${2:-90} port node i
  port=$(<"$dir/port"); node=$(<"$dir/nodename")
  for ((i = 0; i < timeout * 5; i++)); do
    srv_port_open "$port" && break
    # Node died during boot (pid file written early in boot, then process gone).
    if [[ -s $dir/rabbitmq.pid ]] && ! srv_pid_alive "$dir/rabbitmq.pid"; then
      i=$((timeout * 5)); break
    fi
    sleep 0.2
  done
  if ! srv_port_open "$port"; then
    _srv_tail_log "$dir/log/startup.log" "$dir/log/$node.log"
    srv_die "RabbitMQ node $node did not open 127.0.0.1:$port within ${timeout}s"
    return 1
  fi
  srv_rabbitmqctl "$dir" -q await_startup --timeout "$timeout" >/dev/null 2>&1 \
    || { _srv_tail_log "$dir/log/$node.log"; srv_die "rabbitmqctl await_startup failed for $node"; return 1; }
  for ((i = 0; i < 50; i++)); do [[ -s $dir/rabbitmq.pid ]] && break; sleep 0.1; done
  srv_pid_alive "$dir/rabbitmq.pid" beam.smp \
    || { srv_die "RabbitMQ is up but $dir/rabbitmq.pid holds no live pid"; return 1; }
}

srv_rabbit_start() {
  srv_rabbit_launch "$@" && srv_rabbit_wait "$1" 90
}

srv_rabbit_stop() {
  local dir; dir=$(_srv_abs "$1")
  local pid node
  if srv_pid_alive "$dir/rabbitmq.pid" beam.smp; then
    pid=$(_srv_pid_of "$dir/rabbitmq.pid"); node=$(<"$dir/nodename")
    srv_log "stopping RabbitMQ node $node (pid $pid, $dir)"
    srv_rabbitmqctl "$dir" -q stop "$dir/rabbitmq.pid" >/dev/null 2>&1 || true
    if _srv_pid_running "$pid"; then
      echo "$pid" >"$dir/rabbitmq.pid"
      srv_stop_pidfile "$dir/rabbitmq.pid" 30 beam.smp
    fi
    # epmd outlives the node; it refuses to die while other nodes are registered.
    ERL_EPMD_ADDRESS=127.0.0.1 epmd -kill >/dev/null 2>&1 || true
  fi
  rm -f "$dir/rabbitmq.pid"
}

# ---------------------------------------------------------------- profiles

srv_profile() {
  case $1 in
    test)
      SRV_PG_PORT=${COMMENTS_TEST_PG_PORT:-25432}
      SRV_REDIS_PORT=${COMMENTS_TEST_REDIS_PORT:-26379}
      SRV_RABBIT_PORT=${COMMENTS_TEST_RABBIT_PORT:-25682}
      SRV_RABBIT_DIST_PORT=${COMMENTS_TEST_RABBIT_DIST_PORT:-25683}
      SRV_RABBIT_NODE=${COMMENTS_TEST_RABBIT_NODE:-comments-test@localhost}
      SRV_PG_FSYNC=off
      SRV_REDIS_MODE=ephemeral ;;
    run)
      SRV_PG_PORT=5432
      SRV_REDIS_PORT=6379
      SRV_RABBIT_PORT=5672
      SRV_RABBIT_DIST_PORT=25672
      SRV_RABBIT_NODE=comments@localhost
      SRV_PG_FSYNC=on
      SRV_REDIS_MODE=persist ;;
    *) srv_die "unknown profile: $1 (test|run)"; return 1 ;;
  esac
  # shellcheck disable=SC2034  # read by callers
  SRV_PROFILE=$1
}

srv_export_env() {
  export ConnectionStrings__postgres="Host=127.0.0.1;Port=$SRV_PG_PORT;Username=$SRV_PG_USER;Password=$SRV_PG_PASSWORD;Database=$SRV_PG_DB"
  export ConnectionStrings__rabbitmq="amqp://guest:guest@127.0.0.1:$SRV_RABBIT_PORT/"
  export ConnectionStrings__redis="127.0.0.1:$SRV_REDIS_PORT"
}

# srv_start_all BASE test|run — RabbitMQ boots (slowest) while the others start.
srv_start_all() {
  local base; base=$(_srv_abs "$1")
  srv_profile "$2" || return 1
  srv_install_missing postgres redis rabbitmq || return 1
  mkdir -p "$base"
  local pgdir; pgdir=$(_srv_resolve "$base/pg")
  srv_rabbit_launch "$base/rabbitmq" "$SRV_RABBIT_PORT" "$SRV_RABBIT_DIST_PORT" "$SRV_RABBIT_NODE" || return 1
  srv_pg_start "$pgdir" "$SRV_PG_PORT" "$SRV_PG_FSYNC" || return 1
  srv_redis_start "$base/redis" "$SRV_REDIS_PORT" "$SRV_REDIS_MODE" || return 1
  srv_rabbit_wait "$base/rabbitmq" 90 || return 1
  srv_log "servers up: postgres 127.0.0.1:$SRV_PG_PORT, redis 127.0.0.1:$SRV_REDIS_PORT, rabbitmq 127.0.0.1:$SRV_RABBIT_PORT ($SRV_RABBIT_NODE)"
}

# srv_stop_all BASE — stops whatever runs from BASE; never fails.
srv_stop_all() {
  local base; base=$(_srv_abs "$1")
  [[ -d $base/rabbitmq ]] && { srv_rabbit_stop "$base/rabbitmq" || true; }
  [[ -d $base/redis ]] && { srv_redis_stop "$base/redis" || true; }
  [[ -d $base/pg ]] && { srv_pg_stop "$(_srv_resolve "$base/pg")" || true; }
  return 0
}
