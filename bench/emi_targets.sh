#!/usr/bin/env bash
# bench/emi_targets.sh: the EMI-RNN targets (HAR-6, DSA-19) with the recipes recorded in
# docs/RESULTS.md "EMI-RNN": per seed `kiloml emi train`, `kiloml quantize` (16-bit, the .q.kml
# keeps the EMI settings) and `kiloml emi eval` of the .q.kml (float and integer streams): bag
# accuracy without early exit and at P, the MI / early / total computation savings, the integer
# model's accuracy at P; then the mean and spread beside the target.
#
#   bash bench/emi_targets.sh                                  both targets, their seeds
#   SEEDS="0 1" EPOCHS=5 bash bench/emi_targets.sh har6-emi-fastgrnn16
#
# Environment: KILOML (default build/cli/kiloml), DATA (default /work/shared/datasets or
# $KML_SHARED_DATASETS), SEEDS (default: the recipe's), EPOCHS per round and ROUNDS (default:
# the recipe's), THREADS (default 1), P (default 0.99), OUT (default bench/out). Runs are niced.
set -euo pipefail
cd "$(dirname "$0")/.."
KILOML=${KILOML:-build/cli/kiloml}
DATA=${DATA:-${KML_SHARED_DATASETS:-/work/shared/datasets}}
THREADS=${THREADS:-1}
P=${P:-0.99}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

# name | target % | seeds | data options (also for quantize / eval) | EMI and training options.
# HAR-6: validation = whole held-out training subjects (10 %); DSA-19: the EMI-RNN paper's 4-2-2
# user split (train 1-4, validation 5-6, test 7-8), trained with a per-instance, per-channel gain and
# offset (--input-gain / --input-offset 0.3: docs/RESULTS.md "EMI-RNN", session 5).
NL="--gate-nonlin quantsigm --update-nonlin quanttanh"
TARGETS=(
  "har6-emi-fastgrnn16|92.0|0 1 2 3 4|--data $DATA/har/har.h5 --group subject|--val-by-group --window 48 --stride 16 --negative-class none --k 2 --cell fastgrnn --hidden 16 $NL --rounds 4 --epochs 15 --lr 0.005 --clip 0.5"
  "dsa19-emi-fastgrnn64|85.0|0 1 2|--data $DATA/dsa19/dsa19.h5 --group subject --val-groups 5,6|--window 48 --stride 16 --negative-class none --k 2 --cell fastgrnn --hidden 64 $NL --rounds 4 --epochs 10 --lr 0.005 --clip 0.5 --weight-decay 0.1 --input-gain 0.3 --input-offset 0.3"
)

field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2 | tr -d ' \t'; }

want=("$@")
printf '%-22s %-5s %-8s %-8s %-8s %-8s %-8s %-8s %-8s %s\n' target seed val test test@P int@P mi early total secs
for row in "${TARGETS[@]}"; do
  IFS='|' read -r name target seeds data_opts opts <<<"$row"
  if ((${#want[@]})) && [[ ! " ${want[*]} " =~ " $name " ]]; then continue; fi
  [[ -n ${EPOCHS:-} ]] && opts=$(sed -E "s/--epochs [0-9]+/--epochs $EPOCHS/" <<<"$opts")
  [[ -n ${ROUNDS:-} ]] && opts=$(sed -E "s/--rounds [0-9]+/--rounds $ROUNDS/" <<<"$opts")
  calib_opts=$(sed -E 's/--data /--calib /; s/ --val-groups [^ ]+//' <<<"$data_opts")
  accs=() accp=()
  for seed in ${SEEDS:-$seeds}; do
    base="$OUT/$name.s$seed"
    # shellcheck disable=SC2086
    if ! nice -n 10 "$KILOML" emi train $data_opts $opts --seed "$seed" --threads "$THREADS" --quiet \
         -o "$base.kml" --json >"$base.json" 2>"$base.err"; then
      echo "$name seed $seed: FAILED ($(cat "$base.err"))"
      continue
    fi
    # shellcheck disable=SC2086
    nice -n 10 "$KILOML" quantize "$base.kml" $calib_opts --bits 16 --quiet -o "$base.q.kml" >/dev/null
    # shellcheck disable=SC2086
    nice -n 10 "$KILOML" emi eval "$base.q.kml" $data_opts --threshold "$P" --json >"$base.eval.json"
    j=$(cat "$base.json")
    e=$(cat "$base.eval.json")
    acc=$(field test_bag_accuracy <<<"$j")
    at_p=$(field accuracy <<<"$e")
    accs+=("$acc")
    accp+=("$at_p")
    int_p=$(sed -n '/"integer"/,$p' <<<"$e" | field accuracy)
    printf '%-22s %-5s %-8.4f %-8.4f %-8.4f %-8.4f %-8.4f %-8.4f %-8.4f %.0f\n' "$name" "$seed" \
      "$(field val_bag_accuracy <<<"$j")" "$acc" "$at_p" "$int_p" "$(field mi_savings <<<"$e")" \
      "$(field early_savings <<<"$e")" "$(field total_savings <<<"$e")" "$(field train_seconds <<<"$j")"
  done
  summary() {
    awk -v n="$1" -v t="$2" '
      { a[NR] = $1 * 100; s += a[NR]; if (NR == 1 || a[NR] > mx) mx = a[NR]; if (NR == 1 || a[NR] < mn) mn = a[NR] }
      END { if (NR == 0) exit; m = s / NR; for (i = 1; i <= NR; i++) v += (a[i] - m) ^ 2; sd = NR > 1 ? sqrt(v / (NR - 1)) : 0;
            printf "%-28s mean %.2f %% (sd %.2f, min %.2f, max %.2f, %d seeds)", n, m, sd, mn, mx, NR;
            if (t > 0) printf "  target %.1f %%  %s", t, (m >= t ? "reached" : (mx >= t ? "best seed only" : "NOT reached"));
            printf "\n" }'
  }
  if ((${#accs[@]})); then
    printf '%s\n' "${accs[@]}" | summary "$name (no early exit)" "$target"
    printf '%s\n' "${accp[@]}" | summary "$name (early exit at $P)" "$target"
  fi
done
