#!/usr/bin/env bash
# Load test of two pages at scale: the public need board (filtered, deep page) and a household
# page of the signed-in caseworker's county, under gunicorn on 127.0.0.1, with wrk.
#
#   DATABASE_URL=... benchmarks/web_pages.sh
#
# The database must hold the demo accounts and the scale data (flask seed-demo, then
# flask generate-scale --households N, flask db upgrade). Settings (environment): CONNECTIONS
# (16), DURATION (20s), THREADS (wrk threads, 2), WORKERS (gunicorn processes, 2), WORKER_CLASS
# (sync, gunicorn's default, as in the README), GTHREADS (threads per worker with
# WORKER_CLASS=gthread, 1), GUNICORN_ARGS (e.g. --keep-alive=0),
# COUNTY (433123, 凤凰县), CASEWORKER (caseworker_fenghuang), KIND (funds), PAGE (3),
# PAGES (which runs: "county province household", and "dashboard": the signed-in user's
# dashboard; CASEWORKER may name any demo account, e.g. oversight_hn).
# Prints one RESULT line per URL (requests/s, p50/p90/p95/p99) and stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the database to measure}"
export DATABASE_URL NUANXIN_ENV="${NUANXIN_ENV:-development}"
CONNECTIONS="${CONNECTIONS:-16}" DURATION="${DURATION:-20s}" THREADS="${THREADS:-2}"
WORKERS="${WORKERS:-2}" GTHREADS="${GTHREADS:-1}" WORKER_CLASS="${WORKER_CLASS:-sync}" COUNTY="${COUNTY:-433123}"
CASEWORKER="${CASEWORKER:-caseworker_fenghuang}" KIND="${KIND:-funds}" PAGE="${PAGE:-3}"
PAGES="${PAGES:-county province household}"
PY=.venv/bin/python
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d /tmp/web_pages.XXXXXX)"

.venv/bin/gunicorn --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads "$GTHREADS" \
    --worker-class "$WORKER_CLASS" ${GUNICORN_ARGS:-} --log-level warning app:app \
    >"$WORK/gunicorn.log" 2>&1 &
GUNICORN=$!
cleanup() { kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true
            rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "$BASE/board" && break; sleep 0.3; done

# Sign in like a browser: CSRF token from the form, then the session cookie.
JAR="$WORK/cookies"
TOKEN="$(curl -fs -c "$JAR" -b "$JAR" "$BASE/login" | sed -n 's/.*name="csrf_token"[^>]*value="\([^"]*\)".*/\1/p' | head -1)"
curl -fs -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf_token=$TOKEN" \
    --data-urlencode "username=$CASEWORKER" --data-urlencode "password=${PASSWORD:-Nuanxin2026demo}" \
    "$BASE/login"
COOKIE="$(awk '$6 == "session" {print "session=" $7}' "$JAR")"
[ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }

# A generated household of the caseworker's county, half-way through its ids.
HOUSEHOLD="$($PY - "$COUNTY" <<'PYEOF'
import sys
from sqlalchemy import func, select
from app import app
from marketplace.extensions import db
from marketplace.households.models import Household
with app.app_context():
    ids = select(Household.id).where(Household.county_code == sys.argv[1])
    n = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    print(db.session.scalar(ids.order_by(Household.id).offset(n // 2).limit(1)))
PYEOF
)"

run() {  # name url [cookie]
    local name="$1" url="$2" header=()
    [ -n "${3:-}" ] && header=(-H "Cookie: $3")
    local code
    code="$(curl -s -o "$WORK/page.html" -w '%{http_code}' "${header[@]}" "$url")"
    [ "$code" = 200 ] || { echo "$name: $url answered $code" >&2; exit 1; }
    echo "== $name: $url ($(wc -c <"$WORK/page.html") bytes)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency "${header[@]}" \
        -s benchmarks/web_pages.lua "$url" | grep -E "RESULT|Non-2xx|Socket errors"
}

# This machine's speed drifts (a shared host): the same fixed loop, timed before and after.
speed() { $PY -c 'import time
def f():
    t = time.process_time(); s = 0
    for i in range(3_000_000): s += i * i
    return time.process_time() - t
print(f"machine speed: fixed 3M-step Python loop {min(f() for _ in range(3)) * 1000:.0f} ms (CPU)")'; }
speed
echo "database: ${DATABASE_URL%%://*}  gunicorn: $WORKERS $WORKER_CLASS workers x $GTHREADS threads  wrk: -t$THREADS -c$CONNECTIONS -d$DURATION"
for page in $PAGES; do
    case "$page" in
        county) run "board, county + kind filter, page $PAGE" \
                    "$BASE/board?region=$COUNTY&kind=$KIND&page=$PAGE" ;;
        province) run "board, province-wide kind filter, page $PAGE" \
                      "$BASE/board?kind=$KIND&page=$PAGE" ;;
        household) run "household page ($CASEWORKER)" "$BASE/households/$HOUSEHOLD" "$COOKIE" ;;
        dashboard) run "dashboard ($CASEWORKER)" "$BASE/dashboard" "$COOKIE" ;;
        *) echo "unknown page $page" >&2; exit 2 ;;
    esac
done
speed
