#!/usr/bin/env bash
# Hashes every compile output (IR with every constant inline, reports, C) of the four examples at the settings the refactors must keep
# byte-identical (compile times blanked; --no-measure-size: measured sizes depend on the installed arm-none-eabi-gcc):
# usage `scripts/hash-outputs.sh [outdir]`; prints one sha256 line per file.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/shiftaddc-hashes}"
rm -rf "$out"; mkdir -p "$out"
settings=("k1:--terms 1" "k2:--terms 2" "a15:--avg-terms 1.5" "p05:--prune 0.5")
for m in lenet resnet dwsep squeeze; do
  for s in "${settings[@]}"; do
    tag="${s%%:*}"; flags="${s#*:}"
    # shellcheck disable=SC2086
    node bin/shiftaddc.js compile "examples/$m.onnx" --calibrate examples/data/calib-256.npy --target c --no-measure-size --emit-ir=full $flags -o "$out/$m-$tag" >/dev/null
  done
done
# The compile time is the one field that differs between runs: blank it before hashing.
find "$out" -name report.json -exec sed -i -E 's/"seconds": [0-9.e+-]+/"seconds": 0/' {} +
find "$out" -name report.md -exec sed -i -E 's/Compile time [0-9.]+ s\./Compile time 0 s./' {} +
(cd "$out" && find . -type f | sort | xargs sha256sum)
