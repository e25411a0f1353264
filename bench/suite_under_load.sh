#!/bin/bash
# Issue 21, item 9: five full suite runs in a row (FG) while a second full suite runs beside them in
# a loop (BG): load about 4 on 2 cores. FG and BG are clean clones of this repository, each set up
# with `make install`; results go to $OUT/loadruns.txt, one line per run.
#   git clone . /tmp/fg && git clone . /tmp/bg && (cd /tmp/fg && make install) && (cd /tmp/bg && make install)
#   FG=/tmp/fg BG=/tmp/bg OUT=/tmp nohup bench/suite_under_load.sh &
# A suite run this way (in the background, under nohup) starts with SIGINT and SIGHUP ignored; the
# signal tests start their grids with the default actions (tests/conftest.py: with_default_signals).
FG=${FG:-/tmp/fg} BG=${BG:-/tmp/bg} OUT=${OUT:-/tmp} RUNS=${RUNS:-5}
rm -f "$OUT/fg.done"
echo "commit $(git -C "$FG" rev-parse --short HEAD) start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/loadruns.txt"
(cd "$BG"; n=0; while [ ! -f "$OUT/fg.done" ]; do n=$((n+1)); s=$(date +%s); make test > "$OUT/bg_run_$n.log" 2>&1; rc=$?
  echo "bg run $n rc=$rc wall=$(( $(date +%s) - s ))s $(tail -1 "$OUT/bg_run_$n.log" | cut -c1-100)" >> "$OUT/loadruns.txt"; done) &
cd "$FG"
for i in $(seq 1 "$RUNS"); do
  s=$(date +%s); make test > "$OUT/fg_run_$i.log" 2>&1; rc=$?
  echo "fg run $i rc=$rc wall=$(( $(date +%s) - s ))s load $(cut -d' ' -f1-3 /proc/loadavg) $(grep -E 'passed|failed' "$OUT/fg_run_$i.log" | tail -1 | cut -c1-100)" >> "$OUT/loadruns.txt"
done
touch "$OUT/fg.done"
echo "end $(date -u +%H:%M:%S)" >> "$OUT/loadruns.txt"
wait  # the second suite's loop ends with the run it is in (else it runs on, loading the machine)
