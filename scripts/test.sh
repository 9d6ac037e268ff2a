#!/usr/bin/env bash
# The project's test command: `bash scripts/test.sh [pytest args...]`.
#
# Creates .venv if missing, installs the project with its dev extras, compiles the
# translations, then runs pytest over tests/ (or over the arguments given) and exits with
# pytest's status. Exit 5 ("no tests collected") counts as a failure.
#
# Browser tests (tests/e2e, marker e2e) need /usr/bin/chromium and a CJK font. As root the
# script installs both with apt-get when missing; otherwise those tests skip with a reason.
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ ! -x .venv/bin/python ]]; then
    echo "== creating .venv"
    python3 -m venv .venv
fi

echo "== installing nuanxin[dev] into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'

echo "== compiling translations"
.venv/bin/pybabel compile -d marketplace/translations

CJK_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [[ ! -x /usr/bin/chromium || ! -f "$CJK_FONT" ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "== installing chromium and a CJK font for the browser tests"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
    else
        # Without chromium the e2e tests skip; without the font they run, but Chinese text
        # in their screenshots shows as empty boxes.
        echo "== not root: cannot install chromium fonts-wqy-microhei" \
             "(no /usr/bin/chromium: browser tests skip; no CJK font: screenshots show boxes)" >&2
    fi
fi

echo "== pytest"
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [[ $status == 5 ]]; then
    echo "pytest collected no tests: treating as failure" >&2
    exit 1
fi
exit "$status"
