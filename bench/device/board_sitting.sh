#!/usr/bin/env bash
# A sitting of a board grid on a lent GPU host's 16 CPU cores, through the device tool from the
# repository root, with .whl/ carried (see bench/device/issue25.sh for how it is made).
# EXPERIMENT and BOARD name the grid and its folder: the Chomsky board (issue 26, the default:
# experiment=chomsky into leaderboards/chomsky_past_ceiling/raw) or the main board's rebuild (issue 27:
# EXPERIMENT=leaderboard BOARD=main_rebuild). The runs are CPU runs (device=cpu: a board's cells
# are all of one device class), one per core; the host's GPU is not used. The committed runs under
# leaderboards/$BOARD/raw travel with the working tree, so resume=true skips them; the new records
# come back in $OUT/records.tgz:
#   tar xzf <files_at>/records.tgz -C leaderboards/$BOARD/raw
# then commit them with the machine line of $OUT/machine.txt in the board's sittings table.
# TASKS and MODELS choose the cells (the Chomsky board's defaults: its non-regular tasks still to run
# x every model of experiment=chomsky; the regular level, modular_arithmetic_brackets, reverse_string
# and stack_manipulation are complete; another board's: its whole grid);
# GRID_SECONDS cuts the sitting (its unfinished runs are lost).
set -u
export PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp/out} GRID_SECONDS=${GRID_SECONDS:-480}
EXPERIMENT=${EXPERIMENT:-chomsky}
BOARD=${BOARD:-chomsky_past_ceiling}
if [ "$EXPERIMENT" = chomsky ]; then
  TASKS=${TASKS-solve_equation,binary_addition,binary_multiplication,bucket_sort,compute_sqrt,duplicate_string,missing_duplicate_string,odds_first}
  MODELS=${MODELS-}
fi
CELLS="${TASKS:+task=$TASKS} ${MODELS:+model=$MODELS}"
RAW="$PWD/leaderboards/$BOARD/raw"
mkdir -p "$OUT" "$RAW"
python3 -m pip install -q --upgrade --no-index --no-deps --no-build-isolation --no-compile --no-cache-dir \
    --target /tmp/site .whl/*.whl . > "$OUT/install.log" 2>&1 || { tail -20 "$OUT/install.log"; exit 1; }
export PYTHONPATH=/tmp/site
seqbench() { (cd /tmp && python3 -c "import sys; from seqbench.cli import entry; sys.exit(entry())" "$@"); }
{ date -u; nproc; uptime; grep -m1 "model name" /proc/cpuinfo
  python3 -c "import torch, sys; print(sys.version.split()[0], torch.__version__)"; git rev-parse HEAD; } \
    > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
touch /tmp/start
timeout "$GRID_SECONDS" bash -c "$(declare -f seqbench); seqbench run -m experiment=$EXPERIMENT $CELLS \
    device=cpu hydra/launcher=joblib hydra.launcher.n_jobs=16 hydra.sweep.dir=$RAW resume=true" > "$OUT/grid.log" 2>&1
echo "grid exit $? at $(date -u)"; uptime
(cd "$RAW" && find . -newer /tmp/start \( -name result.json -o -name state.pt \) -print0 \
    | tar czf "$OUT/records.tgz" --null -T -)
tar tzf "$OUT/records.tgz" | grep -c result.json
tail -5 "$OUT/grid.log"
