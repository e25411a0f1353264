#!/usr/bin/env bash
# A calibration sweep for the Chomsky board's budget (issue 26), run once on a lent GPU host
# (one H200, 16 CPU cores) through the device tool from the repository root, with .whl/ carried
# (see bench/device/issue25.sh). The four regular-level tasks x the classic, transformer and modern
# models at one parameter budget, 2 seeds, Adam 1e-3 at batch 128 in one-length batches (the paper's
# protocol), trained to the plateau rule with a cap: how many steps each cell needs, so that the
# CPU board's cap is set from evidence. Steps are device-independent; the board itself runs on CPU.
set -u
export PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp/out} GRID_SECONDS=${GRID_SECONDS:-400}
mkdir -p "$OUT"
python3 -m pip install -q --upgrade --no-index --no-deps --no-build-isolation --no-compile --no-cache-dir \
    --target /tmp/site .whl/*.whl . > "$OUT/install.log" 2>&1 || { tail -20 "$OUT/install.log"; exit 1; }
export PYTHONPATH=/tmp/site
seqbench() { (cd /tmp && python3 -c "import sys; from seqbench.cli import entry; sys.exit(entry())" "$@"); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; nproc; git rev-parse HEAD; } > "$OUT/machine.txt" 2>&1
timeout "$GRID_SECONDS" bash -c "$(declare -f seqbench); seqbench run -m seed=0,1 \
    task=parity_check,modular_arithmetic,cycle_navigation,even_pairs \
    model=rnn_tanh,rnn_relu,lstm,gru,transformer,mamba,mamba_signed,slstm,mingru,lru \
    model.param_budget=25000 trainer=chomsky trainer.steps=6000 trainer.eval_every=250 trainer.patience=6 \
    trainer.stop_at_ceiling=true trainer.eval_batch_size=64 device=cuda hydra/launcher=joblib \
    hydra.launcher.n_jobs=16 hydra.sweep.dir=/tmp/calib resume=true" > "$OUT/calib.log" 2>&1
echo "grid exit $?"; date -u
seqbench leaderboard /tmp/calib --out /tmp/calib_board > "$OUT/calib_board.txt" 2>&1
cp /tmp/calib_board/results.csv "$OUT/calib_results.csv" 2>/dev/null
tar czf "$OUT/calib_records.tgz" --exclude="*.pt" -C /tmp calib 2>/dev/null
tail -15 "$OUT/calib.log"
