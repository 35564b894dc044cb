#!/usr/bin/env bash
# GPU smoke test for a machine with one CUDA GPU (the gpu extra installed):
# prints PASS or FAIL for each step, a summary, and exits non-zero if any
# step failed. Meant to take under 10 minutes; not yet run on a GPU.
#
#   bash benchmarks/gpu_smoke.sh            # on GPU $GPU (default 0)
#   bash benchmarks/gpu_smoke.sh --dry-run  # the same steps on the CPU at
#                                           # tiny sizes (CI runs this)
#
# Steps: CUDA starts (and which CuPy / cuDNN / NCCL); the gpu-marked tests;
# 200 iterations of the paper preset on synthetic faces, with the median ms
# per iteration; --resume auto from iteration 100 ending with the same
# parameters as the uninterrupted run; translate.py on the GPU against the
# CPU within 2/255; bench.py --preset paper on the GPU. Everything goes to a
# temporary folder, kept (and named) when a step fails, or set SMOKE_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."

dry_run=0
case "${1:-}" in
    --dry-run) dry_run=1 ;;
    '') ;;
    *) echo "usage: bash benchmarks/gpu_smoke.sh [--dry-run]" >&2; exit 2 ;;
esac
PY=${PYTHON:-python}
if (( dry_run )); then
    gpu=-1 preset=tiny size=32 iterations=20 half=10 log=2 n_train=40
    gpu_tests=(--collect-only)
    bench=(--preset tiny --steps 1)
else
    gpu=${GPU:-0} preset=paper size=128 iterations=200 half=100 log=10
    n_train=400 gpu_tests=(-rs)
    bench=(--preset paper)
fi
work=${SMOKE_DIR:-$(mktemp -d)}
mkdir -p "$work"
failed=()

# step NAME COMMAND...: runs COMMAND with its output in $work/NAME.log,
# shows the last lines, then PASS or FAIL.
step() {
    local name=$1
    shift
    echo "== $name: $*"
    if "$@" >"$work/$name.log" 2>&1; then
        tail -n 3 "$work/$name.log"
        echo "PASS $name"
    else
        tail -n 15 "$work/$name.log"
        echo "FAIL $name (log: $work/$name.log)"
        failed+=("$name")
    fi
}

train_args=(--preset "$preset" --iterations "$iterations" --gpu "$gpu"
            --n-train "$n_train" --n-test 20 --n-samples 2
            --snapshot-interval "$half" --sample-interval "$iterations"
            --log-interval "$log" --eval-interval 0 --seed 1)

step cuda "$PY" -c "
from faceapp import devices
devices.preload_cuda_libraries()
devices.get_device($gpu)
if $gpu >= 0:
    devices.report_gpu($gpu)
"
step gpu-tests "$PY" -m pytest -q -m gpu "${gpu_tests[@]}"
if (( ! dry_run )) && grep -q 'skipped' "$work/gpu-tests.log"; then
    echo "FAIL gpu-tests (some were skipped: is CuPy with CUDA installed?)"
    failed+=(gpu-tests-skipped)
fi

step train "$PY" train.py "${train_args[@]}" --out "$work/full"
step train-speed "$PY" -m benchmarks.smoke_checks median-ms "$work/full/log"

# The uninterrupted run's snapshot at $half, continued to the end.
rm -rf "$work/resumed"
cp -r "$work/full" "$work/resumed"
rm -f "$work/resumed/snapshot_iter_$iterations"
step resume "$PY" train.py "${train_args[@]}" --out "$work/resumed" \
    --resume auto
step resume-equal "$PY" -m benchmarks.smoke_checks snapshots \
    "$work/full/snapshot_iter_$iterations" \
    "$work/resumed/snapshot_iter_$iterations"

step face "$PY" -m benchmarks.smoke_checks face "$work/face.png" \
    --size "$size"
for where in cpu gpu; do
    id=$([ "$where" = cpu ] && echo -1 || echo "$gpu")
    step "translate-$where" "$PY" translate.py "$work/face.png" \
        --model "$work/full" --target smile --no-detect --quiet \
        --gpu "$id" --out "$work/translated-$where"
done
step translate-equal "$PY" -m benchmarks.smoke_checks images \
    "$work/translated-cpu" "$work/translated-gpu" --max-diff 2

step bench "$PY" bench.py --gpu "$gpu" "${bench[@]}"

echo
if (( ${#failed[@]} )); then
    echo "FAIL: ${failed[*]} (logs in $work)"
    exit 1
fi
echo "PASS: every step$( (( dry_run )) && echo ' (dry run, on the CPU)')"
[ -z "${SMOKE_DIR:-}" ] && rm -rf "$work"
exit 0
