#!/usr/bin/env bash
# deploy/test.sh — run the whole test suite against throw-away servers.
#
#   deploy/test.sh [extra dotnet test args...]     e.g. deploy/test.sh --filter Category=Api
#
# 1. Starts PostgreSQL 15 (127.0.0.1:25432, fsync off), Redis 7 (26379, no
#    persistence) and RabbitMQ (25682, dist port 25683, node
#    comments-test@localhost) in a temp dir under ${TMPDIR:-/tmp}, installing
#    the Debian packages first if they are missing. These ports differ from
#    deploy/up.sh's, so both can run at once. Only if the packages cannot be
#    installed and `docker info` answers, the same ports are served by
#    throw-away containers instead.
# 2. Exports ConnectionStrings__{postgres,rabbitmq,redis} and a random
#    Comments__AuthorHashKey, then runs
#       dotnet test Comments.sln -c Release --logger trx --results-directory TestResults/deploy-test "$@"
# 3. Stops the servers it started (also on Ctrl-C / errors), sums the
#    <Counters> of every .trx file and prints one closing line:
#       N passed, N failed[, N skipped]
#    Exit status is non-zero when dotnet test failed, a test failed, or no
#    test was executed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
# shellcheck source=deploy/lib/servers.sh
. "$REPO/deploy/lib/servers.sh"

log() { printf '[test] %s\n' "$*" >&2; }

RESULTS=${COMMENTS_TEST_RESULTS:-$REPO/TestResults/deploy-test}
WORK=""
DOCKER_NAMES=()
CLEANED=0

cleanup() {
  [[ $CLEANED == 1 ]] && return 0
  CLEANED=1
  if [[ ${#DOCKER_NAMES[@]} -gt 0 ]]; then
    log "removing test containers ${DOCKER_NAMES[*]}"
    docker rm -f "${DOCKER_NAMES[@]}" >/dev/null 2>&1 || true
  fi
  if [[ -n $WORK && -d $WORK ]]; then
    srv_stop_all "$WORK" || true
    if [[ ${COMMENTS_TEST_KEEP:-0} == 1 ]]; then log "kept server dir $WORK"; else rm -rf "$WORK"; fi
  fi
}
DOTNET_PID=""
# Pids of all descendants of $1 (children first found via ps --ppid).
# shellcheck disable=SC2317
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$c"; descendants "$c"
  done
}
# shellcheck disable=SC2317  # invoked by trap
on_signal() {
  log "interrupted; stopping"
  if [[ -n $DOTNET_PID ]] && kill -0 "$DOTNET_PID" 2>/dev/null; then
    # dotnet test and its own children (vstest.console, testhost): ours by descent.
    local tree p
    tree=$(descendants "$DOTNET_PID")
    # shellcheck disable=SC2086
    kill -TERM "$DOTNET_PID" $tree 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$DOTNET_PID" 2>/dev/null || break; sleep 0.2; done
    for p in "$DOTNET_PID" $tree; do kill -KILL "$p" 2>/dev/null || true; done
  fi
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# ---------------------------------------------------------------- summary of TRX files
# Prints "P F S E T" = passed, failed (failed+error+timeout+aborted),
# skipped (notExecuted, or total - executed), executed, total — summed over all .trx under $1.
trx_counts() {
  local dir=$1 f
  {
    while IFS= read -r -d '' f; do
      # Join lines so an attribute list split over lines still matches.
      tr '\r\n' '  ' <"$f" | grep -o '<Counters [^>]*>' || true
      echo
    done < <(find "$dir" -name '*.trx' -type f -print0 2>/dev/null)
  } | awk '
    function attr(line, key,   m) {
      if (match(line, " " key "=\"[0-9]+\"")) {
        m = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); return m + 0
      }
      return 0
    }
    /<Counters / {
      passed  += attr($0, "passed")
      failed  += attr($0, "failed") + attr($0, "error") + attr($0, "timeout") + attr($0, "aborted")
      # VSTest leaves notExecuted at 0 for skipped tests: they show as total - executed.
      t = attr($0, "total"); e = attr($0, "executed"); n = attr($0, "notExecuted")
      skipped += (t - e > n) ? t - e : n
      exec    += e
      total   += t
    }
    END { printf "%d %d %d %d %d\n", passed, failed, skipped, exec, total }'
}

if [[ ${1:-} == --summarize-only ]]; then   # deploy/test.sh --summarize-only DIR (debug aid)
  read -r p f s _ _ < <(trx_counts "$2")
  line="$p passed, $f failed"; [[ $s -gt 0 ]] && line+=", $s skipped"
  echo "$line"; exit 0
fi

# ---------------------------------------------------------------- servers
docker_servers() {
  local tag=$$ pg redis rabbit i
  pg=comments-test-pg-$tag; redis=comments-test-redis-$tag; rabbit=comments-test-rabbitmq-$tag
  DOCKER_NAMES=("$pg" "$redis" "$rabbit")
  log "starting throw-away containers (Docker)"
  docker run -d --rm --name "$pg" -p "127.0.0.1:$SRV_PG_PORT:5432" \
    -e POSTGRES_USER=comments -e POSTGRES_PASSWORD=comments -e POSTGRES_DB=comments \
    postgres:15 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 >/dev/null
  docker run -d --rm --name "$redis" -p "127.0.0.1:$SRV_REDIS_PORT:6379" \
    redis:7 redis-server --save '' --appendonly no >/dev/null
  docker run -d --rm --name "$rabbit" -p "127.0.0.1:$SRV_RABBIT_PORT:5672" rabbitmq:3.13 >/dev/null
  for ((i = 0; i < 120; i++)); do
    if docker exec "$pg" pg_isready -q -h 127.0.0.1 -U comments -d comments >/dev/null 2>&1 \
      && docker exec "$redis" redis-cli ping >/dev/null 2>&1 \
      && docker exec "$rabbit" rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  log "containers did not become ready within 120 s"; return 1
}

srv_profile test
command -v dotnet >/dev/null 2>&1 || { log "dotnet (the .NET 10 SDK) is not on PATH"; exit 1; }
SLN=Comments.sln
if [[ ! -f $SLN && -f Comments.slnx ]]; then SLN=Comments.slnx; fi
[[ -f $SLN ]] || { log "Comments.sln not found in $REPO"; exit 1; }

# Debian's Chromium runs the widget and console browser tests; Playwright never downloads a browser.
srv_install_missing chromium || { log "the browser tests need Debian's chromium (apt-get install -y chromium)"; exit 1; }

if srv_install_missing postgres redis rabbitmq; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/comments-test.XXXXXX")
  chmod 755 "$WORK"
  if ! srv_pg_can_reach "$WORK"; then   # e.g. TMPDIR under /root: postgres cannot traverse it
    rm -rf "$WORK"; WORK=$(mktemp -d /tmp/comments-test.XXXXXX); chmod 755 "$WORK"
  fi
  srv_start_all "$WORK" test
elif docker info >/dev/null 2>&1; then
  docker_servers
else
  log "cannot install the servers with apt-get and Docker is not available"; exit 1
fi

srv_export_env
if [[ -z ${Comments__AuthorHashKey:-} ]]; then
  Comments__AuthorHashKey=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
fi
export Comments__AuthorHashKey

# ---------------------------------------------------------------- tests
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No MSBuild worker nodes / build server may outlive this script (they could
# hold the output pipe of CI open).
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
if [[ ${CI:-} == true || ${CI:-} == 1 ]]; then export UseSharedCompilation=false; fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
log "dotnet test $SLN -c Release (results in ${RESULTS#"$REPO"/})"
rc=0
# In the background + `wait`, so Ctrl-C / SIGTERM reach our trap at once
# (a foreground dotnet swallows SIGINT and bash would then ignore it).
dotnet test "$SLN" -c Release --logger "trx" --results-directory "$RESULTS" "$@" </dev/null &
DOTNET_PID=$!
wait "$DOTNET_PID" || rc=$?
DOTNET_PID=""

read -r passed failed skipped executed total < <(trx_counts "$RESULTS")
ntrx=$(find "$RESULTS" -name '*.trx' -type f | wc -l)

cleanup   # stop servers now so the closing line below is the last output

status=0
if [[ $rc -ne 0 ]]; then
  log "dotnet test exited with $rc ($ntrx .trx files, $total tests counted)"; status=$rc
fi
if [[ $failed -gt 0 ]]; then status=1; fi
if [[ $executed -eq 0 ]]; then
  log "no test was executed ($ntrx .trx files found)"; status=1
fi

line="$passed passed, $failed failed"
if [[ $skipped -gt 0 ]]; then line+=", $skipped skipped"; fi
echo "$line"
exit "$status"
