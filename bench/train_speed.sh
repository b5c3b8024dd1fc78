#!/usr/bin/env bash
# bench/train_speed.sh: training samples/s of `kiloml train` beside a PyTorch peer
# (bench/peer_torch_fastgrnn.py, torch.nn modules), side by side in one run, on the HAR-2
# FastGRNN configuration (H=80, rW=5, rU=40, batch 100). Prints each run, the medians, the ratio
# and kiloml's peak RSS.
#
#   bash bench/train_speed.sh [BUILD_DIR]      (env: DATA, THREADS=2, ROUNDS=3, EPOCHS=2, BATCHES=40)
#
# The peer needs Debian's python3-torch python3-h5py (installed here on demand; not a kiloml dependency).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
K=$BUILD/cli/kiloml
DATA=${DATA:-../shared/datasets/har/har.h5}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
EPOCHS=${EPOCHS:-2}
BATCHES=${BATCHES:-40}
[ -f "$DATA" ] || { echo "train_speed: $DATA not found (HAR is not shipped; pass DATA=...)"; exit 0; }
if ! /usr/bin/python3 -c 'import torch, h5py' 2>/dev/null; then
  echo "train_speed: installing the peer's packages (python3-torch python3-h5py)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch python3-h5py >/dev/null
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cfg=(--cell fastgrnn --hidden 80 --rank-w 5 --rank-u 40 --batch 100 --lr 0.005)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "config: HAR-2 FastGRNN H=80 rW=5 rU=40 batch 100, $THREADS threads; kiloml $EPOCHS epochs, peer $BATCHES minibatches per round"
k_sps=(); p_sps=(); rss=()
for r in $(seq 1 "$ROUNDS"); do
  /usr/bin/time -f '%M' -o "$tmp/rss" "$K" train --data "$DATA" --labels y2 "${cfg[@]}" --epochs "$EPOCHS" \
      --threads "$THREADS" --quiet --json -o "$tmp/m.kml" > "$tmp/k.json"
  k=$(grep -o '"samples_per_second":[0-9.e+-]*' "$tmp/k.json" | cut -d: -f2)
  OMP_NUM_THREADS=$THREADS /usr/bin/python3 bench/peer_torch_fastgrnn.py --data "$DATA" --labels y2 \
      --threads "$THREADS" --batches "$BATCHES" > "$tmp/p.json"
  p=$(grep -o '"samples_per_second": [0-9.e+-]*' "$tmp/p.json" | cut -d' ' -f2)
  k_sps+=("$k"); p_sps+=("$p"); rss+=("$(cat "$tmp/rss")")
  printf 'round %d: kiloml %8.0f samples/s   pytorch %8.0f samples/s   kiloml peak RSS %s KB\n' "$r" "$k" "$p" "$(cat "$tmp/rss")"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
km=$(median "${k_sps[@]}"); pm=$(median "${p_sps[@]}"); rm_=$(median "${rss[@]}")
awk -v k="$km" -v p="$pm" -v r="$rm_" 'BEGIN {printf "median: kiloml %.0f samples/s, pytorch %.0f samples/s, ratio %.1fx; kiloml peak RSS %.1f MB\n", k, p, k/p, r/1024}'
