#!/usr/bin/env python3
"""Reference attention-module outputs in numpy, and the golden fixture the Swift modules are
tested on.

Usage (from anywhere; needs python3 and numpy only, PyTorch is not required):
    python3 scripts/reference_attention.py [OUT_FILE]

OUT_FILE defaults to Tests/NetworksTests/Fixtures/attention.json. Inputs and parameters are
seeded float32 draws; the references compute in float64 from them, written here from the papers'
and their reference code's definitions (not from the Swift code):
- CBAM (Woo et al. 2018): Mc = sigmoid(MLP(avgpool x) + MLP(maxpool x)), MLP = fc2(relu(fc1)),
  fc weights (out, in) as nn.Linear, biases optional; x1 = x * Mc;
  Ms = sigmoid(conv2d([mean_c x1; max_c x1], 7x7, padding 3)); out = x1 * Ms.
  Fixture also holds Ms (N, H, W) and Mc (N, C).
- DANet PAM (Fu et al. 2019, PAM_Module.forward): Q, K, V 1x1 convs with bias (weights
  (K, C, 1, 1)); energy = bmm(Q^T, K) (N, P, P); A = softmax(energy, dim=-1);
  out = gamma * bmm(V, A^T) + x. Map: A.mean over the query axis (axis 1), as (N, H, W).
- DANet CAM (CAM_Module.forward): energy = bmm(X, X^T) (N, C, C);
  energy_new = max(energy, -1, keepdim) - energy; A = softmax(energy_new, dim=-1);
  out = gamma * bmm(A, X) + x. Map: bmm(A, X).mean over channels, as (N, H, W).
Running it again writes the same bytes.
"""
import json
import os
import sys

import numpy as np

rng = np.random.default_rng(20240611)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def tensor(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [float(v) for v in a.astype(np.float64).ravel()]}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def conv2d_same(x, w, b):
    """Stride 1, zero padding k//2 on every side, no groups; cross-correlation."""
    k = w.shape[2]
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    n, _, h, wd = x.shape
    y = np.zeros((n, w.shape[0], h, wd))
    for i in range(k):
        for j in range(k):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


# ---- references --------------------------------------------------------------------------

def cbam(x, w1, b1, w2, b2, ws, bs):
    x = x.astype(np.float64)

    def mlp(v):
        h = v @ w1.T + (0 if b1 is None else b1)
        return np.maximum(h, 0) @ w2.T + (0 if b2 is None else b2)

    mc = sigmoid(mlp(x.mean(axis=(2, 3))) + mlp(x.max(axis=(2, 3))))
    x1 = x * mc[:, :, None, None]
    pooled = np.stack([x1.mean(axis=1), x1.max(axis=1)], axis=1)
    ms = sigmoid(conv2d_same(pooled, ws.astype(np.float64), None if bs is None else bs.astype(np.float64)))
    return x1 * ms, ms[:, 0], mc


def pam(x, wq, bq, wk, bk, wv, bv, gamma):
    n, c, h, w = x.shape
    xs = x.astype(np.float64).reshape(n, c, h * w)

    def project(wt, bt):
        return np.einsum("kc,ncp->nkp", wt[:, :, 0, 0].astype(np.float64), xs) + bt.astype(np.float64)[None, :, None]

    q, k, v = project(wq, bq), project(wk, bk), project(wv, bv)
    energy = np.einsum("nki,nkj->nij", q, k)          # bmm(Q^T, K)
    attention = softmax(energy)
    attended = np.einsum("ncj,nij->nci", v, attention)  # bmm(V, A^T)
    out = gamma * attended + xs
    return out.reshape(n, c, h, w), attention.mean(axis=1).reshape(n, h, w)


def cam(x, gamma):
    n, c, h, w = x.shape
    xs = x.astype(np.float64).reshape(n, c, h * w)
    energy = xs @ xs.transpose(0, 2, 1)
    energy_new = energy.max(axis=-1, keepdims=True) - energy
    attention = softmax(energy_new)
    attended = attention @ xs
    out = gamma * attended + xs
    return out.reshape(n, c, h, w), attended.mean(axis=1).reshape(n, h, w)


# ---- cases -------------------------------------------------------------------------------

def cbam_case(name, n, c, h, w, hidden, bias, kernel=7):
    x = f32(n, c, h, w)
    w1, w2 = f32(hidden, c, scale=0.5), f32(c, hidden, scale=0.5)
    b1, b2 = (f32(hidden, scale=0.5), f32(c, scale=0.5)) if bias else (None, None)
    ws = f32(1, 2, kernel, kernel, scale=0.3)
    bs = f32(1, scale=0.5) if bias else None
    out, ms, mc = cbam(x, w1, b1, w2, b2, ws, bs)
    opt = lambda a: tensor(a) if a is not None else None
    return {"name": name, "input": tensor(x), "fc1_weight": tensor(w1), "fc1_bias": opt(b1),
            "fc2_weight": tensor(w2), "fc2_bias": opt(b2), "conv_weight": tensor(ws), "conv_bias": opt(bs),
            "output": tensor(out), "spatial_map": tensor(ms), "channel_weights": tensor(mc)}


def pam_case(name, n, c, h, w, reduced, gamma):
    x = f32(n, c, h, w)
    wq, wk, wv = f32(reduced, c, 1, 1, scale=0.4), f32(reduced, c, 1, 1, scale=0.4), f32(c, c, 1, 1, scale=0.3)
    bq, bk, bv = f32(reduced, scale=0.2), f32(reduced, scale=0.2), f32(c, scale=0.2)
    out, attention_map = pam(x, wq, bq, wk, bk, wv, bv, gamma)
    return {"name": name, "input": tensor(x), "gamma": gamma,
            "query_weight": tensor(wq), "query_bias": tensor(bq), "key_weight": tensor(wk), "key_bias": tensor(bk),
            "value_weight": tensor(wv), "value_bias": tensor(bv), "output": tensor(out), "map": tensor(attention_map)}


def cam_case(name, n, c, h, w, scale, gamma):
    x = f32(n, c, h, w, scale=scale)
    out, attention_map = cam(x, gamma)
    return {"name": name, "input": tensor(x), "gamma": gamma, "output": tensor(out), "map": tensor(attention_map)}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NetworksTests", "Fixtures", "attention.json")
    fixture = {
        "cbam": [cbam_case("no_bias", 2, 8, 5, 4, 2, False),
                 cbam_case("bias", 3, 6, 4, 4, 3, True),
                 cbam_case("kernel3", 1, 4, 6, 3, 1, False, kernel=3)],
        "pam": [pam_case("rect", 2, 16, 3, 4, 2, 0.7),
                pam_case("square", 1, 8, 5, 5, 1, -0.4)],
        "cam": [cam_case("small", 2, 6, 3, 3, 0.5, 0.6),
                cam_case("peaked", 1, 4, 4, 5, 1.0, 1.3)],
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
