#!/usr/bin/env python3
"""Parity check of hashscope's networks against PyTorch (issue 4, "Verification").

For each --arch: a PyTorch nn.Module mirroring hashscope's network exactly (same layer order,
same state_dict names), random weights from a seed written to safetensors, a random input
batch (N=4, 3x32x32) and a random dL/d(output). `hashscope forward` runs forward + backward
on them; PyTorch does the same (in float64 by default, from the same float32 weights and
inputs, so the reference is hashscope's exact answer up to float64 rounding). Compared: the
output, the input gradient and every parameter gradient, each by

    max |hashscope - reference| / max |reference|

PASS when every tensor is <= --tolerance (1e-4). Exit 0 only if all pass.

Run it through scripts/parity-pytorch, which makes the venv and builds the binary.
With --golden DIR it also writes each case's inputs and PyTorch's results there
(weights.safetensors, input.npy, grad_output.npy, reference.safetensors) for Swift tests.
"""

import argparse
import copy
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# "+bn": hashscope's batch-norm variant (train --batch-norm; nin's recipe), told apart by its weights.
ARCHS = ["dsh", "dath", "cbam", "nin", "dfeh", "dah", "dsh+bn", "nin+bn", "dfeh+bn", "dah+bn", "dath+bn"]


# ---------------------------------------------------------------- safetensors (F32 only)

def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> numpy array (written as little-endian float32)."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    base = 8 + length
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: {name} has dtype {entry['dtype']}, this reader knows F32 only")
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(raw[base + begin:base + end], dtype="<f4").reshape(entry["shape"]).copy()
    return out


# ---------------------------------------------------------------- the networks, as hashscope builds them

def conv(cin, cout, k, stride=1, padding=0, bias=True):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=bias)


class GlobalAvgPool2d(nn.Module):
    def forward(self, x):  # (N,C,H,W) -> (N,C)
        return x.mean(dim=(2, 3))


class FeatureEnhancement(nn.Module):
    """y = x + conv3x3(relu(conv3x3(x)))"""

    def __init__(self, c):
        super().__init__()
        self.conv1 = conv(c, c, 3, padding=1)
        self.conv2 = conv(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(x)))


class MLPConv(nn.Module):
    """NIN's mlpconv; with batch_norm (hashscope's nin), conv (no bias) -> BatchNorm2d -> ReLU, names bn1..bn3."""

    def __init__(self, cin, channels, k, batch_norm=False):
        super().__init__()
        self.conv1 = conv(cin, channels[0], k, padding=k // 2, bias=not batch_norm)
        self.conv2 = conv(channels[0], channels[1], 1, bias=not batch_norm)
        self.conv3 = conv(channels[1], channels[2], 1, bias=not batch_norm)
        if batch_norm:
            self.bn1, self.bn2, self.bn3 = (nn.BatchNorm2d(c) for c in channels)
        self.batch_norm = batch_norm

    def forward(self, x):
        norm = (lambda i, z: getattr(self, f"bn{i}")(z)) if self.batch_norm else (lambda i, z: z)
        x = F.relu(norm(1, self.conv1(x)))
        x = F.relu(norm(2, self.conv2(x)))
        return F.relu(norm(3, self.conv3(x)))


class ResidualSoftMaskAttention(nn.Module):
    """(1 + sigmoid(conv1x1(relu(conv3x3(x))))) * trunk(x); names trunk.*, mask.conv1.*, mask.conv2.*"""

    def __init__(self, trunk, cin, cout):
        super().__init__()
        self.trunk = trunk
        self.mask = nn.Module()
        self.mask.conv1 = conv(cin, cout, 3, padding=1)
        self.mask.conv2 = conv(cout, cout, 1)

    def forward(self, x):
        m = torch.sigmoid(self.mask.conv2(F.relu(self.mask.conv1(x))))
        return (1 + m) * self.trunk(x)


class PAM(nn.Module):
    """DANet's PAM_Module."""

    def __init__(self, c):
        super().__init__()
        r = max(1, c // 8)
        self.query_conv = conv(c, r, 1)
        self.key_conv = conv(c, r, 1)
        self.value_conv = conv(c, c, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        n, c, h, w = x.shape
        q = self.query_conv(x).view(n, -1, h * w).permute(0, 2, 1)
        k = self.key_conv(x).view(n, -1, h * w)
        attention = torch.softmax(torch.bmm(q, k), dim=-1)
        v = self.value_conv(x).view(n, -1, h * w)
        out = torch.bmm(v, attention.permute(0, 2, 1)).view(n, c, h, w)
        return self.gamma * out + x


class CAM(nn.Module):
    """DANet's CAM_Module."""

    def __init__(self):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        n, c, h, w = x.shape
        q = x.view(n, c, -1)
        energy = torch.bmm(q, q.permute(0, 2, 1))
        energy_new = torch.max(energy, -1, keepdim=True)[0].expand_as(energy) - energy
        attention = torch.softmax(energy_new, dim=-1)
        out = torch.bmm(attention, x.view(n, c, -1)).view(n, c, h, w)
        return self.gamma * out + x


class ChannelGate(nn.Module):
    def __init__(self, c, reduction=16):
        super().__init__()
        hidden = max(1, c // reduction)
        self.fc1 = nn.Linear(c, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, c, bias=False)

    def forward(self, x):
        n, c = x.shape[:2]
        avg = F.adaptive_avg_pool2d(x, 1).view(n, c)
        mx = F.adaptive_max_pool2d(x, 1).view(n, c)
        mlp = lambda v: self.fc2(F.relu(self.fc1(v)))
        gate = torch.sigmoid(mlp(avg) + mlp(mx))
        return x * gate.view(n, c, 1, 1)


class SpatialGate(nn.Module):
    def __init__(self, k=7):
        super().__init__()
        self.conv = conv(2, 1, k, padding=k // 2, bias=False)

    def forward(self, x):
        pooled = torch.cat([x.mean(1, keepdim=True), torch.max(x, 1, keepdim=True)[0]], dim=1)
        return x * torch.sigmoid(self.conv(pooled))


class CBAM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.channel = ChannelGate(c)
        self.spatial = SpatialGate()

    def forward(self, x):
        return self.spatial(self.channel(x))


class Branches(nn.Module):
    def __init__(self, first, second, names):
        super().__init__()
        self.names = names
        setattr(self, names[0], first)
        setattr(self, names[1], second)

    def forward(self, x):
        return getattr(self, self.names[0])(x) + getattr(self, self.names[1])(x)


def named_sequential(pairs):
    seq = nn.Sequential()
    for name, module in pairs:
        seq.add_module(name, module)
    return seq


class HashingNetwork(nn.Module):
    def __init__(self, features, feature_count, bits, classes, activation, classifier_on_codes=False):
        super().__init__()
        self.features = features
        self.hash = nn.Linear(feature_count, bits)
        self.classifier = None if classes is None else nn.Linear(bits if classifier_on_codes else feature_count, classes)
        self.activation = activation
        self.classifier_on_codes = classifier_on_codes

    def forward(self, x):
        f = self.features(x)
        pre = self.hash(f)
        codes = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda t: t}[self.activation](pre)
        if self.classifier is None:
            return codes
        logits = self.classifier(codes if self.classifier_on_codes else f)
        return torch.cat([codes, logits], dim=1)


def dsh_geometry_last(size):
    a = (size - 3) // 2 + 1
    b = (a - 3) // 2 + 1
    return (b - 3) // 2 + 1


def conv5(cin, cout, bn):
    """The papers' 5x5 'same' convolution; with bn, without bias and followed by BatchNorm2d."""
    return [conv(cin, cout, 5, padding=2, bias=not bn)] + ([nn.BatchNorm2d(cout)] if bn else [])


def dsh_layers(size, second_stage=None, bn=False):
    last = dsh_geometry_last(size)
    second = [second_stage] if second_stage is not None else conv5(32, 32, bn) + [nn.ReLU()]
    return conv5(3, 32, bn) + [nn.MaxPool2d(3, 2), nn.ReLU()] + second + [nn.AvgPool2d(3, 2)] + conv5(32, 64, bn) + [
        nn.ReLU(), nn.AvgPool2d(3, 2), nn.Flatten(), nn.Linear(64 * last * last, 500), nn.ReLU()]


def residual_block(cin, cout, stride):
    body = nn.Sequential(conv(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         conv(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
    shortcut = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
        conv(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
    return named_sequential([("block", Branches(body, shortcut, ("body", "shortcut"))), ("relu", nn.ReLU())])


def build(case, bits, size, classes):
    arch, bn = case.removesuffix("+bn"), case.endswith("+bn")
    if arch == "dsh":
        return HashingNetwork(nn.Sequential(*dsh_layers(size, bn=bn)), 500, bits, classes, "linear")
    if arch == "dfeh":
        return HashingNetwork(nn.Sequential(FeatureEnhancement(3), *dsh_layers(size, bn=bn)), 500, bits, classes, "linear")
    if arch == "dah":
        trunk = nn.Sequential(*conv5(32, 32, bn), nn.ReLU())
        attention = ResidualSoftMaskAttention(trunk, 32, 32)
        return HashingNetwork(nn.Sequential(*dsh_layers(size, attention, bn)), 500, bits, classes, "linear")
    if arch == "nin":
        features = nn.Sequential(MLPConv(3, (64, 64, 64), 5, bn), nn.MaxPool2d(3, 2),
                                 MLPConv(64, (128, 128, 128), 5, bn), nn.MaxPool2d(3, 2),
                                 MLPConv(128, (128, 128, 128), 3, bn), GlobalAvgPool2d())
        return HashingNetwork(features, 128, bits, classes if classes is not None else 10, "sigmoid",
                              classifier_on_codes=True)
    if arch == "dath":
        position = named_sequential([("pam", PAM(64)), ("pool", GlobalAvgPool2d()), ("fc", nn.Linear(64, 256))])
        channel = named_sequential([("cam", CAM()), ("pool", GlobalAvgPool2d()), ("fc", nn.Linear(64, 256))])
        backbone = nn.Sequential(*conv5(3, 32, bn), nn.MaxPool2d(3, 2), nn.ReLU(), *conv5(32, 64, bn),
                                 nn.ReLU(), nn.AvgPool2d(3, 2))
        features = named_sequential([("backbone", backbone),
                                     ("streams", Branches(position, channel, ("position", "channel"))),
                                     ("relu", nn.ReLU())])
        return HashingNetwork(features, 256, bits, classes if classes is not None else 10, "tanh")
    if arch == "cbam":
        stem = nn.Sequential(conv(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        features = named_sequential([("stem", stem), ("layer1", residual_block(32, 32, 1)),
                                     ("layer2", residual_block(32, 64, 2)), ("layer3", residual_block(64, 128, 2)),
                                     ("cbam", CBAM(128)), ("pool", GlobalAvgPool2d())])
        return HashingNetwork(features, 128, bits, classes if classes is not None else 10, "tanh",
                              classifier_on_codes=True)
    raise ValueError(arch)


def randomize(model, generator):
    """PyTorch's default init for convs and linears; nonzero gammas (DANet starts them at 0,
    which would hide Q, K and V from the gradients) and non-trivial BatchNorm state."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.copy_(torch.rand(p.shape, generator=generator) * 0.8 + 0.2)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=generator) + 0.5)


def closest_tie(model, x):
    """The smallest gap, relative to the map's largest value, where float32 rounding can send a
    gradient elsewhere, in training and in evaluation mode: between the two largest inputs of a
    max-pool window whose maximum is positive (CBAM's maxima count too: the channel gate's over
    each map, the spatial gate's over the channels at each position), or between a ReLU's input
    and zero. Below the rounding of a few float32 layers (1e-5) hashscope and the float64
    reference may pick different maxima or opposite sides of the ReLU, and the gradient then
    flows to another element: a tie in the input, not an error in either (seen: nin+bn, a
    window whose two largest inputs were 1.4e-06 apart; cbam at batch 16, a ReLU input 2.0e-06
    of its map's largest from zero)."""
    gaps = []

    def record(t, windows):  # windows: (count, window size)
        top = windows.topk(2, dim=1).values
        positive = top[:, 0] > 0
        if positive.any():
            gaps.append(float((top[:, 0] - top[:, 1])[positive].min() / t.abs().max()))

    def hook(module, inputs, _output):
        t = inputs[0].detach()
        n, c, h, w = t.shape
        if isinstance(module, nn.MaxPool2d):
            record(t, F.unfold(t.reshape(n * c, 1, h, w), module.kernel_size, stride=module.stride, padding=module.padding))
        elif isinstance(module, ChannelGate):
            record(t, t.reshape(n * c, h * w))
        else:  # SpatialGate
            record(t, t.permute(0, 2, 3, 1).reshape(n * h * w, c))

    relu = F.relu

    def recording_relu(t, *args, **kwargs):  # nn.ReLU calls it too
        nonzero = t.detach().abs()[t.detach() != 0]
        if nonzero.numel():
            gaps.append(float(nonzero.min() / nonzero.max()))
        return relu(t, *args, **kwargs)

    model = copy.deepcopy(model).double()
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.MaxPool2d, ChannelGate, SpatialGate))]
    F.relu = recording_relu
    try:
        with torch.no_grad():
            for train in (True, False):
                model.train(train)
                model(torch.from_numpy(x).double())
    finally:
        F.relu = relu
        for handle in handles:
            handle.remove()
    return min(gaps, default=float("inf"))


def state_dict_arrays(model):
    return {k: v.detach().float().numpy() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def reference(arch, bits, size, classes, weights, x, g, train, dtype):
    model = build(arch, bits, size, classes)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(f"{arch}: weights do not fit the PyTorch model: missing {missing}, unexpected {unexpected}")
    model = model.to(dtype)
    model.train(train)
    xt = torch.from_numpy(x).to(dtype).requires_grad_(True)
    out = model(xt)
    out.backward(torch.from_numpy(g).to(dtype))
    result = {"output": out.detach().double().numpy(), "grad.input": xt.grad.double().numpy()}
    for name, p in model.named_parameters():
        result["grad." + name] = p.grad.double().numpy()
    return result


def compare(ours, ref):
    """(name, relative error, scale, note) per tensor. A tensor whose reference is zero up to
    float64 rounding (below 1e-7 of the case's largest gradient: PAM's key_conv bias, whose
    gradient is exactly 0 since adding q_i . b to a softmax row changes nothing) is measured
    against the case's largest gradient instead of its own (rounding-noise) maximum."""
    rows, missing = [], []
    case_scale = max(float(np.max(np.abs(r))) for n, r in ref.items() if n.startswith("grad.") and r.size)
    for name, r in ref.items():
        if name not in ours:
            missing.append(f"{name}: missing from hashscope's results")
            continue
        o = ours[name].astype(np.float64)
        if o.shape != r.shape:
            missing.append(f"{name}: hashscope shape {list(o.shape)}, reference {list(r.shape)}")
            continue
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        diff = float(np.max(np.abs(o - r))) if r.size else 0.0
        note = ""
        if name.startswith("grad.") and scale < 1e-7 * case_scale:
            note, scale = "zero in exact arithmetic; relative to the largest gradient", case_scale
        rel = diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
        rows.append((name, rel, scale, note))
    for name in ours:
        if name not in ref:
            missing.append(f"{name}: hashscope has it, the reference does not")
    return rows, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build-parity/release/hashscope")
    parser.add_argument("--arch", action="append", choices=ARCHS, help="repeatable; default: all")
    parser.add_argument("--bits", type=int, default=48)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--modes", default="train,eval", help="comma list of train, eval")
    parser.add_argument("--reference-dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--workdir", default=".cache/parity")
    parser.add_argument("--golden", help="also write each case's inputs and PyTorch's results under this folder")
    parser.add_argument("--verbose", action="store_true", help="print every tensor, not just each case's worst")
    args = parser.parse_args()

    torch.set_num_threads(2)
    dtype = torch.float64 if args.reference_dtype == "float64" else torch.float32
    archs = args.arch or ARCHS
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    all_pass = True
    print(f"torch {torch.__version__}, reference in {args.reference_dtype}, N={args.batch}, 3x{args.size}x{args.size}, "
          f"bits={args.bits}, classes={args.classes}, tolerance {args.tolerance:g} (max |diff| / max |reference|)")
    for arch in archs:
        # Seeded by the arch's place in ARCHS, so `--arch A` alone draws what the full run draws.
        index = ARCHS.index(arch)
        generator = torch.Generator().manual_seed(args.seed * 1000 + index)
        torch.manual_seed(args.seed * 1000 + index)
        model = build(arch, args.bits, args.size, args.classes)
        randomize(model, generator)
        weights = state_dict_arrays(model)
        x = torch.randn(args.batch, 3, args.size, args.size, generator=generator).numpy()
        out_width = args.bits + args.classes
        g = torch.randn(args.batch, out_width, generator=generator).numpy()
        for draw in range(1, 4):
            ok = check_case(args, arch, model, weights, x, g, modes, dtype)
            gap = closest_tie(model, x)
            if ok or gap >= 1e-5 or draw == 3:
                break
            # A tie (see closest_tie) explains a failed draw; a real error fails every draw.
            print(f"{arch}: draw {draw} failed with a tie {gap:.1e} of its map's largest value wide (closest_tie); drawing another input")
            x = torch.randn(args.batch, 3, args.size, args.size, generator=generator).numpy()
        all_pass &= ok
    print("ALL PASS" if all_pass else "SOME FAILED")
    return 0 if all_pass else 1


def check_case(args, arch, model, weights, x, g, modes, dtype):
    """Runs hashscope forward on one case in every mode and compares it with the reference;
    prints a line per mode and returns whether all passed."""
    all_pass = True
    folder = os.path.join(args.workdir, arch)
    os.makedirs(folder, exist_ok=True)
    weights_path = os.path.join(folder, "weights.safetensors")
    write_safetensors(weights_path, weights, {"arch": arch, "seed": str(args.seed)})
    np.save(os.path.join(folder, "input.npy"), x)
    np.save(os.path.join(folder, "grad_output.npy"), g)

    for mode in modes:
        train = mode == "train"
        result_path = os.path.join(folder, f"hashscope-{mode}.safetensors")
        command = [args.binary, "forward", "--arch", arch.removesuffix("+bn"), "--bits", str(args.bits), "--classes", str(args.classes),
                   "--model", weights_path, "--input", os.path.join(folder, "input.npy"),
                   "--grad-output", os.path.join(folder, "grad_output.npy"), "--out", result_path]
        if not train:
            command.append("--eval")
        run = subprocess.run(command, capture_output=True, text=True)
        label = f"{arch}/{mode}"
        if run.returncode != 0:
            all_pass = False
            print(f"{label:12s} FAIL: hashscope forward exited {run.returncode}: {run.stderr.strip()}")
            continue
        ours = read_safetensors(result_path)
        ref = reference(arch, args.bits, args.size, args.classes, weights, x, g, train, dtype)
        if args.golden:
            gold = os.path.join(args.golden, arch)
            os.makedirs(gold, exist_ok=True)
            write_safetensors(os.path.join(gold, "weights.safetensors"), weights, {"arch": arch})
            np.save(os.path.join(gold, "input.npy"), x)
            np.save(os.path.join(gold, "grad_output.npy"), g)
            write_safetensors(os.path.join(gold, f"reference-{mode}.safetensors"),
                              {k: v.astype(np.float32) for k, v in ref.items()},
                              {"arch": arch, "mode": mode, "torch": torch.__version__})
        rows, missing = compare(ours, ref)
        failed = [r for r in rows if not r[1] <= args.tolerance]
        ok = not failed and not missing
        all_pass &= ok
        worst = max(rows, key=lambda r: r[1]) if rows else ("-", float("nan"), 0, "")
        byname = {r[0]: r[1] for r in rows}
        print(f"{label:12s} {'PASS' if ok else 'FAIL'}  tensors={len(rows)}  output={byname.get('output', float('nan')):.2e}"
              f"  grad.input={byname.get('grad.input', float('nan')):.2e}  worst={worst[1]:.2e} ({worst[0]})")
        for name, rel, scale, note in rows:
            if args.verbose or rel > args.tolerance or note:
                print(f"    {name:60s} {rel:.3e}  (scale {scale:.3e}){'  FAIL' if rel > args.tolerance else ''}"
                      f"{'  [' + note + ']' if note else ''}")
        for line in missing:
            print(f"    {line}  FAIL")
    return all_pass


if __name__ == "__main__":
    sys.exit(main())
