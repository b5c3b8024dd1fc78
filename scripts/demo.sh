#!/usr/bin/env bash
# scripts/demo.sh: the main job on the dataset shipped in the repo (spoken digits, datasets/fsdd/).
# Expects scripts/setup.sh to have built build/.
set -euo pipefail
cd "$(dirname "$0")/.."
K=build/cli/kiloml
DATA=datasets/fsdd/fsdd_logmel.h5
echo "== kiloml data info $DATA"
$K data info "$DATA"
