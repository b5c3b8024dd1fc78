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
    --out "$T/out" --results "$T/R.md" "$@"; }

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

# 8. --record writes the measured figures into the row table (tolerances kept), for the rows run.
FAKE_KILOML_FAIL= run --only t3.har2.lstm --record 2>"$T/err9" || { cat "$T/err9"; fail "--record run failed"; }
grep -q '^t3.har2.lstm .*|54.2±2|-±3|$' "$T/rows.txt" || fail "--record did not write the LSTM figure: $(grep '^t3.har2.lstm' "$T/rows.txt")"
grep -q '^t3.har2.lsq .*|59±0.5|-±3|$' "$T/rows.txt" || fail "--record touched a row it did not run"

# 9. --seeds replaces the row table's seeds.
run --list --seeds "4" --only t3.har2.lsq >"$T/list0"
grep -q -- '--seed 4 ' "$T/list0" && ! grep -q -- '--seed 0 ' "$T/list0" || fail "--seeds not applied"

# 10. Quick mode: shorter schedule, first seed only.
mkdir -p "$T/q"
"$ROOT/bench/paper" --quick --list --rows "$T/rows.txt" --kiloml "$FAKE" --datasets "$T/ds" --out "$T/q/out" >"$T/list" ||
    fail "--quick --list failed"
grep -q -- '--epochs 3 --seed 0' "$T/list" || fail "quick mode does not shorten the schedule"
grep -q -- '--seed 1' "$T/list" && fail "quick mode should run the first seed only"
# The quick run itself (on the fsdd file shipped in the repository, subset by h5subset) says it is
# quick in its output and in the file it writes.
printf 't3.fsdd.lsq|t3|fsdd|FastGRNN-LSQ|train|--cell fastgrnn --hidden 100 --epochs 300||0 1|93.18@57|-±2|60±1|\n' >"$T/qrows.txt"
"$ROOT/bench/paper" --quick --check --rows "$T/qrows.txt" --kiloml "$FAKE" --build "$BUILD" --datasets "$T/no-shared" \
    --out "$T/q/run" --results "$T/q/R.md" 2>"$T/q/err" || { cat "$T/q/err"; fail "quick run with the fake failed"; }
grep -q 'QUICK mode' "$T/q/err" || fail "quick mode not announced on stderr"
grep -q 'QUICK MODE: reduced schedule for CI' "$T/q/R.md" || fail "quick mode not stated in the results file"
grep -q -- '--data [^ ]*/q/run/data/fsdd_logmel.quick.h5 .*--epochs 3 --seed 0 ' "$T/q/R.md" || fail "quick run did not train on the subset"
[[ -s $T/q/run/data/fsdd_logmel.quick.h5 ]] || fail "quick subset not written"
echo "paper orchestration: all checks passed"
