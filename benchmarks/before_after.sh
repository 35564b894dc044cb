#!/usr/bin/env bash
# Times the paper preset three ways, back to back on this machine, each in
# its own process (so each peak RSS is its own): bench.py at an earlier
# commit ("before"), bench.py here ("after"), and the PyTorch reference.
#
#   benchmarks/before_after.sh BEFORE_COMMIT [TORCH_PYTHON] [STEPS]
#
# BEFORE_COMMIT is checked out into a temporary git worktree; TORCH_PYTHON is
# a Python with torch installed (default /tmp/torchvenv/bin/python, see
# benchmarks/torch_reference.py; skipped if missing). Prints one JSON object
# per run, labelled. Run it from an activated venv of this project.
set -euo pipefail
before=${1:?usage: benchmarks/before_after.sh BEFORE_COMMIT [TORCH_PYTHON] [STEPS]}
torch_python=${2:-/tmp/torchvenv/bin/python}
steps=${3:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
tree=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git -C "$root" worktree add --detach --force "$tree" "$before" >/dev/null

run() {  # label, directory, command...
    local label=$1 dir=$2
    shift 2
    (cd "$dir" && PYTHONPATH="$dir" "$@") | while read -r line; do
        echo "{\"run\": \"$label\", ${line#\{}"
    done
}

run "before $before" "$tree" python bench.py --preset paper --steps "$steps" --json
run "after $(git -C "$root" rev-parse --short HEAD)" "$root" python bench.py --preset paper --steps "$steps" --json
if [ -x "$torch_python" ]; then
    run pytorch "$root" "$torch_python" benchmarks/torch_reference.py --steps "$steps" --json
else
    echo "no PyTorch at $torch_python: skipped the reference" >&2
fi
