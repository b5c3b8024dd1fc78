#!/usr/bin/env bash
# bench/emi_targets.sh: the EMI-RNN targets (HAR-6, DSA-19): `kiloml emi train`, then
# `kiloml emi eval --threshold P`, per seed: bag accuracy without early exit and at P, and the
# MI / early / total computation savings; then the mean and spread beside the target.
#
#   bash bench/emi_targets.sh                                  both targets, 3 seeds
#   SEEDS="0 1" EPOCHS=5 bash bench/emi_targets.sh har6-emi-fastgrnn16
#
# Environment: KILOML (default build/cli/kiloml), DATA (default /work/shared/datasets or
# $KML_SHARED_DATASETS), EPOCHS per round (default 15), ROUNDS (default 4), SEEDS (default
# "0 1 2"), THREADS (default 1), P (default 0.99), OUT (default bench/out). Runs are niced.
set -euo pipefail
cd "$(dirname "$0")/.."
KILOML=${KILOML:-build/cli/kiloml}
DATA=${DATA:-${KML_SHARED_DATASETS:-/work/shared/datasets}}
EPOCHS=${EPOCHS:-15}
ROUNDS=${ROUNDS:-4}
SEEDS=${SEEDS:-"0 1 2"}
THREADS=${THREADS:-1}
P=${P:-0.99}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

# name | target % | options. HAR-6: validation = whole held-out training subjects; DSA-19: the
# EMI-RNN paper's 4-2-2 user split (train 1-4, validation 5-6, test 7-8).
TARGETS=(
  "har6-emi-fastgrnn16|92.0|--data $DATA/har/har.h5 --group subject --val-by-group --window 48 --stride 16 --negative-class none --k 2 --cell fastgrnn --hidden 16"
  "dsa19-emi-fastgrnn32|0|--data $DATA/dsa19/dsa19.h5 --group subject --val-groups 5,6 --window 48 --stride 16 --negative-class none --k 2 --cell fastgrnn --hidden 32"
)

field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2 | tr -d ' \t'; }

want=("$@")
printf '%-22s %-5s %-8s %-8s %-8s %-8s %-8s %-8s %s\n' target seed val test test@P mi early total secs
for row in "${TARGETS[@]}"; do
  IFS='|' read -r name target opts <<<"$row"
  if ((${#want[@]})) && [[ ! " ${want[*]} " =~ " $name " ]]; then continue; fi
  accs=()
  for seed in $SEEDS; do
    base="$OUT/$name.s$seed"
    # shellcheck disable=SC2086
    if ! nice -n 10 "$KILOML" emi train $opts --rounds "$ROUNDS" --epochs "$EPOCHS" --seed "$seed" \
         --threads "$THREADS" --quiet -o "$base.kml" --json >"$base.json" 2>"$base.err"; then
      echo "$name seed $seed: FAILED ($(cat "$base.err"))"
      continue
    fi
    data_opts=$(sed -E 's/ --(window|stride|negative-class|k|cell|hidden) [^ ]+//g; s/ --val-by-group//;' <<<" $opts")
    # shellcheck disable=SC2086
    nice -n 10 "$KILOML" emi eval "$base.kml" $data_opts --threshold "$P" --json >"$base.eval.json"
    j=$(cat "$base.json")
    e=$(cat "$base.eval.json")
    acc=$(field test_bag_accuracy <<<"$j")
    accs+=("$acc")
    printf '%-22s %-5s %-8.4f %-8.4f %-8.4f %-8.4f %-8.4f %-8.4f %.0f\n' "$name" "$seed" \
      "$(field val_bag_accuracy <<<"$j")" "$acc" "$(field accuracy <<<"$e")" "$(field mi_savings <<<"$e")" \
      "$(field early_savings <<<"$e")" "$(field total_savings <<<"$e")" "$(field train_seconds <<<"$j")"
  done
  if ((${#accs[@]})); then
    printf '%s\n' "${accs[@]}" | awk -v n="$name" -v t="$target" '
      { a[NR] = $1 * 100; s += a[NR]; if (NR == 1 || a[NR] > mx) mx = a[NR]; if (NR == 1 || a[NR] < mn) mn = a[NR] }
      END { m = s / NR; for (i = 1; i <= NR; i++) v += (a[i] - m) ^ 2; sd = NR > 1 ? sqrt(v / (NR - 1)) : 0;
            printf "%-22s mean %.2f %% (sd %.2f, min %.2f, max %.2f, %d seeds)", n, m, sd, mn, mx, NR;
            if (t > 0) printf "  target %.1f %%  %s", t, (m >= t ? "reached" : (mx >= t ? "best seed only" : "NOT reached"));
            printf "\n" }'
  fi
done
