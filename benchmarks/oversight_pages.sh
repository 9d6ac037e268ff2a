#!/usr/bin/env bash
# Load test of the oversight pages at scale (issue 7): the province balance page, a county
# balance page, the audit search with a filter and the public transparency page, under gunicorn
# on 127.0.0.1, cold and warm.
#
#   DATABASE_URL=... benchmarks/oversight_pages.sh
#
# The database must hold the demo accounts, the scale data and a year of activity
# (flask seed-demo, flask generate-scale --households N, flask generate-activity, which ends
# with a balance refresh; flask db upgrade heads first).
#
# Cold and warm: balance pages read the summary rows through a per-process cache keyed by the
# summary's generation and the page's region and period (marketplace/balance/queries.py).
# - cold: COLD distinct URLs of the page (other counties for the county page, other month
#   ranges for the province and transparency pages, other actions for the audit search), each
#   requested once by curl, one after the other, on a freshly started server: every request
#   misses the cache (the database's own buffers may be warm). The page's warm URL is requested
#   WORKERS x 2 times first, so code and templates are loaded. Prints p50 and max of the
#   whole-request times.
# - warm: one URL, requested WORKERS x 2 times first, then wrk for DURATION: every request hits.
#
# Settings (environment): CONNECTIONS (16), DURATION (20s), THREADS (wrk threads, 2), WORKERS
# (gunicorn processes, 2), OFFICER (oversight_hn: the province officer), PROVINCE (430000),
# COUNTY (433123, 凤凰县), YEAR (this year), AUDIT_ACTION (need.fulfil), COLD (12),
# PAGES ("province county audit transparency"), MODES ("cold warm").
# Prints one RESULT line per warm URL (requests/s, p50/p90/p95/p99) and one COLD line per cold
# set; stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the database to measure}"
export DATABASE_URL NUANXIN_ENV="${NUANXIN_ENV:-development}"
CONNECTIONS="${CONNECTIONS:-16}" DURATION="${DURATION:-20s}" THREADS="${THREADS:-2}"
WORKERS="${WORKERS:-2}" OFFICER="${OFFICER:-oversight_hn}" PROVINCE="${PROVINCE:-430000}"
COUNTY="${COUNTY:-433123}" YEAR="${YEAR:-$(date -u +%Y)}" AUDIT_ACTION="${AUDIT_ACTION:-need.fulfil}"
COLD="${COLD:-12}" PAGES="${PAGES:-province county audit transparency}"
MODES="${MODES:-cold warm}"
PY=.venv/bin/python
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d /tmp/oversight_pages.XXXXXX)"
GUNICORN=""

start_server() {
    .venv/bin/gunicorn --bind "127.0.0.1:$PORT" --workers "$WORKERS" --log-level warning \
        app:app >>"$WORK/gunicorn.log" 2>&1 &
    GUNICORN=$!
    for _ in $(seq 100); do curl -fs -o /dev/null "$BASE/login" && return; sleep 0.3; done
    echo "the server did not start" >&2; cat "$WORK/gunicorn.log" >&2; exit 1
}
stop_server() {
    [ -n "$GUNICORN" ] || return 0
    kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true; GUNICORN=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

# Sign in like a browser: CSRF token from the form, then the session cookie. Sessions are
# signed cookies, so the cookie stays valid across server restarts.
sign_in() {
    local jar="$WORK/cookies" token
    token="$(curl -fs -c "$jar" -b "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token"[^>]*value="\([^"]*\)".*/\1/p' | head -1)"
    curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
        --data-urlencode "username=$OFFICER" \
        --data-urlencode "password=${PASSWORD:-Nuanxin2026demo}" "$BASE/login"
    COOKIE="$(awk '$6 == "session" {print "session=" $7}' "$jar")"
    [ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }
}

# The paths of each page: the warm one first, then COLD other ones (one per line).
paths() {  # page
    $PY - "$1" "$COLD" "$PROVINCE" "$COUNTY" "$YEAR" "$AUDIT_ACTION" <<'PYEOF'
import sys
page, cold, province, county, year, action = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
months = [(1, m) for m in range(12, 0, -1)] + [(m, 12) for m in range(2, 13)]
def period(f, t):
    return f"year={year}&from={f}&to={t}"
if page == "county":
    from sqlalchemy import select
    from app import app
    from marketplace.regions.models import Region, RegionLevel
    with app.app_context():
        from marketplace.extensions import db
        codes = [c for c in db.session.scalars(select(Region.code).where(
            Region.level == RegionLevel.county).order_by(Region.code)) if c != county]
    step = max(1, len(codes) // max(1, cold))
    paths = [f"/oversight/balance/{c}?{period(1, 12)}" for c in [county, *codes[::step]]]
elif page == "province":
    paths = [f"/oversight/balance/{province}?{period(f, t)}" for f, t in months]
elif page == "transparency":
    paths = [f"/transparency?{period(f, t)}" for f, t in months]
elif page == "audit":
    actions = [action, "need.publish", "need.approve", "allocation.accept", "allocation.pledge",
               "delivery.record", "delivery.confirm", "payment.record", "feedback.record",
               "offer.create", "need.close", "allocation.decline", "allocation.expire",
               "need.submit", "need.review", "contract.create"]
    paths = [f"/audit?action={a}&date_from={year}-01-01" for a in actions]
else:
    sys.exit(f"unknown page {page}")
print("\n".join(paths[:cold + 1]))
PYEOF
}

fetch() {  # url cookie-or-empty -> prints "code seconds bytes"
    local header=()
    [ -n "$2" ] && header=(-H "Cookie: $2")
    curl -s -o "$WORK/page.html" -w '%{http_code} %{time_total} %{size_download}\n' \
        "${header[@]}" "$1"
}

cold() {  # name cookie primer paths...
    local name="$1" cookie="$2" primer="$3"; shift 3
    stop_server; start_server
    local times=() out
    # The primer (another URL of the same page) loads the code and compiles the templates in
    # every worker, so the cold figures are the cache misses, not a worker's first request.
    for _ in $(seq $((WORKERS * 2))); do fetch "$BASE$primer" "$cookie" >/dev/null; done
    for path in "$@"; do
        out="$(fetch "$BASE$path" "$cookie")"
        [ "${out%% *}" = 200 ] || { echo "$name: $path answered ${out%% *}" >&2; exit 1; }
        times+=("$(echo "$out" | cut -d' ' -f2)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" -v n="$#" '
        {t[NR] = $1 * 1000} END {printf "COLD %s: %d distinct URLs, first request each: p50=%.1fms max=%.1fms\n", name, n, t[int((NR + 1) / 2)], t[NR]}'
}

warm() {  # name cookie path
    local name="$1" cookie="$2" url="$BASE$3" header=() out
    [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
    for _ in $(seq $((WORKERS * 2))); do
        out="$(fetch "$url" "$cookie")"
        [ "${out%% *}" = 200 ] || { echo "$name: $url answered ${out%% *}" >&2; exit 1; }
    done
    echo "== $name (warm): $url ($(echo "$out" | cut -d' ' -f3) bytes)"
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

summary() { $PY - <<'PYEOF'
from sqlalchemy import func, select, text
from app import app
from marketplace.extensions import db
with app.app_context():
    counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in (
        "households", "needs", "need_lines", "offers", "allocations", "deliveries",
        "audit_events")}
    state = db.session.execute(text("SELECT generation, refreshed_at, seconds "
                                    "FROM balance_state")).first()
    print("rows:", ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print("balance summary:", f"generation {state[0]}, refreshed {state[1]}, {state[2]} s"
          if state else "none (run flask balance refresh)")
PYEOF
}

speed
summary
echo "database: ${DATABASE_URL%%://*}  gunicorn: $WORKERS sync workers  wrk: -t$THREADS -c$CONNECTIONS -d$DURATION"
start_server
sign_in
for page in $PAGES; do
    mapfile -t list < <(paths "$page")
    cookie="$COOKIE"
    [ "$page" = transparency ] && cookie=""
    for mode in $MODES; do
        case "$mode" in
            cold) cold "$page" "$cookie" "${list[0]}" "${list[@]:1}" ;;
            warm) warm "$page" "$cookie" "${list[0]}" ;;
            *) echo "unknown mode $mode" >&2; exit 2 ;;
        esac
    done
done
speed
