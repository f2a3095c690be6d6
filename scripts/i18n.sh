#!/usr/bin/env bash
# Refresh the translation catalogs after changing interface strings (see README, "Languages"):
#   bash scripts/i18n.sh            extract messages.pot and merge it into every locales/<lang>/.../messages.po
# New or changed strings arrive untranslated (or fuzzy) in each .po; tests/test_i18n.py fails until a translator
# fills them in. The app compiles the catalogs in memory when it starts (no build step).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project az-kz-dashboard --version 2.0 \
    --copyright-holder "the dashboard's authors" --msgid-bugs-address "" -o locales/messages.pot . >/dev/null 2>&1
for po in locales/*/LC_MESSAGES/messages.po; do
    lang="$(basename "$(dirname "$(dirname "$po")")")"
    pybabel update -i locales/messages.pot -d locales -l "$lang" -D messages --no-wrap --ignore-obsolete >/dev/null 2>&1
done
echo "catalogs updated: $(grep -c '^msgid ' locales/messages.pot) messages"
