#!/usr/bin/env bash
# deploy/bench.sh — the performance figures: a Release build of the three services against real PostgreSQL,
# RabbitMQ and Redis on this machine, driven by tests/Comments.Benchmarks, which prints a table and writes it to
# tests/Comments.Benchmarks/results/latest.md.
#
#   deploy/bench.sh                       full run (about 5 minutes)
#   deploy/bench.sh --read-seconds 3 --live-seconds 5 --ingest-seconds 5 --ingest-rates 250,500   a quick look
#
# Servers are throw-away (own ports, fsync off like the tests); the services run as separate processes on
# 127.0.0.1:5180 (Api), 5181 (Reader), 5182 (worker) so their peak RSS can be read. Everything is stopped at the end.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
# shellcheck source=deploy/lib/servers.sh
. "$REPO/deploy/lib/servers.sh"

log() { printf '[bench] %s\n' "$*" >&2; }

export COMMENTS_TEST_PG_PORT=27432 COMMENTS_TEST_REDIS_PORT=27379 COMMENTS_TEST_RABBIT_PORT=27682 \
  COMMENTS_TEST_RABBIT_DIST_PORT=27683 COMMENTS_TEST_RABBIT_NODE=comments-bench@localhost
WORK=$(mktemp -d /tmp/comments-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  srv_stop_all "$WORK" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

srv_start_all "$WORK" test
srv_export_env
export Comments__AuthorHashKey
Comments__AuthorHashKey=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_NOLOGO=1
export Widget__ApiBaseUrl=http://127.0.0.1:5180
export Logging__LogLevel__Default=Warning

log "dotnet build -c Release"
dotnet build Comments.sln -c Release -nologo -v quiet >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; exit 1; }
dotnet "services/Comments.Api/bin/Release/net10.0/Comments.Api.dll" migrate >&2

start() {   # NAME PORT
  # exec: the recorded pid is the service process itself, whose peak RSS the benchmark reads.
  (cd "services/$1" && Urls=http://127.0.0.1:$2 exec dotnet "bin/Release/net10.0/$1.dll" >"$WORK/$1.log" 2>&1) &
  PIDS+=("$!")
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$2/health" 2>/dev/null && return 0
    sleep 0.5
  done
  tail -n 30 "$WORK/$1.log" >&2
  log "$1 did not become healthy"; return 1
}
start Comments.Api 5180
start Comments.Reader 5181
start Comments.Moderation 5182

log "running the benchmark"
dotnet "tests/Comments.Benchmarks/bin/Release/net10.0/Comments.Benchmarks.dll" \
  --api http://127.0.0.1:5180 --reader http://127.0.0.1:5181 \
  --postgres "$ConnectionStrings__postgres" --redis "$ConnectionStrings__redis" \
  --pids "Comments.Api=${PIDS[0]},Comments.Reader=${PIDS[1]},Comments.Moderation=${PIDS[2]}" \
  --server-pids "PostgreSQL=$(<"$WORK/pg/postgres.pid"),RabbitMQ=$(<"$WORK/rabbitmq/rabbitmq.pid"),Redis=$(<"$WORK/redis/redis.pid")" \
  --results "$REPO/tests/Comments.Benchmarks/results" "$@"
