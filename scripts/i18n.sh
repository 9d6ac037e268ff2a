#!/usr/bin/env bash
# Maintain the Babel catalogues in marketplace/translations/.
#
#   scripts/i18n.sh update    extract strings into messages.pot, then merge them into the
#                             zh_Hans_CN and en catalogues (existing translations are kept;
#                             reworded strings come back marked "#, fuzzy" for review)
#   scripts/i18n.sh compile   compile the .po files to .mo (the .mo files are not committed)
#   scripts/i18n.sh check     fail if a Simplified Chinese entry is untranslated or still fuzzy
#
# Set PYBABEL to use another pybabel than the project virtualenv's.
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
TRANSLATIONS=marketplace/translations
POT="$TRANSLATIONS/messages.pot"
# Babel parses "zh_CN" (our locale setting) as zh_Hans_CN and looks for that folder
# name only, so the Simplified Chinese catalogue lives there.
LOCALES=(zh_Hans_CN en)

extract() {
    # _l is our alias for lazy_gettext; _, gettext, ngettext, pgettext and npgettext (in
    # Python and in templates) are Babel defaults; lazy_pgettext carries a context (1c) like
    # pgettext: one English word with two meanings gets two Chinese translations.
    # File-only locations keep diffs small when code moves.
    "$PYBABEL" extract -F babel.cfg \
        -k _l -k lazy_gettext -k _nl:1,2 -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
        -c Translators: --add-location=file --sort-by-file \
        --ignore-dirs='.* ._ __pycache__ instance' \
        --project=Nuanxin --copyright-holder="Nuanxin developers" \
        -o "$POT" .
}

update() {
    extract
    for locale in "${LOCALES[@]}"; do
        if [[ -f "$TRANSLATIONS/$locale/LC_MESSAGES/messages.po" ]]; then
            "$PYBABEL" update -i "$POT" -d "$TRANSLATIONS" -l "$locale" \
                --previous --ignore-pot-creation-date
        else
            "$PYBABEL" init -i "$POT" -d "$TRANSLATIONS" -l "$locale"
        fi
    done
    echo "Now translate new and '#, fuzzy' entries in $TRANSLATIONS/zh_Hans_CN/LC_MESSAGES/messages.po"
    echo "(remove the fuzzy flag once checked), then run: scripts/i18n.sh check"
}

compile_catalogues() {
    "$PYBABEL" compile -d "$TRANSLATIONS" --statistics
}

check() {
    # The en catalogue stays empty on purpose: English msgids are the English text.
    local py="${PYTHON:-.venv/bin/python}"
    "$py" - "$TRANSLATIONS/zh_Hans_CN/LC_MESSAGES/messages.po" <<'PY'
import sys

from babel.messages.pofile import read_po

path = sys.argv[1]
with open(path, "rb") as handle:
    catalog = read_po(handle)
problems = []
for message in catalog:
    if not message.id:
        continue
    label = message.id if isinstance(message.id, str) else message.id[0]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings):
        problems.append(f"untranslated: {label!r}")
    elif message.fuzzy:
        problems.append(f"fuzzy: {label!r}")
for problem in problems:
    print(problem)
print(f"{path}: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
PY
}

case "${1:-}" in
    update) update ;;
    compile) compile_catalogues ;;
    check) check ;;
    *)
        echo "usage: $0 {update|compile|check}" >&2
        exit 2
        ;;
esac
