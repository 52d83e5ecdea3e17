#!/usr/bin/env python3
"""hashscope vs PyTorch CPU on the torchvision families (issue 18): forward at 224 x 224.

Per --arch (default deephash-resnet50): the DeepHash-pytorch network from torchvision's
constructor with random weights (scripts/parity_torchvision.py's modules), saved by
torch.save and converted by `hashscope import --torch --arch`, so both sides hold the same
weights. Timed: the eval-mode forward of a random (batch, 3, 224, 224) batch to the hash
layer's output; PyTorch under torch.inference_mode with torch.set_num_threads(threads), NCHW;
hashscope as `hashscope bench network --model M --encode-only --json` (same protocol: --warmup
untimed runs, then the median of --iterations). The two sides alternate over --rounds rounds,
each round timing both; the figures are the medians over rounds. ratio = PyTorch ms / hashscope
ms (above 1: hashscope is faster). Correctness is scripts/parity-pytorch --torchvision's.
Run through benchmarks/vs-pytorch-torchvision, which makes the venv and builds the binary.
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
from parity_torchvision import ARCHS, build, randomize  # noqa: E402


def torch_forward_ms(model, x, iterations, warmup):
    times = []
    with torch.inference_mode():
        for i in range(warmup + iterations):
            start = time.perf_counter()
            model(x)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= warmup:
                times.append(elapsed)
    return float(np.median(times))


def ours_forward(binary, arch, bits, model, batch, threads, iterations, warmup):
    command = [binary, "bench", "network", "--arch", arch, "--bits", str(bits), "--model", model, "--batch", str(batch),
               "--threads", str(threads), "--iterations", str(iterations), "--warmup", str(warmup), "--encode-only",
               "--json"]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"hashscope bench network failed ({run.returncode}): {run.stderr.strip()}")
    return json.loads(run.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build-benchnet/release/hashscope")
    parser.add_argument("--arch", action="append", choices=ARCHS, help="repeatable; default: deephash-resnet50")
    parser.add_argument("--bits", type=int, default=48)
    parser.add_argument("--batch", type=int, action="append", help="repeatable; default: 16 and 1")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", default=".cache/bench-torchvision")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    print(f"torch {torch.__version__}, {args.threads} threads, 224 x 224, bits {args.bits}, median of {args.iterations} "
          f"after {args.warmup} warm-up, {args.rounds} alternating rounds; load average {load:.2f}")
    print(f"{'arch':20s} {'batch':>5s} {'torch ms/batch':>15s} {'ms/img':>8s} {'ours ms/batch':>14s} {'ms/img':>8s} "
          f"{'GFLOP/s':>8s} {'ratio':>6s}")
    ratios = []
    for index, arch in enumerate(args.arch or ["deephash-resnet50"]):
        torch.manual_seed(index)
        model = build(arch, args.bits).eval()
        randomize(model, torch.Generator().manual_seed(index))
        folder = os.path.join(args.workdir, arch)
        os.makedirs(folder, exist_ok=True)
        checkpoint, imported = os.path.join(folder, "model.pt"), os.path.join(folder, "model.safetensors")
        torch.save(model.state_dict(), checkpoint)
        run = subprocess.run([args.binary, "import", "--torch", checkpoint, "--arch", arch, "--out", imported],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"hashscope import failed ({run.returncode}): {run.stderr.strip()}")
        for batch in args.batch or [16, 1]:
            x = torch.randn(batch, 3, 224, 224)
            theirs, ours, gflops = [], [], []
            for _ in range(args.rounds):
                theirs.append(torch_forward_ms(model, x, args.iterations, args.warmup))
                report = ours_forward(args.binary, arch, args.bits, imported, batch, args.threads, args.iterations, args.warmup)
                ours.append(report["encode_ms"])
                gflops.append(report["encode_gflops"])
            t, o = float(np.median(theirs)), float(np.median(ours))
            ratios.append(t / o)
            print(f"{arch:20s} {batch:5d} {t:15.1f} {t / batch:8.2f} {o:14.1f} {o / batch:8.2f} {np.median(gflops):8.1f} "
                  f"{t / o:6.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print(f"forward_ratio={min(ratios):.2f}")


if __name__ == "__main__":
    main()
