#!/usr/bin/env bash
# bench/compression_targets.sh: the compression targets (docs/RESULTS.md, "Compression"): train with
# --qat (the integer model is written into the same file), evaluate float and integer side by side on
# the test split, print accuracy, disagreements and bytes per seed beside the target.
#
#   bash bench/compression_targets.sh                             all targets, seeds 0 1 2
#   SEEDS="0 1 2 3 4" bash bench/compression_targets.sh har2      the HAR-2 figures of RESULTS (5 seeds)
#   EPOCHS=60 SEEDS="0" bash bench/compression_targets.sh dsa19   one target, one seed
#
# Environment: KILOML (default build/cli/kiloml), DATA (default /work/shared/datasets or
# $KML_SHARED_DATASETS), EPOCHS (default: each target's own), SEEDS, THREADS (default 1),
# OUT (default bench/out). Every run is niced; models, logs and JSON stay in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
KILOML=${KILOML:-build/cli/kiloml}
DATA=${DATA:-${KML_SHARED_DATASETS:-/work/shared/datasets}}
SEEDS=${SEEDS:-"0 1 2"}
THREADS=${THREADS:-1}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

# name | target % | max bytes | epochs | eval options | train options [| teacher train options]
# With a teacher column, a teacher is trained first on the same data and seed (same epochs) and the
# model distils from it (--teacher). HAR-2 trains with the hardSigm gate (docs/RESULTS.md, "Compression",
# session 4) and a recording-level gain and offset (--input-gain/--input-offset 0.3, session 5);
# har2-plain is the session-4 recipe without them, har2-kd that distilled from a FastGRNN-LSQ teacher
# (93.92 % against 93.81 % over seeds 0-4: no gain beyond the seed spread) and har2-quantsigm keeps the
# paper's gate, for comparison. DSA-19: the paper's compression (low rank, sparse, 8-bit) with the same
# gain and offset; dsa19-lq is the session-2 low-rank-only recipe. fsdd trains 100 epochs (40 gave
# 92.67-94.67 % at one thread; the augmentation costs it 10 points: log-mel clips need none).
TARGETS=(
  "har2|95.0|3584|300|--data $DATA/har/har.h5 --labels y2|--cell fastgrnn --hidden 80 --rank-w 5 --rank-u 40 --density-w 0.2 --density-u 0.3 --gate-nonlin hardsigm --update-nonlin quanttanh --lr 0.002 --clip 0.5 --input-gain 0.3 --input-offset 0.3"
  "har2-plain|95.0|3584|300|--data $DATA/har/har.h5 --labels y2|--cell fastgrnn --hidden 80 --rank-w 5 --rank-u 40 --density-w 0.2 --density-u 0.3 --gate-nonlin hardsigm --update-nonlin quanttanh --lr 0.002 --clip 0.5"
  "har2-kd|95.0|3584|300|--data $DATA/har/har.h5 --labels y2|--cell fastgrnn --hidden 80 --rank-w 5 --rank-u 40 --density-w 0.2 --density-u 0.3 --gate-nonlin hardsigm --update-nonlin quanttanh --lr 0.002 --clip 0.5|--cell fastgrnn --hidden 80 --lr 0.01"
  "har2-quantsigm|95.0|3584|300|--data $DATA/har/har.h5 --labels y2|--cell fastgrnn --hidden 80 --rank-w 5 --rank-u 40 --density-w 0.2 --density-u 0.3 --gate-nonlin quantsigm --update-nonlin quanttanh --lr 0.002 --clip 0.5"
  "har2-ru20|95.0|3584|300|--data $DATA/har/har.h5 --labels y2|--cell fastgrnn --hidden 80 --rank-w 5 --rank-u 20 --density-w 0.2 --density-u 0.3 --gate-nonlin quantsigm --update-nonlin quanttanh --lr 0.002 --clip 0.5"
  "dsa19|83.0|4096|300|--data $DATA/dsa19/dsa19.h5|--cell fastgrnn --hidden 80 --rank-w 8 --rank-u 16 --density-w 0.2 --density-u 0.3 --gate-nonlin quantsigm --update-nonlin quanttanh --lr 0.005 --input-gain 0.3 --input-offset 0.3"
  "dsa19-lq|83.0|4096|30|--data $DATA/dsa19/dsa19.h5|--cell fastgrnn --hidden 48 --rank-w 12 --rank-u 12"
  "fsdd|95.0|6144|100|--data $DATA/fsdd/fsdd_logmel.h5|--cell fastgrnn --hidden 32 --rank-u 16"
)

field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2; }

printf "%-10s %4s  %8s %8s %6s %7s %7s   %s\n" target seed float int disagr bytes paper "target"
for t in "${TARGETS[@]}"; do
  IFS='|' read -r name target maxb epochs evalopts trainopts teacheropts <<<"$t"
  if [ $# -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then continue; fi
  ep=${EPOCHS:-$epochs}
  for s in $SEEDS; do
    m="$OUT/comp_${name}_s$s.kml"
    kd=()
    if [ -n "$teacheropts" ]; then
      tm="$OUT/comp_${name}_teacher_s$s.kml"
      # shellcheck disable=SC2086
      nice -n 10 "$KILOML" train $evalopts $teacheropts --epochs "$ep" --seed "$s" --threads "$THREADS" \
        --quiet -o "$tm" >/dev/null
      kd=(--teacher "$tm")
    fi
    # shellcheck disable=SC2086
    nice -n 10 "$KILOML" train $evalopts $trainopts "${kd[@]}" --epochs "$ep" --seed "$s" --threads "$THREADS" --qat \
      --quiet -o "$m" >/dev/null
    # shellcheck disable=SC2086
    j=$("$KILOML" eval "$m" $evalopts --json)
    echo "$j" >"$OUT/comp_${name}_s$s.json"
    fa=$(echo "$j" | field float_accuracy); ia=$(echo "$j" | field accuracy)
    printf "%-10s %4s  %7.2f%% %7.2f%% %6s %7s %7s   >= %s %% at <= %s B\n" "$name" "$s" \
      "$(echo "$fa*100" | bc -l)" "$(echo "$ia*100" | bc -l)" "$(echo "$j" | field disagreements)" \
      "$(echo "$j" | field model_bytes)" "$(echo "$j" | field paper_bytes)" "$target" "$maxb"
  done
done
