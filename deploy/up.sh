#!/usr/bin/env bash
# deploy/up.sh — the run command: start everything, print the URLs.
#
#   deploy/up.sh            (stop again with deploy/down.sh)
#
# Mode: Docker when `docker info` and `docker compose` answer (override with
# COMMENTS_MODE=local|docker): `docker compose up -d --build --wait` with
# docker-compose.yml, secrets from .local/secrets.env (the compose `migrate`
# job makes the demo moderator with that token).
#
# Local mode (no Docker; what runs on a plain Debian 12 machine, as root):
#   1. installs postgresql / rabbitmq-server / redis-server / curl via apt-get
#      when missing;
#   2. starts PostgreSQL 127.0.0.1:5432 (data .local/pg, fsync on), Redis
#      127.0.0.1:6379 (.local/redis, AOF persistence on) and RabbitMQ
#      127.0.0.1:5672 (node comments@localhost, dist port 25672, .local/rabbitmq).
#      A port already taken by a process these scripts did not start is an error;
#   3. generates Comments__AuthorHashKey and the demo moderator's token
#      (COMMENTS_DEMO_MODERATOR_TOKEN) once into .local/secrets.env (mode 600);
#   4. stops the .NET services if an earlier run left them up, then
#      `dotnet build Comments.sln -c Release`, `Comments.Api.dll migrate`,
#      `Comments.Api.dll seed seeds/` and `admin ensure-moderator` for site demo
#      (the same token every run, even after the database was reset);
#   5. starts Comments.Api (:5080), Comments.Reader (:5081) and
#      Comments.Moderation (:5082) with nohup (cwd = the project dir, so
#      wwwroot/ and appsettings*.json are found), logs in .local/logs/<P>.log,
#      pids in .local/pids/<P>.pid, and waits for each GET /health == 200.
#
# Running it twice is safe: servers already running from .local (pid alive)
# are left alone; the three .NET services are always stopped (by their
# recorded pids), rebuilt and restarted, so a second run picks up code changes.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
# shellcheck source=deploy/lib/servers.sh
. "$REPO/deploy/lib/servers.sh"

LOCAL=$REPO/.local
SECRETS=$LOCAL/secrets.env
SERVICES=(Comments.Api:5080 Comments.Moderation:5082 Comments.Reader:5081)
HEALTH_TIMEOUT=${COMMENTS_HEALTH_TIMEOUT:-60}

log() { printf '[up] %s\n' "$*" >&2; }
die() { printf '[up] ERROR: %s\n' "$*" >&2; exit 1; }

print_urls() {
  echo
  echo "API:               http://127.0.0.1:5080"
  echo "Reader:            http://127.0.0.1:5081"
  echo "Moderation health: http://127.0.0.1:5082/health"
  echo "Demo: http://127.0.0.1:5081/demo/article-karabakh"
  echo "Stop with: deploy/down.sh"
}

ensure_secret() {
  mkdir -p "$LOCAL"
  if [[ ! -s $SECRETS ]]; then
    (umask 077; printf 'Comments__AuthorHashKey=%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$SECRETS")
    log "generated Comments__AuthorHashKey in ${SECRETS#"$REPO"/}"
  fi
  # The demo moderator's token, kept here so every run reuses it (only its hash is in the database).
  if ! grep -q '^COMMENTS_DEMO_MODERATOR_TOKEN=' "$SECRETS"; then
    printf 'COMMENTS_DEMO_MODERATOR_TOKEN=cmod_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" >>"$SECRETS"
    log "generated the demo moderator's token in ${SECRETS#"$REPO"/}"
  fi
  chmod 600 "$SECRETS"
  set -a
  # shellcheck disable=SC1090
  . "$SECRETS"
  set +a
  # shellcheck disable=SC2154  # set by the sourced secrets file
  [[ ${#Comments__AuthorHashKey} -ge 32 ]] || die "Comments__AuthorHashKey in $SECRETS is shorter than 32 chars"
}

wait_http_200() {   # URL TIMEOUT_S PIDFILE LOGFILE
  local url=$1 timeout=$2 pidfile=$3 logfile=$4 i code
  for ((i = 0; i < timeout * 2; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)
    [[ $code == 200 ]] && return 0
    if [[ -n $pidfile ]] && ! srv_pid_alive "$pidfile"; then
      log "process of $url exited"; break
    fi
    sleep 0.5
  done
  log "$url did not answer 200 within ${timeout}s (last status: ${code:-none})"
  if [[ -n $logfile && -f $logfile ]]; then
    printf '[up] ---- last 30 lines of %s ----\n' "${logfile#"$REPO"/}" >&2
    tail -n 30 "$logfile" >&2
  fi
  return 1
}

# ------------------------------------------------------------------ Docker mode
docker_ok() { docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }

up_docker() {
  ensure_secret
  export COMMENTS_AUTHOR_HASH_KEY=$Comments__AuthorHashKey COMMENTS_DEMO_MODERATOR_TOKEN
  echo docker >"$LOCAL/mode"
  log "docker compose up -d --build --wait"
  docker compose -f "$REPO/docker-compose.yml" up -d --build --wait --wait-timeout 600
  local s name port
  for s in "${SERVICES[@]}"; do
    name=${s%%:*}; port=${s##*:}
    wait_http_200 "http://127.0.0.1:$port/health" "$HEALTH_TIMEOUT" "" "" \
      || { docker compose -f "$REPO/docker-compose.yml" logs --tail 30 >&2 || true; die "$name is not healthy"; }
  done
  print_urls
  print_moderator "$COMMENTS_DEMO_MODERATOR_TOKEN"
}

print_moderator() {   # TOKEN
  echo "Moderator console: http://127.0.0.1:5080/moderation/?site=demo"
  echo "Moderator token: $1"
}

# ------------------------------------------------------------------ local mode
stop_services() {
  local s name
  mkdir -p "$LOCAL/pids"
  for s in "${SERVICES[@]}"; do
    name=${s%%:*}
    if srv_pid_alive "$LOCAL/pids/$name.pid" dotnet; then
      log "stopping running $name (pid $(head -n1 "$LOCAL/pids/$name.pid"))"
    fi
    srv_stop_pidfile "$LOCAL/pids/$name.pid" 20 dotnet
  done
}

dll_of() { printf '%s\n' "$REPO/services/$1/bin/Release/net10.0/$1.dll"; }

start_service() {   # NAME PORT
  local name=$1 port=$2 dll logf pidf
  dll=$(dll_of "$name"); logf=$LOCAL/logs/$name.log; pidf=$LOCAL/pids/$name.pid
  [[ -f $dll ]] || die "$dll not found after the build"
  if srv_port_open "$port"; then
    die "port 127.0.0.1:$port (for $name) is already in use by a process these scripts did not start; free it first"
  fi
  printf '\n===== %s start %s =====\n' "$name" "$(date -u +%FT%TZ)" >>"$logf"
  (
    cd "$REPO/services/$name"
    Urls=http://127.0.0.1:$port nohup dotnet "$dll" </dev/null >>"$logf" 2>&1 &
    echo $! >"$pidf"
  )
  log "started $name on 127.0.0.1:$port (pid $(head -n1 "$pidf"), log ${logf#"$REPO"/})"
}

up_local() {
  srv_install_missing postgres redis rabbitmq curl
  command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
  local sln=Comments.sln
  if [[ ! -f $sln && -f Comments.slnx ]]; then sln=Comments.slnx; fi
  [[ -f $sln ]] || die "Comments.sln not found in $REPO"

  mkdir -p "$LOCAL/logs" "$LOCAL/pids"
  echo local >"$LOCAL/mode"
  # PostgreSQL runs as user postgres: if it cannot reach .local (e.g. the repo
  # lives under /root), keep the cluster under /var/lib/postgresql and link it.
  if [[ ! -e $LOCAL/pg ]] && ! srv_pg_can_reach "$LOCAL"; then
    local alt
    alt=/var/lib/postgresql/comments-$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)
    mkdir -p "$alt"
    ln -sfn "$alt" "$LOCAL/pg"
    log "user postgres cannot reach $LOCAL; PostgreSQL data lives in $alt (linked as .local/pg)"
  fi

  srv_start_all "$LOCAL" run
  srv_export_env
  ensure_secret
  export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

  stop_services
  log "dotnet build $sln -c Release (log .local/logs/build.log)"
  if ! dotnet build "$sln" -c Release -nologo -v minimal >"$LOCAL/logs/build.log" 2>&1; then
    tail -n 40 "$LOCAL/logs/build.log" >&2
    die "build failed (full log: .local/logs/build.log)"
  fi

  local api_dll
  api_dll=$(dll_of Comments.Api)
  [[ -f $api_dll ]] || die "$api_dll not found after the build"
  log "migrate"
  (cd "$REPO/services/Comments.Api" && dotnet "$api_dll" migrate) >>"$LOCAL/logs/migrate.log" 2>&1 \
    || { tail -n 30 "$LOCAL/logs/migrate.log" >&2; die "migrate failed (log .local/logs/migrate.log)"; }
  local seeds=${COMMENTS_SEEDS_DIR:-$REPO/seeds} moderator_token=""
  if [[ -d $seeds ]]; then
    log "seed ${seeds#"$REPO"/}"
    (cd "$REPO/services/Comments.Api" && dotnet "$api_dll" seed "$seeds") >>"$LOCAL/logs/migrate.log" 2>&1 \
      || { tail -n 30 "$LOCAL/logs/migrate.log" >&2; die "seed failed (log .local/logs/migrate.log)"; }
    # The same demo moderator every run: its token lives in .local/secrets.env, the database keeps only the hash.
    moderator_token=$(cd "$REPO/services/Comments.Api" \
        && COMMENTS_MODERATOR_TOKEN=$COMMENTS_DEMO_MODERATOR_TOKEN \
           dotnet "$api_dll" admin ensure-moderator --site demo --name "Demo moderator" 2>>"$LOCAL/logs/migrate.log" | tail -n 1) \
      || die "making the demo moderator failed (log .local/logs/migrate.log)"
  else
    log "no ${seeds#"$REPO"/} folder; skipping seed"
  fi

  local s
  for s in "${SERVICES[@]}"; do start_service "${s%%:*}" "${s##*:}"; done
  for s in "${SERVICES[@]}"; do
    wait_http_200 "http://127.0.0.1:${s##*:}/health" "$HEALTH_TIMEOUT" \
        "$LOCAL/pids/${s%%:*}.pid" "$LOCAL/logs/${s%%:*}.log" \
      || die "${s%%:*} is not healthy (services left running for inspection; deploy/down.sh stops everything)"
  done
  print_urls
  if [[ -n $moderator_token ]]; then print_moderator "$moderator_token"; fi
}

case ${COMMENTS_MODE:-auto} in
  docker) up_docker ;;
  local)  up_local ;;
  auto)   if docker_ok; then up_docker; else up_local; fi ;;
  *)      die "COMMENTS_MODE must be auto, local or docker" ;;
esac
