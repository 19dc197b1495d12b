#!/usr/bin/env bash
# deploy/down.sh — stop exactly what deploy/up.sh started.
#
# Docker mode (.local/mode = docker): `docker compose down` (volumes kept).
# Local mode: the three .NET services by their pid files in .local/pids/, then
# RabbitMQ, Redis and PostgreSQL by the pids recorded under .local/. Data in
# .local/ (database, Redis AOF, RabbitMQ mnesia, secrets) is kept; delete
# .local/ by hand for a clean slate.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
# shellcheck source=deploy/lib/servers.sh
. "$REPO/deploy/lib/servers.sh"

LOCAL=$REPO/.local
log() { printf '[down] %s\n' "$*" >&2; }

mode=$(cat "$LOCAL/mode" 2>/dev/null || echo local)

if [[ $mode == docker ]]; then
  if docker info >/dev/null 2>&1; then
    docker compose -f "$REPO/docker-compose.yml" down
  else
    log "up.sh ran in Docker mode but Docker does not answer; nothing stopped"
  fi
fi

# Local mode (also run after Docker mode: harmless when nothing is recorded).
if [[ -d $LOCAL/pids ]]; then
  for f in "$LOCAL"/pids/*.pid; do
    [[ -e $f ]] || continue
    if srv_pid_alive "$f" dotnet; then
      log "stopping $(basename "$f" .pid) (pid $(head -n1 "$f"))"
    fi
    srv_stop_pidfile "$f" 20 dotnet
  done
fi
if [[ -d $LOCAL ]]; then
  srv_stop_all "$LOCAL"
fi
log "stopped"
