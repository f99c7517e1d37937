#!/usr/bin/env bash
# GPU check of the mini-batch engine (a few minutes on one H100/H200). Never yet run on CUDA:
# the session that wrote it had no GPU and ran only its CPU smoke form (DEVICE=cpu, below).
#
#   1. kernels     benchmarks/gpu_check.py --compile: every rule's backward on the device against
#                  the closed forms (fp32, fp16, bf16, and a linear-sign-linear net under autocast),
#                  then images/s of convnet4 (3x32x32) and resnet18 (3x224x224), ReLU vs FTP-SH,
#                  AMP on, eager and torch.compile'd
#   2. amp-compile ftprop train on one GPU with --amp bf16 --compile (CLI to result.json)
#   3. amp-fp16    ftprop train with --amp fp16 (the GradScaler path), then --resume to more epochs
#   4. ddp-nccl    torchrun --nproc-per-node 2: two processes, NCCL (needs two GPUs; skipped with a
#                  note on one)
#
# Logs and results go to $OUT (the device runner's folder) if set, else benchmarks/results/gpu_check/.
# Extra arguments go to gpu_check.py (e.g. --amp-dtype float16). Exit status 1 if any step failed.
#   bash benchmarks/gpu_check.sh
#   DEVICE=cpu bash benchmarks/gpu_check.sh       # smoke test of the script itself, no GPU needed
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
device="${DEVICE:-cuda}"
out="${OUT:-benchmarks/results/gpu_check}"
mkdir -p "$out"
status=0

step() {  # step NAME COMMAND...: run with a time limit, log to $out/NAME.log, one line: ok / FAILED
    local name=$1
    shift
    echo "$*" >"$out/$name.cmd"
    local start=$SECONDS
    if timeout "${STEP_TIMEOUT:-420}" "$@" >"$out/$name.log" 2>&1; then
        printf '%-16s ok in %d s\n' "$name" $((SECONDS - start))
    else
        printf '%-16s FAILED (exit %d) after %d s; last lines of %s:\n' "$name" $? $((SECONDS - start)) "$out/$name.log"
        tail -n 8 "$out/$name.log" | sed 's/^/   | /'
        status=1
    fi
}

skip() {  # skip NAME REASON: one line saying what was not checked, and why
    printf '%-16s skipped: %s\n' "$1" "$2" | tee "$out/$1.log"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$out/gpus.txt"
gpus=$(python -c "import torch; print(torch.cuda.device_count())")
train=(python -m ftprop.cli train --dataset digits --model mlp --hidden 256,256 --batch-norm --batch-size 64
       --json --no-progress --device "$device")

if [ "$device" = cpu ]; then
    skip cuda "DEVICE=cpu: no CUDA kernels, no AMP (autocast is a no-op on CPU), no NCCL"
    step kernels python benchmarks/gpu_check.py --device cpu --tiny --out "$out/gpu_check.json" "$@"
else
    step kernels python benchmarks/gpu_check.py --compile --out "$out/gpu_check.json" "$@"
fi
step amp-compile "${train[@]}" --epochs 2 --amp bf16 --compile --out "$out/run-bf16-compile"
step amp-fp16 "${train[@]}" --epochs 1 --amp fp16 --out "$out/run-fp16"
step amp-fp16-resume python -m ftprop.cli train --resume "$out/run-fp16" --epochs 2 --json --no-progress
if [ "$device" = cpu ]; then  # gloo stands in for NCCL: checks the launch, not the backend
    step ddp-gloo torchrun --standalone --nproc-per-node 2 -m ftprop.cli train --dataset digits --model mlp \
        --hidden 64,64 --epochs 1 --device cpu --threads 1 --json --no-progress --out "$out/run-ddp"
elif [ "$gpus" -ge 2 ]; then
    step ddp-nccl torchrun --standalone --nproc-per-node 2 -m ftprop.cli train --dataset digits --model mlp \
        --hidden 256,256 --batch-norm --epochs 2 --amp bf16 --json --no-progress --out "$out/run-ddp"
else
    skip ddp-nccl "NCCL needs one GPU per process and this machine has $gpus"
fi
echo "gpu_check.sh: $([ $status = 0 ] && echo 'all steps ok' || echo 'some steps FAILED'); logs in $out"
exit $status
