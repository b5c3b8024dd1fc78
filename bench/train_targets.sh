#!/usr/bin/env bash
# bench/train_targets.sh: train the accuracy targets of the FastGRNN paper (uncompressed models) and
# print test accuracy per seed, the mean and the spread, beside the target.
#
#   bash bench/train_targets.sh                    all targets, 3 seeds, each at its epochs below (~1.5 h idle)
#   EPOCHS=60 SEEDS="0 1" bash bench/train_targets.sh har2-fastgrnn fsdd-fastgrnn
# The settings are those of docs/RESULTS.md (where the figures measured with them are recorded).
#
# Environment: KILOML (default build/cli/kiloml), DATA (default /work/shared/datasets or
# $KML_SHARED_DATASETS), EPOCHS (overrides every target's), SEEDS, THREADS (default 1), OUT (default bench/out).
# Every run is niced; its JSON and CSV curves stay in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
KILOML=${KILOML:-build/cli/kiloml}
DATA=${DATA:-${KML_SHARED_DATASETS:-/work/shared/datasets}}
EPOCHS=${EPOCHS:-}
SEEDS=${SEEDS:-"0 1 2"}
THREADS=${THREADS:-1}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

# name | target % | epochs | data and model options
TARGETS=(
  "har2-fastgrnn|95.0|300|--data $DATA/har/har.h5 --labels y2 --cell fastgrnn --hidden 80 --rank-w 5 --rank-u 40 --lr 0.002 --clip 0.5"
  "har2-fastrnn|94.0|60|--data $DATA/har/har.h5 --labels y2 --cell fastrnn --hidden 80 --lr 0.005"
  "fsdd-fastgrnn|95.0|300|--data $DATA/fsdd/fsdd_logmel.h5 --cell fastgrnn --hidden 32"
  "dsa19-fastgrnn|84.0|40|--data $DATA/dsa19/dsa19.h5 --cell fastgrnn --hidden 128"
)

field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2; }

want=("$@")
printf '%-16s %-6s %-7s %-8s %-8s %-8s %-7s %s\n' target seed epochs val test skipped secs model
summary=()
for row in "${TARGETS[@]}"; do
  IFS='|' read -r name target epochs opts <<<"$row"
  epochs=${EPOCHS:-$epochs}
  if ((${#want[@]})) && [[ ! " ${want[*]} " =~ " $name " ]]; then continue; fi
  accs=()
  for seed in $SEEDS; do
    base="$OUT/$name.s$seed"
    # shellcheck disable=SC2086
    if ! nice -n 10 "$KILOML" train $opts --epochs "$epochs" --seed "$seed" --threads "$THREADS" --quiet \
         -o "$base.kml" --log "$base.csv" --json >"$base.json" 2>"$base.err"; then
      echo "$name seed $seed: FAILED ($(cat "$base.err"))"
      continue
    fi
    j=$(cat "$base.json")
    acc=$(field accuracy <<<"$j")
    accs+=("$acc")
    printf '%-16s %-6s %-7s %-8.4f %-8.4f %-8s %-7.0f %s B\n' "$name" "$seed" "$(field epochs <<<"$j")" \
      "$(field val_accuracy <<<"$j")" "$acc" "$(field skipped_steps <<<"$j")" "$(field train_seconds <<<"$j")" \
      "$(field model_bytes <<<"$j")"
  done
  if ((${#accs[@]})); then
    summary+=("$(printf '%s\n' "${accs[@]}" | awk -v n="$name" -v t="$target" '
      { a[NR] = $1 * 100; s += a[NR]; if (NR == 1 || a[NR] > mx) mx = a[NR]; if (NR == 1 || a[NR] < mn) mn = a[NR] }
      END { m = s / NR; for (i = 1; i <= NR; i++) v += (a[i] - m) ^ 2; sd = NR > 1 ? sqrt(v / (NR - 1)) : 0;
            printf "%-16s mean %.2f %% (sd %.2f, min %.2f, max %.2f, %d seeds)  target %.1f %%  %s\n",
                   n, m, sd, mn, mx, NR, t, (m >= t ? "reached" : (mx >= t ? "best seed only" : "NOT reached")) }')")
  fi
done
echo
printf '%s\n' "${summary[@]}"
