#!/usr/bin/env bash
# The GPU checks of the scale work, in one run (each part writes its results as it ends):
#   1. FedAvg with 10^6 clients at d = 64, every client training each round (keyed minibatches),
#      with all metrics and with the loss only;
#   2. bench_gpu.py: the float32 matmul peak, the engine cells (N = 1000, d = 4096; the quick
#      cell), the quick cell's rounds per second as one scan, DrJAX head to head;
#   3. FedAvg with 10^6 clients, 100 sampled (server model); DecL on the one-peer exponential
#      graph at 10^5 and 10^6 clients;
#   4. where the 10^6-client FedAvg round goes (losses only): the minibatches drawn by the
#      counter hash (--data hash-gaussian), no draw (--data fixed), one local step.
# Then OUT/gpu_results.tar holds every result file (one file to copy back).
# Usage: benchmarks/gpu_checks.sh OUT_DIR   (on a machine whose JAX sees a GPU)
set -u
out=${1:?usage: gpu_checks.sh OUT_DIR}
mkdir -p "$out/res"
export JAX_PLATFORMS=${JAX_PLATFORMS:-cuda} PYTHONUNBUFFERED=1 PYTHONPATH=${PYTHONPATH:-}:$PWD
py=${PYTHON:-python3}
for m in all loss; do
  $py benchmarks/bench_scale.py --n 1000000 --frameworks fl --clients-per-round 1000000 \
      --metrics $m --rounds 3 --timeout 150 --out "$out/res/scale_gpu_fl_all_clients_$m"
done
$py benchmarks/bench_gpu.py --parts peak,engine,rounds,drjax --out "$out/res"
$py benchmarks/bench_scale.py --n 1000000 --frameworks fl-server --rounds 3 --timeout 90 \
    --out "$out/res/scale_gpu_fl_server"
$py benchmarks/bench_scale.py --n 100000,1000000 --frameworks decl --mixing one-peer \
    --rounds 3 --timeout 120 --out "$out/res/scale_gpu_decl_one_peer"
for v in "--data hash-gaussian:hash" "--data fixed:fixed" "--local-steps 1:one_step"; do
  $py benchmarks/bench_scale.py --n 1000000 --frameworks fl --clients-per-round 1000000 \
      --metrics loss --rounds 3 --timeout 150 ${v%%:*} --out "$out/res/scale_gpu_fl_loss_${v##*:}"
done
tar -C "$out/res" -cf "$out/gpu_results.tar" .
