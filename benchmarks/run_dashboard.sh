#!/usr/bin/env bash
# The web pages during a matching run (issue 6): gunicorn (2 sync workers, as in the README)
# and a job worker (`flask worker --nice 10`, as `flask serve` starts it) on one machine; an
# oversight officer starts a run from the form; wrk loads the officer's dashboard for
# DURATION while the worker builds and solves; the run's page says when each stage ended.
# With APPROVE=1 the officer then approves the whole run and wrk loads the dashboard again
# while the worker commits it.
#
#   DATABASE_URL=... benchmarks/run_dashboard.sh
#
# The database needs the demo accounts, generated households (flask generate-scale) and open
# offers (python -m benchmarks.site_run adds 5,000 once). Settings (environment): REGION
# (430000), OFFICER (oversight_hn), TIME_LIMIT (60), CONNECTIONS (16), DURATION (30s),
# APPROVE (0). Prints RESULT lines (wrk) and the run's JSON progress at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the database to measure}"
export DATABASE_URL NUANXIN_ENV="${NUANXIN_ENV:-development}"
REGION="${REGION:-430000}" OFFICER="${OFFICER:-oversight_hn}" TIME_LIMIT="${TIME_LIMIT:-60}"
CONNECTIONS="${CONNECTIONS:-16}" DURATION="${DURATION:-30s}" APPROVE="${APPROVE:-0}"
PY=.venv/bin/python
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d /tmp/run_dashboard.XXXXXX)"
export NUANXIN_QUEUE_URL="${NUANXIN_QUEUE_URL:-sqlite:///$WORK/jobs.db}"

.venv/bin/gunicorn --bind "127.0.0.1:$PORT" --workers 2 --log-level warning app:app \
    >"$WORK/gunicorn.log" 2>&1 &
GUNICORN=$!
.venv/bin/flask --app app worker --nice 10 >"$WORK/worker.log" 2>&1 &
WORKER=$!
cleanup() { kill "$GUNICORN" "$WORKER" 2>/dev/null || true; wait 2>/dev/null || true
            [ -n "${KEEP_LOGS:-}" ] && echo "logs: $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "$BASE/login" && break; sleep 0.3; done

JAR="$WORK/cookies"
token() { curl -fs -c "$JAR" -b "$JAR" "$BASE$1" | sed -n 's/.*name="csrf_token"[^>]*value="\([^"]*\)".*/\1/p' | head -1; }
curl -fs -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf_token=$(token /login)" \
    --data-urlencode "username=$OFFICER" --data-urlencode "password=${PASSWORD:-Nuanxin2026demo}" \
    "$BASE/login"
COOKIE="$(awk '$6 == "session" {print "session=" $7}' "$JAR")"
[ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }

progress() { curl -fs -b "$JAR" "$BASE/runs/$RUN/progress.json"; }
field() { $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
wait_for() {  # status...: poll until the run's status is one of them
    while :; do
        local s; s="$(progress | field status)"
        for want in "$@"; do [ "$s" = "$want" ] && return 0; done
        [ "$s" = failed ] && { progress; echo >&2; echo "the run failed" >&2; exit 1; }
        sleep 0.5
    done
}
load() {  # name: wrk on the dashboard for DURATION
    echo "== $1: $BASE/dashboard, wrk -t2 -c$CONNECTIONS -d$DURATION"
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -H "Cookie: $COOKIE" \
        -s benchmarks/web_pages.lua "$BASE/dashboard" | grep -E "RESULT|Non-2xx|Socket errors"
    echo "   run after the load: $(progress | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["stage"], str(d["progress"]) + "%", d["elapsed"], "s")')"
}

START=$(date +%s.%N)
LOCATION="$(curl -fs -o /dev/null -w '%{redirect_url}' -b "$JAR" -c "$JAR" \
    --data-urlencode "csrf_token=$(token /runs/new)" --data-urlencode "region_code=$REGION" \
    --data-urlencode "coverage_slack=0.01" --data-urlencode "balance=y" \
    --data-urlencode "time_limit_s=$TIME_LIMIT" "$BASE/runs/new")"
RUN="${LOCATION##*/}"
[[ "$RUN" =~ ^[0-9]+$ ]] || { echo "the run did not start: $LOCATION" >&2; exit 1; }
echo "run $RUN over $REGION started"
wait_for running
load "dashboard while the run builds and solves"
wait_for done
echo "run $RUN done after $(echo "$(date +%s.%N) - $START" | bc) s (wall clock, from the form)"
$PY - "$RUN" <<'PYEOF'
import json, sys
from app import app
from marketplace.extensions import db
from marketplace.runs.models import MatchingRun
with app.app_context():
    s = db.session.get(MatchingRun, int(sys.argv[1])).summary
    print(json.dumps({k: s.get(k) for k in ("lines", "offers", "edges", "assignments", "timings")}))
PYEOF
if [ "$APPROVE" = 1 ]; then
    START=$(date +%s.%N)
    curl -fs -o /dev/null -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$(token /runs/$RUN)" \
        --data-urlencode "scope=all" "$BASE/runs/$RUN/commit"
    wait_for committing committed
    load "dashboard while the worker commits the approval"
    wait_for committed
    echo "approval of run $RUN committed after $(echo "$(date +%s.%N) - $START" | bc) s (wall clock)"
fi
