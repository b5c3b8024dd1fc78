#!/usr/bin/env bash
# tests/paper_orchestration.sh BUILD_DIR: bench/paper's own logic, driven through tests/paper/fake_kiloml
# (a stand-in that speaks the CLI contracts and trains nothing): units run and resume, the results
# section replaces only what lies between its markers, plots are written, a missing stage is
# reported as missing, and --check passes, fails and skips when it should.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/paper_orch.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
FAKE=$ROOT/tests/paper/fake_kiloml

mkdir -p "$T/ds/har" "$T/ds/dsa19"
: >"$T/ds/har/har.h5"
: >"$T/ds/dsa19/dsa19.h5"
# A small row table: two trained rows (three seeds), a quantized one, a reference and an export.
cat >"$T/rows.txt" <<'ROWS'
# test rows
t3.har2.lsq      |t3|har2 |FastGRNN-LSQ|train|--cell fastgrnn --hidden 80 --epochs 300||0 1 2|95.38@29|59±0.5|-±3|
t3.har2.lstm     |t3|har2 |LSTM        |train|--cell lstm --hidden 64 --epochs 300||0 1 2|93.65@74|-±2|-±3|
t3.har2.fastgrnn |t3|har2 |FastGRNN    |quant|--cell fastgrnn --hidden 40 --rank-w 5 --epochs 300 ;; --bits 8||0|95.59@3|53±0.5|-±3|
t8.har2.q        |t8|har2 |FastGRNN-Q  |ref  |t3.har2.fastgrnn float||0|-|54±0.5|-±3|
time.har2.m0.q   |time|har2|FastGRNN (int8)|time|t3.har2.fastgrnn q cortex-m0plus||0|162|106.667±1%|-±5%|
ROWS
printf '# Results\n\nHand-written intro.\n\n<!-- BEGIN bench/paper: generated, edit bench/paper.d/rows.txt instead -->\nstale\n<!-- END bench/paper -->\n\n## Tail\nkeep me\n' >"$T/R.md"
run() { "$ROOT/bench/paper" --rows "$T/rows.txt" --kiloml "$FAKE" --build "$BUILD" --datasets "$T/ds" \
    --out "$T/out" --results "$T/R.md" --refs "$T/ref" "$@"; }

# 1. A full run: every unit runs once, the check passes (figures follow from the fake's formula).
export FAKE_KILOML_LOG=$T/log
run --check --jobs 2 2>"$T/err1" || { cat "$T/err1"; fail "first run exited non-zero"; }
[[ $(grep -c '^train' "$T/log") == 7 ]] || fail "expected 7 trainings (3+3 seeds, 1 quantized), got $(grep -c '^train' "$T/log")"
grep -q '^quantize ' "$T/log" && grep -q '^eval ' "$T/log" && grep -q '^export .*--target cortex-m0plus --measure' "$T/log" ||
    fail "quantize, eval or export was not called"
grep -q 'Hand-written intro.' "$T/R.md" && grep -q '^keep me$' "$T/R.md" || fail "hand-written text lost"
grep -q '^stale$' "$T/R.md" && fail "the old generated section was not replaced"
[[ $(grep -c 'BEGIN bench/paper' "$T/R.md") == 1 ]] || fail "markers duplicated"
grep -q '| HAR-2 | FastGRNN-LSQ | 59 ± 1 (3), best 60 | 95.38 | 7.81 | 29 |' "$T/R.md" || fail "LSQ row wrong: $(grep 'FastGRNN-LSQ' "$T/R.md")"
grep -q '| HAR-2 | FastGRNN | 53 | 95.59 | 0.98 | 3 |' "$T/R.md" || fail "quantized row wrong: $(grep '| FastGRNN |' "$T/R.md")"
grep -q '| HAR-2 | FastGRNN-Q ¹ | 54 |' "$T/R.md" || fail "reference row (float model of the quantized run) wrong"
grep -q '| HAR-2 | FastGRNN (int8) | cortex-m0plus | 48 | 40000 | 106.7 | 162 |' "$T/R.md" || fail "time row wrong"
grep -q 'fake_kiloml train --data .*har.h5 --labels y2 --cell fastgrnn --hidden 80 --epochs 300 --seed 2 --threads 1 -o model.kml --json' "$T/R.md" ||
    fail "exact command not recorded"
for t in t3 t8 time emi; do
    [[ -s $T/paper_$t.svg ]] || fail "plot paper_$t.svg missing"
    grep -q '</svg>' "$T/paper_$t.svg" || fail "plot paper_$t.svg truncated"
done
grep -q '>ours<' "$T/paper_t3.svg" && grep -q '>paper<' "$T/paper_t3.svg" || fail "t3 plot lacks the ours/paper legend"
grep -q 'paper: full run: 5 of 5 rows have figures; .* 4 pass, 0 FAIL, 1 unrecorded' "$T/err1" || { cat "$T/err1"; fail "summary wrong"; }

# 2. Rerun: nothing is trained again (resume); removing one unit reruns exactly that unit.
: >"$T/log"
run 2>"$T/err2" || fail "second run exited non-zero"
grep -q '^train' "$T/log" && fail "a finished unit was trained again"
cp "$FAKE" "$T/kiloml-rebuilt"
: >"$T/log"
run --kiloml "$T/kiloml-rebuilt" 2>"$T/err2b" || fail "run with another kiloml path exited non-zero"
grep -q '^train' "$T/log" && fail "a rebuilt kiloml at another path made finished units train again"
rm "$T/out/rows/t3.har2.lstm/s1/unit.json"
: >"$T/log"
run 2>"$T/err3" || fail "third run exited non-zero"
[[ $(grep -c '^train' "$T/log") == 1 ]] && grep -q -- '--cell lstm .*--seed 1 ' "$T/log" || fail "resume did not rerun exactly the removed unit"

# 3. A changed row (other options) is stale: it runs again.
sed -i 's/--cell lstm --hidden 64/--cell lstm --hidden 32/' "$T/rows.txt"
: >"$T/log"
run 2>"$T/err4" || fail "run after a row change exited non-zero"
[[ $(grep -c '^train.*--cell lstm --hidden 32' "$T/log") == 3 ]] || fail "a changed row was not rerun"

# 4. A recorded figure the run no longer meets: --check fails and names the row.
sed -i 's/|59±0.5|/|70±0.5|/' "$T/rows.txt"
if run --check 2>"$T/err5"; then fail "--check passed with a figure out of tolerance"; fi
grep -q 'FAIL t3.har2.lsq: 59 against recorded 70 ± 0.5' "$T/err5" || { cat "$T/err5"; fail "FAIL line missing"; }

# 5. A build without quantize/export: those rows are missing (not failed), said so, not checked.
sed -i 's/|70±0.5|/|59±0.5|/' "$T/rows.txt"
FAKE_KILOML_COMMANDS="train" run --check --fresh 2>"$T/err6" || { cat "$T/err6"; fail "run without quantize failed"; }
grep -q 'NOT CHECKED t3.har2.fastgrnn: missing: quantize' "$T/err6" || { cat "$T/err6"; fail "missing stage not reported"; }
grep -q 'NOT CHECKED time.har2.m0.q' "$T/err6" || fail "export row depending on a missing stage not reported"
grep -q '`t3.har2.fastgrnn` (HAR-2, FastGRNN): missing: quantize' "$T/R.md" || fail "missing row not listed in the file"

# 6. Nothing checkable at all (no kiloml): --check says so and exits 77 (skip), never 0.
set +e
run --check --fresh --kiloml "$T/no-such-kiloml" 2>"$T/err7"
rc=$?
set -e
[[ $rc == 77 ]] || { cat "$T/err7"; fail "--check with nothing checkable exited $rc, expected 77"; }
grep -q 'no row could be checked' "$T/err7" || fail "skip reason not printed"

# 7. A training that fails on a row with a recorded figure is a failure of the check.
if FAKE_KILOML_FAIL=fastgrnn run --check --fresh 2>"$T/err8"; then fail "--check passed although training failed"; fi
grep -q 'FAIL t3.har2.lsq: failed: command 1 exited non-zero: kiloml: fastgrnn: injected failure' "$T/err8" || { cat "$T/err8"; fail "failure cause not reported"; }

# 8. --record writes the measured figures into the row table (tolerances kept), for the rows run: the
# mean as the full figure, seed 0's as the quick one, and seed 0's run into the reference folder.
FAKE_KILOML_FAIL= run --only t3.har2.lstm --record 2>"$T/err9" || { cat "$T/err9"; fail "--record run failed"; }
grep -q '^t3.har2.lstm .*|54.2±2|53.2±3|$' "$T/rows.txt" || fail "--record did not write the LSTM figures: $(grep '^t3.har2.lstm' "$T/rows.txt")"
[[ -f $T/ref/t3.har2.lstm/model.kml && -f $T/ref/t3.har2.lstm/unit.json && -f $T/ref/t3.har2.lstm/log.csv ]] ||
    fail "--record did not write the reference folder"
[[ $(wc -l <"$T/ref/t3.har2.lstm/log.csv") == 6 ]] || fail "the recorded log should hold its header and 5 epochs"
[[ ! -e $T/ref/t3.har2.lsq ]] || fail "--record wrote a reference for a row it did not run"
grep -q '^t3.har2.lsq .*|59±0.5|-±3|$' "$T/rows.txt" || fail "--record touched a row it did not run"

# 9. --seeds replaces the row table's seeds.
run --list --seeds "4" --only t3.har2.lsq >"$T/list0"
grep -q -- '--seed 4 ' "$T/list0" && ! grep -q -- '--seed 0 ' "$T/list0" || fail "--seeds not applied"

# 10. Quick mode: the check against the recorded full runs (first epochs rerun, the recorded model
# through every later stage).
"$ROOT/bench/paper" --quick --list --rows "$T/rows.txt" --kiloml "$FAKE" --datasets "$T/ds" --refs "$T/ref" \
    --out "$T/q0" >"$T/list" || fail "--quick --list failed"
grep -q -- '--hidden 32 --epochs 300 --seed 0 --threads 1 --stop-after-epoch 2 -o traj.kml' "$T/list" ||
    fail "quick mode does not rerun the full command's first epochs: $(cat "$T/list")"
grep -q -- "eval $T/ref/t3.har2.lstm/model.kml " "$T/list" || fail "quick mode does not evaluate the recorded model"
grep -q -- '--seed 1' "$T/list" && fail "quick mode should run seed 0 only"
Q=$T/q
mkdir -p "$Q"
cat >"$Q/rows.txt" <<'ROWS'
t3.har2.lsq      |t3|har2 |FastGRNN-LSQ|train|--cell fastgrnn --hidden 80 --epochs 300||0 1|95.38@29|-±2|-±0.2|
t3.har2.fastgrnn |t3|har2 |FastGRNN    |quant|--cell fastgrnn --hidden 40 --epochs 300 ;; --bits 8|3|0|95.59@3|-±2|-±0.2|
time.har2.m0.q   |time|har2|FastGRNN (int8)|time|t3.har2.fastgrnn q cortex-m0plus||0|162|-±1%|-±0.1%|
emi.har6.mi      |emi|har6 |MI-RNN      |emi  |--cell lstm --hidden 16 --rounds 4 --epochs 15 ;; --threshold off|2|0 1|93.89|-±2|-±0.2|
t3.fsdd.lsq      |t3|fsdd |FastGRNN-LSQ|train|--cell fastgrnn --hidden 100 --epochs 10|0|0|93.18@57|-±2|-±0.2|
ROWS
qrun() { "$ROOT/bench/paper" --rows "$Q/rows.txt" --kiloml "$FAKE" --build "$BUILD" --datasets "$T/ds" --refs "$Q/ref" "$@"; }
# (a) nothing recorded yet: no row can be checked, which is a skip (77), never a pass
set +e
qrun --quick --check --out "$Q/q1" --results "$Q/q1.md" 2>"$Q/err1"
rc=$?
set -e
[[ $rc == 77 ]] || { cat "$Q/err1"; fail "--quick --check without a record exited $rc, expected 77"; }
grep -q 'no recorded full run to check against' "$Q/err1" || fail "the missing record is not named"
# (b) a full run, recorded: both figures and the reference folder
qrun --out "$Q/full" --results "$Q/full.md" --record 2>"$Q/err2" || { cat "$Q/err2"; fail "full run with --record failed"; }
grep -q '^t3.har2.lsq .*|58.5±2|58±0.2|$' "$Q/rows.txt" || fail "recorded figures wrong: $(grep '^t3.har2.lsq' "$Q/rows.txt")"
[[ -f $Q/ref/emi.har6.mi/emi_train.json && -f $Q/ref/time.har2.m0.q/unit.json && -f $Q/ref/t3.har2.fastgrnn/log.csv ]] ||
    fail "reference folder incomplete: $(ls -R "$Q/ref")"
# (c) the quick check passes, reruns only first epochs / rounds, and says what it is
export FAKE_KILOML_LOG=$Q/log
: >"$Q/log"
qrun --quick --check --out "$Q/q2" --results "$Q/q2.md" 2>"$Q/err3" || { cat "$Q/err3"; fail "quick check against the record failed"; }
grep -q 'QUICK mode' "$Q/err3" && grep -q 'QUICK MODE: the CI check against the recorded full runs' "$Q/q2.md" ||
    fail "quick mode not stated on stderr and in the file"
grep -q 'quick run: 5 of 5 rows have figures; checked against the recorded full runs: 5 pass, 0 FAIL' "$Q/err3" ||
    { cat "$Q/err3"; fail "quick summary wrong"; }
grep -q -- '--hidden 80 --epochs 300 --seed 0 --threads 1 --stop-after-epoch 2 ' "$Q/log" &&
    grep -q -- '--hidden 40 --epochs 300 --seed 0 --threads 1 --stop-after-epoch 3 ' "$Q/log" &&
    grep -q -- '^emi train .*--stop-after-round 2 ' "$Q/log" || fail "quick mode did not rerun the first epochs / rounds"
grep -q -- "^quantize $Q/ref/t3.har2.fastgrnn/model.kml " "$Q/log" && grep -q -- "^emi eval $Q/ref/emi.har6.mi/model.kml " "$Q/log" ||
    fail "quick mode did not take the recorded models through the later stages"
grep -q -- '--hidden 100 --epochs 10' "$Q/log" && fail "a row with quick 0 was trained"
grep -q -- '^train .*-o model.kml' "$Q/log" && fail "quick mode trained a model to the end"
# (d) a recorded log the rerun no longer follows: FAIL, naming the epoch and the column
sed -i '3s/^2,0.01,[0-9.]*,/2,0.01,0.123456,/' "$Q/ref/t3.har2.lsq/log.csv"
if qrun --quick --check --out "$Q/q3" --results "$Q/q3.md" 2>"$Q/err4"; then fail "--quick --check passed with a changed training log"; fi
grep -q "FAIL t3.har2.lsq: .*training log differs from the full run's: epoch 2 train_loss" "$Q/err4" || { cat "$Q/err4"; fail "log mismatch not named"; }
head -n 6 "$Q/full/rows/t3.har2.lsq/s0/model.csv" >"$Q/ref/t3.har2.lsq/log.csv"
# (e) recorded EMI rounds the rerun does not reproduce
jq '.round_active_instances[1] += 1' "$Q/ref/emi.har6.mi/emi_train.json" >"$Q/e.json" && cp "$Q/e.json" "$Q/ref/emi.har6.mi/emi_train.json"
if qrun --quick --check --out "$Q/q4" --results "$Q/q4.md" 2>"$Q/err5"; then fail "--quick --check passed with changed EMI rounds"; fi
grep -q "FAIL emi.har6.mi: .*round 2 round_active_instances" "$Q/err5" || { cat "$Q/err5"; fail "EMI round mismatch not named"; }
cp "$Q/full/rows/emi.har6.mi/s0/emi_train.json" "$Q/ref/emi.har6.mi/emi_train.json"
# (f) a figure the later stages no longer reach (here: the row table's, edited): FAIL
sed -i 's/|58±0.2|/|57±0.2|/' "$Q/rows.txt"
if qrun --quick --check --out "$Q/q5" --results "$Q/q5.md" 2>"$Q/err6"; then fail "--quick --check passed off its figure"; fi
grep -q 'FAIL t3.har2.lsq: 58 against recorded 57 ± 0.2' "$Q/err6" || { cat "$Q/err6"; fail "figure mismatch not named"; }
sed -i 's/|57±0.2|/|58±0.2|/' "$Q/rows.txt"
# (g) exact sizes: a model of other bytes than the recorded run's fails
jq '.model_bytes += 1' "$Q/ref/t3.har2.lsq/unit.json" >"$Q/u.json" && cp "$Q/u.json" "$Q/ref/t3.har2.lsq/unit.json"
if qrun --quick --check --only t3.har2.lsq --out "$Q/q6" --results "$Q/q6.md" 2>"$Q/err7"; then fail "--quick --check passed with other model bytes"; fi
grep -q "FAIL t3.har2.lsq: .*model_bytes 8000, the full run's 8001" "$Q/err7" || { cat "$Q/err7"; fail "size mismatch not named"; }
# (h) --record records full runs only
if qrun --quick --record --out "$Q/q7" 2>"$Q/err8"; then fail "--quick --record was accepted"; fi
grep -q 'record' "$Q/err8" || fail "--quick --record refusal not explained"
unset FAKE_KILOML_LOG
echo "paper orchestration: all checks passed"
