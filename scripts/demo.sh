#!/usr/bin/env bash
# scripts/demo.sh: the main job on the dataset shipped in the repo (spoken digits, datasets/fsdd/):
#   train a FastGRNN (quantization-aware) -> quantize -> evaluate float and integer side by side
#   -> export a C header for the Arduino Uno -> run it on the simulated ATmega328P (simavr) over real
#   test clips, printing the accuracy on the desktop and on the device.
# Expects scripts/setup.sh to have built build/. Outputs land in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
K=build/cli/kiloml
DATA=datasets/fsdd/fsdd_logmel.h5
OUT=out/demo
EPOCHS=${EPOCHS:-40}
WINDOWS=${WINDOWS:-100}   # test clips run on the simulated chip in step 5 (0 = all 300, ~2-3 min)
mkdir -p "$OUT"

echo "== 1. the data: $DATA"
$K data info "$DATA" | head -n 12

echo
echo "== 2. train FastGRNN H=32 (low-rank U, quantSigm/quantTanh, last third quantization-aware), $EPOCHS epochs"
$K train --data "$DATA" --cell fastgrnn --hidden 32 --rank-u 16 \
    --gate-nonlin quantsigm --update-nonlin quanttanh --epochs "$EPOCHS" --seed 0 --qat \
    -o "$OUT/fsdd.kml"

echo
echo "== 3. quantize: int8 weights, int16 state, power-of-two shifts searched on a validation carve"
$K quantize "$OUT/fsdd.kml" --calib "$DATA" -o "$OUT/fsdd.q.kml"

echo
echo "== 4. evaluate on the test split: float and integer (deploy/'s kernels on this machine)"
$K eval "$OUT/fsdd.q.kml" --data "$DATA"

echo
echo "== 5. export for the Arduino Uno and run it on the simulated ATmega328P (16 MHz): the first $WINDOWS"
echo "      test clips streamed through its UART; accuracy on the desktop and on the device side by side"
$K export "$OUT/fsdd.q.kml" --target atmega328p --name FSDD --test-steps 99 --measure \
    --data "$DATA" --windows "$WINDOWS" -o "$OUT/fsdd_model.h"
echo
echo "header: $OUT/fsdd_model.h (include it with deploy/ in a sketch: examples/arduino/)"
