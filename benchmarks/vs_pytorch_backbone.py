#!/usr/bin/env python3
"""hashscope vs PyTorch CPU, the EfficientNet-Lite0 backbone (issue 7, "Speed").

Same network, same weights, same threads, same input: the forward pass to the pooled features
(stem, 16 MBConv blocks, head conv 1280 + ReLU6, global average pool -> (N, 1280); what hashing
encodes), at each --size (160 and 224) with a batch of --batch (64) and with a batch of 1
(single-image latency).

hashscope runs as `hashscope bench backbone --size S --batch B --threads T ... --save-features F
--json` (see its --help): it draws a fixed random normalised input (pixels uniform in 0..255,
scaled (x - 127) / 128), times it (--warmup untimed runs, then the median of --iterations) and
writes that input and its pooled features to F. PyTorch then runs on exactly that input:
scripts/reference_efficientnet.py's `features` (the PyTorch re-implementation the Swift model is
tested against; imported, not copied) on the same imported weights (the safetensors file hashscope
reads), then `.mean((2, 3))`, with torch.set_num_threads(T) under torch.inference_mode; same
warm-up and median. Its pooled features must equal hashscope's within --tolerance (max |diff| /
max |PyTorch|, default 1e-4) or the script stops with exit status 1 before any ratio is printed.

PyTorch runs as the reference is written: NCHW tensors, each batch norm its own op after its
convolution (hashscope folds them into the convolutions at load time). --channels-last also times
PyTorch on a channels_last input (oneDNN's preferred layout) as extra columns; the ratios stay
against the default layout.

--rounds R repeats every measurement R times, alternating hashscope and PyTorch, and keeps the
median of the R medians (the machine may be shared). `uptime` is printed at the start and the end.

Last line: backbone_ratio_160=X backbone_ratio_224=Y latency_ratio_160=.. latency_ratio_224=..
(hashscope images/s over PyTorch images/s; backbone at --batch, latency at batch 1).
Run through benchmarks/vs-pytorch-backbone, which makes the venv and builds the binary.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from parity_pytorch import read_safetensors  # noqa: E402
from reference_efficientnet import features  # noqa: E402


def median(xs):
    return float(np.median(np.array(xs)))


def uptime():
    try:
        return subprocess.run(["uptime"], check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: %.2f, %.2f, %.2f" % os.getloadavg()


def ours(args, size, batch, iterations, save):
    cmd = [args.binary, "bench", "backbone", "--size", str(size), "--batch", str(batch),
           "--threads", str(args.threads), "--iterations", str(iterations), "--warmup", str(args.warmup),
           "--weights", args.weights, "--seed", str(args.seed), "--json"]
    if save:
        cmd += ["--save-features", save]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"vs_pytorch_backbone: {' '.join(cmd)} failed ({run.returncode}):\n{run.stderr}")
    return json.loads(run.stdout)


def pooled(sd, x):
    return features(sd, x).mean(dim=(2, 3))


def torch_ms(sd, x, iterations, warmup):
    """Median ms of pooled(sd, x) and the output of the first run."""
    times, first = [], None
    with torch.inference_mode():
        for i in range(warmup + iterations):
            t = time.perf_counter()
            y = pooled(sd, x)
            dt = time.perf_counter() - t
            if first is None:
                first = y
            if i >= warmup:
                times.append(dt)
    return median(times) * 1000, first


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=".build-benchnet/release/hashscope")
    p.add_argument("--weights", default=".cache/backbones/efficientnet-lite0.safetensors",
                   help="the imported weights both sides load")
    p.add_argument("--size", type=int, action="append", help="repeatable; default: 160, 224")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=10, help="timed runs at --batch")
    p.add_argument("--latency-iterations", type=int, default=50, help="timed runs at batch 1")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    p.add_argument("--rounds", type=int, default=1, help="alternating repetitions of every measurement")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tolerance", type=float, default=1e-4)
    p.add_argument("--channels-last", action="store_true", help="also time PyTorch on a channels_last input")
    p.add_argument("--workdir", default=".cache/vs-pytorch-backbone")
    args = p.parse_args()
    sizes = args.size or [160, 224]
    if not os.path.exists(args.weights):
        sys.exit(f"vs_pytorch_backbone: {args.weights} missing; run scripts/fetch-backbone")
    torch.set_num_threads(args.threads)
    os.makedirs(args.workdir, exist_ok=True)

    print(f"start: {uptime()}")
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), hashscope {args.binary}, "
          f"{args.threads} threads, weights {args.weights}")
    print(f"forward to pooled features (N, 1280); median of {args.iterations} (batch {args.batch}) or "
          f"{args.latency_iterations} (batch 1) timed runs after {args.warmup} warm-up runs, "
          f"median over {args.rounds} round(s)")
    sd = {k: torch.from_numpy(v) for k, v in read_safetensors(args.weights).items()}

    rows, ratios = [], {}
    for size in sizes:
        for batch, iterations, key in [(args.batch, args.iterations, "backbone"), (1, args.latency_iterations, "latency")]:
            save = os.path.join(args.workdir, f"features-{size}-{batch}.safetensors")
            our_ms, torch_times, cl_times, error = [], [], [], None
            for r in range(args.rounds):
                result = ours(args, size, batch, iterations, save if r == 0 else None)
                our_ms.append(result["ms_per_batch"])
                if r == 0:
                    saved = read_safetensors(save)
                    x = torch.from_numpy(saved["input"])
                    assert tuple(x.shape) == (batch, 3, size, size), x.shape
                ms, y = torch_ms(sd, x, iterations, args.warmup)
                torch_times.append(ms)
                if r == 0:
                    reference = y.double().numpy()
                    error = float(np.abs(saved["pooled"].astype(np.float64) - reference).max() / np.abs(reference).max())
                    if not error < args.tolerance:
                        print(f"FAIL: {size}x{size} batch {batch}: pooled features differ, max |diff| / max |torch| = "
                              f"{error:.3g} > {args.tolerance:g}", flush=True)
                        sys.exit(1)
                if args.channels_last:
                    ms, _ = torch_ms(sd, x.contiguous(memory_format=torch.channels_last), iterations, args.warmup)
                    cl_times.append(ms)
            t_ms, o_ms = median(torch_times), median(our_ms)
            ratio = (batch / (o_ms / 1000)) / (batch / (t_ms / 1000))
            ratios[f"{key}_ratio_{size}"] = ratio
            rows.append((size, batch, t_ms, o_ms, ratio, error, median(cl_times) if cl_times else None, result["gflops"]))
            print(f"  {size}x{size} batch {batch}: torch {t_ms:.1f} ms, hashscope {o_ms:.1f} ms, ratio {ratio:.2f}, "
                  f"error {error:.1e}", flush=True)

    print()
    cl = args.channels_last
    header = (f"{'size':>4} {'batch':>5}  {'torch ms/batch':>14} {'ms/img':>7} {'img/s':>7}   "
              f"{'ours ms/batch':>13} {'ms/img':>7} {'img/s':>7} {'GFLOP/s':>7}  {'ratio':>5}  {'max rel err':>11}")
    if cl:
        header += f"   {'torch CL ms/img':>15} {'img/s':>7}"
    print(header)
    for size, batch, t_ms, o_ms, ratio, error, cl_ms, gflops in rows:
        line = (f"{size:4d} {batch:5d}  {t_ms:14.1f} {t_ms / batch:7.2f} {batch / (t_ms / 1000):7.1f}   "
                f"{o_ms:13.1f} {o_ms / batch:7.2f} {batch / (o_ms / 1000):7.1f} {gflops:7.1f}  {ratio:5.2f}  {error:11.1e}")
        if cl:
            line += f"   {cl_ms / batch:15.2f} {batch / (cl_ms / 1000):7.1f}"
        print(line)
    print()
    print(f"end: {uptime()}")
    print("ratio = hashscope images/s / PyTorch images/s; backbone at batch "
          f"{args.batch}, latency at batch 1")
    print(" ".join(f"{k}={ratios[k]:.2f}" for k in
                   [f"backbone_ratio_{s}" for s in sizes] + [f"latency_ratio_{s}" for s in sizes]))


if __name__ == "__main__":
    main()
