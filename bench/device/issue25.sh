#!/usr/bin/env bash
# Issue 25's GPU figures, run once on a lent GPU host (one H200, 16 CPU cores) through the device
# tool, from the repository root, with the wheels its image lacks carried in .whl/ (ignored by git),
# made on this machine with
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_17_x86_64 -d .whl hydra-core==1.3.8 omegaconf==2.3.1 \
#       hydra-joblib-launcher==1.2.0 orjson==3.13.0
#   pip wheel --no-deps antlr4-python3-runtime==4.9.3 -w .whl      (published as a source archive only)
#   1. bench/modern.py on cuda: each modern family's parallel scan / its sequential path, and / the
#      fused LSTM at equal parameters, lengths 40 and 500 (full mode), then the sigmoid RNN's fused
#      path / nn.RNN and the cuDNN figures (quick mode);
#   2. the parity experiment of issue 25 (train lengths 1-40 in one-length batches of 128, test_ood
#      41-500), 8 models x 3 seeds on the GPU, seed 0 of every model first, cut at GRID_SECONDS: the
#      runs that finished are kept (resume=true would finish the rest).
# Nothing in the project depends on this host; the results are committed under bench/results/.
set -u
export PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp/out} GRID_SECONDS=${GRID_SECONDS:-330}
mkdir -p "$OUT"
# one install, so that hydra_plugins/ (a namespace shared by two distributions) holds both
python3 -m pip install -q --upgrade --no-index --no-deps --no-build-isolation --no-compile --no-cache-dir --target /tmp/site .whl/*.whl . \
    > "$OUT/install.log" 2>&1 || { tail -20 "$OUT/install.log"; exit 1; }
export PYTHONPATH=/tmp/site
seqbench() { (cd /tmp && python3 -c "import sys; from seqbench.cli import entry; sys.exit(entry())" "$@"); }
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nproc; uptime
  python3 -c "import torch, sys; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name())"
  git rev-parse HEAD 2>/dev/null; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
[ -n "${SKIP_BENCH:-}" ] || (cd bench && timeout 170 python3 run.py --only modern_scans --device cuda --json "$OUT/gpu_modern.json" \
    > "$OUT/gpu_modern.md" 2> "$OUT/gpu_modern.err"); echo "modern_scans exit $?"
[ -n "${SKIP_BENCH:-}" ] || (cd bench && timeout 90 python3 run.py --quick --only sigmoid_vs_fused,gpu --device cuda --json "$OUT/gpu_fused.json" \
    > "$OUT/gpu_fused.md" 2> "$OUT/gpu_fused.err"); echo "sigmoid/gpu exit $?"
date -u
cd /tmp && timeout "$GRID_SECONDS" python3 -c "import sys; from seqbench.cli import entry; sys.exit(entry())" run -m seed=0,1,2 task=parity_check \
    model=mamba,mamba_signed,slstm,mingru,minlstm,lru,lstm,rnn_tanh \
    trainer=chomsky trainer.steps=3000 trainer.eval_every=200 trainer.patience=4 trainer.stop_at_ceiling=true \
    trainer.eval_batch_size=64 device=cuda hydra/launcher=joblib hydra.launcher.n_jobs=12 \
    hydra.sweep.dir=/tmp/parity resume=true > "$OUT/parity.log" 2>&1
echo "grid exit $?"; date -u
seqbench leaderboard /tmp/parity --out /tmp/parity_board > "$OUT/parity_board.txt" 2>&1
cp /tmp/parity_board/results.csv "$OUT/parity_results.csv" 2>/dev/null
tar czf "$OUT/parity_records.tgz" --exclude="*.pt" -C /tmp parity 2>/dev/null
tail -30 "$OUT/parity.log"; ls -la "$OUT"
