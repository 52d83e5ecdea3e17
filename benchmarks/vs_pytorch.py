#!/usr/bin/env python3
"""hashscope vs PyTorch CPU (issue 4, "Speed"): same model, same weights, same threads, same batch.

Per architecture: random weights once (PyTorch's default init, scripts/parity_pytorch.py's
models and state_dict names), saved as safetensors and loaded by both sides. Both run a
random (batch, 3, 32, 32) input:
  encode:  eval-mode forward (PyTorch under torch.inference_mode) -> images/s
  train:   zero_grad, training-mode forward, backward of a fixed random dL/d(output)
           (standard normal / batch, output's shape; no loss function), SGD step
           (lr 0.01, momentum 0.9) -> ms/step
--warmup untimed runs (3), then the median of --iterations (10). hashscope runs as
`hashscope bench network --model W --json` (same protocol; see its --help).
sgemm peak: torch.mm of 2048x2048 float32 with torch.set_num_threads(threads), median GFLOP/s.
"our enc GFLOP/s" divides the direct convolution's FLOPs (GFLOP/fwd) by our encoding time; our
stride-1 3x3 and 5x5 convolutions run by Winograd with fewer multiplies, so this rate (and its
"% peak") is an equivalent one and can pass the sgemm peak.
Ratios are hashscope / PyTorch (images/s for encode, PyTorch ms / our ms for train); the last
line gives the minimum of each over the archs measured.
Run through benchmarks/vs-pytorch, which makes the venv and builds the binary.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from parity_pytorch import build, state_dict_arrays, write_safetensors  # noqa: E402


def median(xs):
    return float(np.median(np.array(xs)))


def sgemm_peak(n=2048, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / median(times) / 1e9


def forward_flops(model, x):
    try:
        from torch.utils.flop_counter import FlopCounterMode
        with torch.inference_mode(), FlopCounterMode(display=False) as counter:
            model(x)
        return counter.get_total_flops() / 1e9
    except Exception:  # noqa: BLE001 - a cross-check only
        return float("nan")


def torch_bench(model, x, g, iterations, warmup):
    model.eval()
    enc = []
    with torch.inference_mode():
        for i in range(warmup + iterations):
            t = time.perf_counter()
            model(x)
            dt = time.perf_counter() - t
            if i >= warmup:
                enc.append(dt)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    train = []
    for i in range(warmup + iterations):
        t = time.perf_counter()
        opt.zero_grad()
        out = model(x)
        out.backward(g)
        opt.step()
        dt = time.perf_counter() - t
        if i >= warmup:
            train.append(dt)
    return median(enc) * 1000, median(train) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=".build-benchnet/release/hashscope")
    p.add_argument("--arch", action="append", help="repeatable; default: dsh, dath")
    p.add_argument("--bits", type=int, default=48)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3, help="untimed runs of each measurement first")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", default=".cache/vs-pytorch")
    args = p.parse_args()
    archs = args.arch or ["dsh", "dath"]
    torch.set_num_threads(args.threads)
    os.makedirs(args.workdir, exist_ok=True)

    peak = sgemm_peak()
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, {args.bits} bits, 3x32x32, "
          f"median of {args.iterations} after {args.warmup} warm-up runs")
    print(f"sgemm peak (torch.mm 2048x2048 float32, {args.threads} threads): {peak:.1f} GFLOP/s")
    print("encode = eval forward; train = forward + backward of a fixed random dL/d(output) + SGD(momentum 0.9)")
    print("our enc GFLOP/s = direct-convolution FLOPs / our time (Winograd does fewer: it can pass the peak)")
    print()
    header = (f"{'arch':6} {'torch enc img/s':>15} {'ours':>8} {'ratio':>6}   {'torch train ms':>14} {'ours':>8} "
              f"{'ratio':>6}   {'GFLOP/fwd':>9} {'torch GFLOP':>11} {'our enc GFLOP/s':>15} {'% peak':>6}")
    rows = []
    for arch in archs:
        torch.manual_seed(args.seed)
        model = build(arch, args.bits, 32, None)
        weights = os.path.join(args.workdir, f"{arch}-{args.bits}.safetensors")
        write_safetensors(weights, state_dict_arrays(model))
        gen = torch.Generator().manual_seed(args.seed + 1)
        x = torch.randn(args.batch, 3, 32, 32, generator=gen)
        with torch.inference_mode():
            width = model.eval()(x[:1]).shape[1]
        g = torch.randn(args.batch, width, generator=gen) / args.batch
        tflop = forward_flops(model.eval(), x)
        t_enc_ms, t_train_ms = torch_bench(model, x, g, args.iterations, args.warmup)
        cmd = [args.binary, "bench", "network", "--arch", arch, "--bits", str(args.bits), "--batch", str(args.batch),
               "--threads", str(args.threads), "--iterations", str(args.iterations), "--warmup", str(args.warmup), "--model", weights, "--json"]
        ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        t_enc = args.batch / (t_enc_ms / 1000)
        enc_ratio = ours["encode_images_per_second"] / t_enc
        train_ratio = t_train_ms / ours["train_step_ms"]
        rows.append((arch, t_enc, ours["encode_images_per_second"], enc_ratio, t_train_ms, ours["train_step_ms"],
                     train_ratio, ours["forward_gflop"], tflop, ours["encode_gflops"]))
    print(header)
    for r in rows:
        print(f"{r[0]:6} {r[1]:15.0f} {r[2]:8.0f} {r[3]:6.2f}   {r[4]:14.1f} {r[5]:8.1f} {r[6]:6.2f}   "
              f"{r[7]:9.3f} {r[8]:11.3f} {r[9]:15.1f} {100 * r[9] / peak:5.0f}%")
    print()
    print(f"last line: minimum ratios over {', '.join(archs)} (encode: our images/s / torch's; "
          f"train: torch ms / our ms)")
    print(f"encode_ratio={min(r[3] for r in rows):.2f} train_ratio={min(r[6] for r in rows):.2f}")


if __name__ == "__main__":
    main()
