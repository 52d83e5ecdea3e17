#!/usr/bin/env python3
"""Writes the small PyTorch checkpoints under Tests/InterchangeTests/Fixtures/torch/.

Usage (from the repository root; torch is needed, so it runs outside CI):
    .cache/parity-venv/bin/python scripts/make-torch-fixtures.py

Everything is seeded, so reruns give the same tensors (the zip files also carry a
random serialization id, so their bytes may differ; the tests compare tensors, not bytes).

What it writes:
    tiny.pt            conv(2->3, 3x3) + bn(3) + linear(3->4) state_dict, zip format (torch.save default)
    tiny-legacy.pt     the same state_dict, legacy format (_use_new_zipfile_serialization=False)
    views.pt           a transposed (non-contiguous) tensor, and two tensors sharing one storage
                       at different offsets (one of them a strided 2-D view), zip format
    views-legacy.pt    the same dict, legacy format
    half.pt            float16 tensors (and one bfloat16, one float64), zip format
    wrapped.pt         {"state_dict": tiny's state_dict, "epoch": 3, "arch": "tiny"}, zip format
    tiny-deflated.pt   tiny.pt re-zipped with deflate (torch itself stores entries uncompressed;
                       re-zipping tools do not), which torch.load still reads
    expected.json      per file: where the state dict is, and per tensor: name, dtype, shape and
                       all values (flattened, row-major, as float64)
"""
import json
import os
import sys
import zipfile

import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "InterchangeTests", "Fixtures", "torch")


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3, 4)


def tiny_state_dict():
    torch.manual_seed(7)
    model = Tiny()
    # Running statistics that are not the defaults, so a reader that ignores them fails.
    model.bn.running_mean.copy_(torch.randn(3))
    model.bn.running_var.copy_(torch.rand(3) + 0.5)
    model.bn.num_batches_tracked.fill_(12)
    return model.state_dict()


def views_dict():
    torch.manual_seed(11)
    matrix = torch.randn(3, 5)
    base = torch.arange(12, dtype=torch.float32) * 0.5 - 1.0
    return {
        "transposed": matrix.t(),                       # (5, 3), strides (1, 5)
        "shared.head": base[2:8],                       # offset 2, shape (6,)
        "shared.grid": base[3:12].view(3, 3)[:, ::2],   # offset 3, shape (3, 2), strides (3, 2)
    }


def half_dict():
    torch.manual_seed(13)
    return {
        "weight": torch.randn(4, 3).half(),
        "bias": torch.tensor([0.5, -2.0, 65504.0, 1e-4]).half(),
        "brain": torch.randn(2, 2).bfloat16(),
        "double": torch.randn(3, dtype=torch.float64),
    }


def describe(tensors):
    return [{"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
             "values": [float(v) for v in t.reshape(-1).tolist()]}
            for name, t in tensors.items()]


def main():
    os.makedirs(OUT, exist_ok=True)
    tiny = tiny_state_dict()
    views = views_dict()
    assert not views["transposed"].is_contiguous() and not views["shared.grid"].is_contiguous()
    assert views["shared.head"].untyped_storage().data_ptr() == views["shared.grid"].untyped_storage().data_ptr()
    half = half_dict()

    def save(obj, name, legacy=False):
        path = os.path.join(OUT, name)
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
        # Check that torch reads back what we promise the tests.
        back = torch.load(path, weights_only=True)
        inner = back["state_dict"] if "state_dict" in back else back
        source = obj["state_dict"] if "state_dict" in obj else obj
        for key, value in source.items():
            assert torch.equal(inner[key], value), (name, key)

    save(tiny, "tiny.pt")
    save(tiny, "tiny-legacy.pt", legacy=True)
    save(views, "views.pt")
    save(views, "views-legacy.pt", legacy=True)
    save(half, "half.pt")
    save({"state_dict": tiny, "epoch": 3, "arch": "tiny"}, "wrapped.pt")
    with zipfile.ZipFile(os.path.join(OUT, "tiny.pt")) as source, \
            zipfile.ZipFile(os.path.join(OUT, "tiny-deflated.pt"), "w") as target:
        for name in source.namelist():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(name))
    back = torch.load(os.path.join(OUT, "tiny-deflated.pt"), weights_only=True)
    assert all(torch.equal(back[k], v) for k, v in tiny.items())

    expected = {
        "tiny.pt": {"state_dict_key": None, "tensors": describe(tiny)},
        "tiny-legacy.pt": {"state_dict_key": None, "tensors": describe(tiny)},
        "tiny-deflated.pt": {"state_dict_key": None, "tensors": describe(tiny)},
        "views.pt": {"state_dict_key": None, "tensors": describe(views)},
        "views-legacy.pt": {"state_dict_key": None, "tensors": describe(views)},
        "half.pt": {"state_dict_key": None, "tensors": describe(half)},
        "wrapped.pt": {"state_dict_key": "state_dict", "tensors": describe(tiny)},
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):6d}  {name}")


if __name__ == "__main__":
    sys.exit(main())
