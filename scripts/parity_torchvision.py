#!/usr/bin/env python3
"""Parity of hashscope's torchvision families with PyTorch, end to end through `import` (issue 18).

For each --arch: the network as DeepHash-pytorch's network.py composes it from torchvision's
constructors (AlexNet, ResNet-18/34/50/101/152; VGG-16 as HashNet's VGGFc), with random
weights from those constructors (ImageNet weights cannot be downloaded here) and random batch
norm statistics, saved with torch.save(model.state_dict()) as a user's training run saves it.
Then `hashscope import --torch model.pt --arch deephash-X` converts it, `hashscope forward
--eval` runs a random normalised 224 x 224 batch forward and backward, and PyTorch (float64
from the same float32 weights) does the same. PASS when the hash layer's output is within
--tolerance (1e-4) by max |hashscope - reference| / max |reference|, and every code bit
(its sign) agrees.

The input gradient is printed too, not judged: at 224 x 224 these networks hold millions of
ReLU inputs, and a few lie within float32 rounding of 0, where the gradient jumps (moving the
input by 1e-5 changes PyTorch's own float64 input gradient of deephash-resnet18 by 7e-2 of its
scale; by 1e-6, not at all). Where no ReLU flips, it agrees to 1e-5 or better.
The layers' backward passes are judged by the six archs' parity at 32 x 32 and the unit tests.

Run it through `scripts/parity-pytorch --torchvision`, which makes the venv and builds the binary.
"""

import argparse
import os
import subprocess
import sys

import types

import numpy as np
import torch
import torch.nn as nn

# PyPI's torchvision 0.28.0 is built against the CUDA torch: its compiled ops (nms, roi_align)
# do not load into the CPU wheel, and registering their meta kernels fails at import. The
# models use none of them, so that registration is skipped.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
import torchvision  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# torchvision's constructors leave BN at weight 1, bias 0, mean 0, var 1: `randomize` gives it
# random values, so the check sees every term of the normalisation.
from parity_pytorch import randomize, read_safetensors  # noqa: E402

ARCHS = ["deephash-alexnet", "deephash-resnet18", "deephash-resnet34", "deephash-resnet50", "deephash-resnet101",
         "deephash-vgg16"]


class DeepHashAlexNet(nn.Module):
    """network.py's AlexNet: torchvision's features, its two fc 4096 layers in `hash_layer`."""

    def __init__(self, bits):
        super().__init__()
        base = torchvision.models.alexnet(weights=None)
        self.features = base.features
        self.hash_layer = nn.Sequential(nn.Dropout(), base.classifier[1], nn.ReLU(inplace=True), nn.Dropout(),
                                        base.classifier[4], nn.ReLU(inplace=True), nn.Linear(4096, bits))

    def forward(self, x):
        return self.hash_layer(self.features(x).view(x.size(0), 256 * 6 * 6))


class DeepHashResNet(nn.Module):
    """network.py's ResNet: the trunk registered twice (its own names and `feature_layers`)."""

    def __init__(self, bits, depth):
        super().__init__()
        base = getattr(torchvision.models, f"resnet{depth}")(weights=None)
        self.conv1, self.bn1, self.relu, self.maxpool = base.conv1, base.bn1, base.relu, base.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = base.layer1, base.layer2, base.layer3, base.layer4
        self.avgpool = base.avgpool
        self.feature_layers = nn.Sequential(self.conv1, self.bn1, self.relu, self.maxpool, self.layer1, self.layer2,
                                            self.layer3, self.layer4, self.avgpool)
        self.hash_layer = nn.Linear(base.fc.in_features, bits)
        self.hash_layer.weight.data.normal_(0, 0.01)
        self.hash_layer.bias.data.fill_(0.0)

    def forward(self, x):
        return self.hash_layer(self.feature_layers(x).view(x.size(0), -1))


class HashNetVGG16(nn.Module):
    """HashNet's VGGFc (without its tanh): features, the classifier's first six modules as
    classifier.classifier0..5, both again inside `feature_layers`, and an fc hash layer."""

    def __init__(self, bits):
        super().__init__()
        base = torchvision.models.vgg16(weights=None)
        self.features = base.features
        self.classifier = nn.Sequential()
        for i in range(6):
            self.classifier.add_module(f"classifier{i}", base.classifier[i])
        self.feature_layers = nn.Sequential(self.features, self.classifier)
        self.hash_layer = nn.Linear(4096, bits)
        self.hash_layer.weight.data.normal_(0, 0.01)
        self.hash_layer.bias.data.fill_(0.0)

    def forward(self, x):
        return self.hash_layer(self.classifier(self.features(x).view(x.size(0), 25088)))


def build(arch, bits):
    if arch == "deephash-alexnet":
        return DeepHashAlexNet(bits)
    if arch == "deephash-vgg16":
        return HashNetVGG16(bits)
    return DeepHashResNet(bits, int(arch.removeprefix("deephash-resnet")))


def relative_error(ours, reference):
    scale = float(np.max(np.abs(reference)))
    return float(np.max(np.abs(ours.astype(np.float64) - reference))) / scale if scale > 0 else float("inf")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build-parity/release/hashscope")
    parser.add_argument("--arch", action="append", choices=ARCHS, help="repeatable; default: all")
    parser.add_argument("--bits", type=int, default=48)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--workdir", default=".cache/parity-torchvision")
    args = parser.parse_args()

    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, reference in float64, N={args.batch}, "
          f"3x224x224, bits={args.bits}, eval mode, tolerance {args.tolerance:g} (max |diff| / max |reference|)")
    all_pass = True
    for index, arch in enumerate(args.arch or ARCHS):
        generator = torch.Generator().manual_seed(args.seed * 1000 + index)
        torch.manual_seed(args.seed * 1000 + index)
        model = build(arch, args.bits).eval()
        randomize(model, generator)
        folder = os.path.join(args.workdir, arch)
        os.makedirs(folder, exist_ok=True)
        checkpoint = os.path.join(folder, "model.pt")
        torch.save(model.state_dict(), checkpoint)
        x = torch.randn(args.batch, 3, 224, 224, generator=generator)
        g = torch.randn(args.batch, args.bits, generator=generator)
        np.save(os.path.join(folder, "input.npy"), x.numpy())
        np.save(os.path.join(folder, "grad_output.npy"), g.numpy())

        imported = os.path.join(folder, "model.safetensors")
        result = os.path.join(folder, "hashscope.safetensors")
        steps = [
            [args.binary, "import", "--torch", checkpoint, "--arch", arch, "--bits", str(args.bits), "--out", imported],
            [args.binary, "forward", "--arch", arch, "--bits", str(args.bits), "--model", imported, "--eval",
             "--input", os.path.join(folder, "input.npy"), "--grad-output", os.path.join(folder, "grad_output.npy"),
             "--out", result],
        ]
        failure = None
        for command in steps:
            run = subprocess.run(command, capture_output=True, text=True)
            if run.returncode != 0:
                failure = f"hashscope {command[1]} exited {run.returncode}: {run.stderr.strip()}"
                break
        if failure:
            all_pass = False
            print(f"{arch:20s} FAIL: {failure}")
            continue
        ours = read_safetensors(result)
        reference_model = model.double()
        xt = x.double().requires_grad_(True)
        out = reference_model(xt)
        out.backward(g.double())
        reference = out.detach().numpy()
        output_error = relative_error(ours["output"], reference)
        bits_agree = int(np.sum(np.sign(ours["output"]) == np.sign(reference)))
        ok = output_error <= args.tolerance and bits_agree == reference.size
        all_pass &= ok
        gradient_error = relative_error(ours["grad.input"], xt.grad.numpy())
        print(f"{arch:20s} {'PASS' if ok else 'FAIL'}  output {output_error:.2e}  bits {bits_agree}/{reference.size}"
              f"  (grad.input {gradient_error:.2e}, not judged)")
    print("all pass" if all_pass else "FAILED")
    return 0 if all_pass else 1


if __name__ == "__main__":
    sys.exit(main())
