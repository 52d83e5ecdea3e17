#!/usr/bin/env python3
"""Reference layer outputs in numpy, and the golden fixture the Swift layers are tested on.

Usage (from anywhere; needs python3 and numpy only, PyTorch is not required):
    python3 scripts/reference_layers.py [OUT_FILE]

OUT_FILE defaults to Tests/NetworksTests/Fixtures/layers.json. Inputs and parameters are seeded
float32 draws; the references compute in float64 from them, written here from PyTorch's
documented definitions (not from the Swift code):
- conv2d: torch.nn.functional.conv2d with stride (sh, sw), zero padding (top, bottom, left,
  right; PyTorch pads symmetrically, TF 'same' asymmetrically, F.pad then conv2d), groups;
  weight (K, C/groups, kh, kw); cross-correlation, no kernel flip.
- batchnorm (training): batch mean and biased variance per channel over N*H*W (or N for 1-D);
  y = (x - mean) / sqrt(var + eps) * weight + bias; running_mean = (1 - m) * rm + m * mean,
  running_var = (1 - m) * rv + m * var * M / (M - 1) (unbiased); evaluation uses the running
  statistics.
- max_pool2d: padding is -inf; avg_pool2d: zero padding, divided by the kernel area
  (count_include_pad=True) or by the real pixels under the window (False).
- linear: y = x W^T + b, W (out, in).
Running it again writes the same bytes.
"""
import json
import os
import sys

import numpy as np

rng = np.random.default_rng(20240605)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def tensor(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [float(v) for v in a.astype(np.float64).ravel()]}


# ---- references --------------------------------------------------------------------------

def conv2d(x, w, b, stride, pad, groups):
    sh, sw = stride
    top, bottom, left, right = pad
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (top, bottom), (left, right)))
    w = w.astype(np.float64)
    n, c, h, wd = xp.shape
    k, cg, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    kg = k // groups
    y = np.zeros((n, k, oh, ow))
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * kg:(g + 1) * kg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
                y[:, g * kg:(g + 1) * kg] += np.einsum("nchw,kc->nkhw", patch, wg[:, :, i, j])
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y


def batchnorm_train(x, gamma, beta, rm, rv, eps, momentum):
    x = x.astype(np.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, -1] + [1] * (x.ndim - 2)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    m = x.size // x.shape[1]
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)
    new_rm = (1 - momentum) * rm.astype(np.float64) + momentum * mean
    new_rv = (1 - momentum) * rv.astype(np.float64) + momentum * var * m / (m - 1)
    return y, new_rm, new_rv


def batchnorm_eval(x, gamma, beta, rm, rv, eps):
    shape = [1, -1] + [1] * (x.ndim - 2)
    x = x.astype(np.float64)
    return (x - rm.reshape(shape)) / np.sqrt(rv.astype(np.float64).reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


def windows(x, kernel, stride, pad, fill):
    kh, kw = kernel
    sh, sw = stride
    top, bottom, left, right = pad
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
    h, w = xp.shape[2:]
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty(x.shape[:2] + (oh, ow, kh, kw))
    for i in range(kh):
        for j in range(kw):
            out[..., i, j] = xp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
    return out


def maxpool2d(x, kernel, stride, pad):
    return windows(x, kernel, stride, pad, -np.inf).max(axis=(-2, -1))


def avgpool2d(x, kernel, stride, pad, count_include_pad):
    total = windows(x, kernel, stride, pad, 0.0).sum(axis=(-2, -1))
    if count_include_pad:
        return total / (kernel[0] * kernel[1])
    ones = np.ones((1, 1) + x.shape[2:])
    return total / windows(ones, kernel, stride, pad, 0.0).sum(axis=(-2, -1))


def linear(x, w, b):
    y = x.astype(np.float64) @ w.astype(np.float64).T
    return y + b.astype(np.float64) if b is not None else y


# ---- cases -------------------------------------------------------------------------------

def conv_case(name, n, c, h, w, k, kernel, stride, pad, groups, bias):
    kh, kw = kernel
    x = f32(n, c, h, w)
    weight = f32(k, c // groups, kh, kw, scale=0.5)
    b = f32(k) if bias else None
    return {"name": name, "input": tensor(x), "weight": tensor(weight),
            "bias": tensor(b) if bias else None, "stride": list(stride), "padding": list(pad),
            "groups": groups, "output": tensor(conv2d(x, weight, b, stride, pad, groups))}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NetworksTests", "Fixtures", "layers.json")
    conv = [
        conv_case("strided_padded", 2, 3, 7, 6, 4, (3, 3), (2, 2), (1, 1, 1, 1), 1, True),
        conv_case("grouped", 2, 4, 5, 5, 6, (3, 3), (1, 1), (1, 1, 1, 1), 2, True),
        conv_case("tf_same_asymmetric", 1, 3, 8, 8, 2, (3, 3), (2, 2), (0, 1, 0, 1), 1, False),
        conv_case("depthwise", 2, 3, 6, 6, 3, (3, 3), (1, 1), (1, 1, 1, 1), 3, True),
        conv_case("depthwise_multiplier_strided", 1, 2, 9, 7, 4, (5, 5), (2, 2), (2, 2, 2, 2), 2, False),
        conv_case("depthwise_asymmetric", 2, 4, 7, 7, 4, (3, 3), (2, 2), (1, 1, 0, 1), 4, True),
        conv_case("pointwise", 2, 5, 3, 4, 3, (1, 1), (1, 1), (0, 0, 0, 0), 1, True),
        conv_case("rectangular", 2, 2, 5, 7, 3, (2, 3), (1, 2), (1, 1, 0, 0), 1, True),
        conv_case("small_maps_batched", 5, 3, 4, 4, 4, (3, 3), (1, 1), (1, 1, 1, 1), 1, True),
    ]

    batchnorm = []
    for name, shape in [("bn2d", (4, 3, 3, 3)), ("bn1d", (6, 4))]:
        c = shape[1]
        x = f32(*shape, scale=2.0) + np.float32(0.5)
        gamma, beta = f32(c), f32(c)
        rm, rv = f32(c), (np.abs(f32(c)) + np.float32(0.5)).astype(np.float32)
        eps, momentum = 1e-5, 0.1
        y, new_rm, new_rv = batchnorm_train(x, gamma, beta, rm, rv, eps, momentum)
        batchnorm.append({"name": name, "input": tensor(x), "weight": tensor(gamma), "bias": tensor(beta),
                          "running_mean": tensor(rm), "running_var": tensor(rv), "eps": eps, "momentum": momentum,
                          "output": tensor(y), "new_running_mean": tensor(new_rm), "new_running_var": tensor(new_rv),
                          "eval_output": tensor(batchnorm_eval(x, gamma, beta, rm, rv, eps))})

    pooling = []
    for name, shape, kernel, stride, pad in [("k2s2", (2, 3, 6, 6), (2, 2), (2, 2), (0, 0, 0, 0)),
                                             ("k3s2p1", (2, 2, 7, 6), (3, 3), (2, 2), (1, 1, 1, 1)),
                                             ("k3s1p1", (1, 2, 5, 5), (3, 3), (1, 1), (1, 1, 1, 1))]:
        x = f32(*shape)
        pooling.append({"name": name, "input": tensor(x), "kernel": list(kernel), "stride": list(stride),
                        "padding": list(pad), "max": tensor(maxpool2d(x, kernel, stride, pad)),
                        "avg_include_pad": tensor(avgpool2d(x, kernel, stride, pad, True)),
                        "avg_exclude_pad": tensor(avgpool2d(x, kernel, stride, pad, False))})

    linears = []
    for name, n, fin, fout, bias in [("bias", 3, 5, 4, True), ("no_bias", 2, 6, 3, False)]:
        x, w = f32(n, fin), f32(fout, fin)
        b = f32(fout) if bias else None
        linears.append({"name": name, "input": tensor(x), "weight": tensor(w),
                        "bias": tensor(b) if bias else None, "output": tensor(linear(x, w, b))})

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"conv2d": conv, "batchnorm_train": batchnorm, "pooling": pooling, "linear": linears}, f)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
