#!/usr/bin/env bash
# One short GPU run of the mini-batch engine (about a minute on one H100): closed forms on the
# device, then images/s of convnet4 (CIFAR-shaped) and resnet18 (ImageNet-shaped), ReLU vs
# FTP-SH, AMP on. Writes gpu_check.json to $OUT (the device runner's folder) if set, else to
# benchmarks/results/. Extra arguments go to gpu_check.py (e.g. --compile, --amp-dtype float16).
#   bash benchmarks/gpu_check.sh
#   bash benchmarks/gpu_check.sh --device cpu --tiny     # smoke test without a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir="${OUT:-benchmarks/results}"
mkdir -p "$out_dir"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
exec timeout 300 python benchmarks/gpu_check.py --out "$out_dir/gpu_check.json" "$@"
