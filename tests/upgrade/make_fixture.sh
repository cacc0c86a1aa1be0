#!/usr/bin/env bash
# Rebuild tests/upgrade/fixture-cc9dd8f.tar.gz: a SQLite database made by the first release that
# issued certificates (commit cc9dd8f, 23 November 2026, schema at migration f28518b1774a), with
# people, a passed quiz, a signed pact and its certificate, plus the stored PDFs and the signing key.
# The app's own old code makes it (its own test factories and services), in a throwaway worktree.
#   bash tests/upgrade/make_fixture.sh        (from the repository root, with make install done)
set -euo pipefail
root=$(git rev-parse --show-toplevel)
old=$(mktemp -d)/old
out="$root/tests/upgrade/fixture-cc9dd8f.tar.gz"
git -C "$root" worktree add --detach -q "$old" cc9dd8f
trap 'git -C "$root" worktree remove --force "$old"' EXIT
cp "$root/tests/upgrade/old_release_data.py" "$old/tests/test_zz_upgrade_fixture.py"
export UPGRADE_FIXTURE_OUT="$old/fixture"
(cd "$old" && env -u TEST_DATABASE_URL "$root/.venv/bin/pytest" -q -p no:cacheprovider tests/test_zz_upgrade_fixture.py)
tar -C "$old/fixture" -czf "$out" .
echo "wrote $out"
