#!/bin/sh
# The before/after comparison of the services' entrypoints: the same calls on the base code and on this tree.
#   tests/comparison/run.sh [BASE_COMMIT]   (default ea56ce5, the code before kit.entrypoint)
# The base is checked out once in /tmp/passerelle-comparison-base (a detached worktree); both runs use this
# tree's virtualenv, the base's packages first on PYTHONPATH.
set -e
HERE=$(cd "$(dirname "$0")/../.." && pwd)
BASE_COMMIT=${1:-ea56ce5}
B=/tmp/passerelle-comparison-base
OUT=${TMPDIR:-/tmp}/passerelle-comparison
mkdir -p "$OUT"
[ -d "$B" ] || git -C "$HERE" worktree add --detach "$B" "$BASE_COMMIT"
export PYTHONHASHSEED=0
(cd "$HERE" && .venv/bin/python tests/comparison/entrypoints.py > "$OUT/new.json" 2> "$OUT/new.err")
(cd "$B" && PYTHONPATH=$B:$B/services/beneficiary:$B/services/employer:$B/services/convention:$B/services/matching:$B/services/reporting \
  "$HERE/.venv/bin/python" "$HERE/tests/comparison/entrypoints.py" > "$OUT/old.json" 2> "$OUT/old.err")
python3 "$HERE/tests/comparison/diff.py" "$OUT/old.json" "$OUT/new.json"
