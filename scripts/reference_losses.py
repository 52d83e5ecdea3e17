#!/usr/bin/env python3
"""Reference hashing losses in numpy, and the golden fixture the Swift losses are tested on.

Usage (from anywhere; needs python3 and numpy only):
    python3 scripts/reference_losses.py [OUT_FILE]

OUT_FILE defaults to Tests/NetworksTests/Fixtures/losses.json. Inputs are seeded float32 draws;
the references compute in float64 from them, vectorised, written from the papers' formulas (not
from the Swift loops). Before writing, every analytic gradient here is checked against float64
central differences of the loss written here, so the fixture's gradients are right on their own.

Definitions (b: (N, bits) real-valued codes; s_ij = 1 when images i and j share a label: equal
class ids, or multi-hot rows with y_i . y_j > 0; an unlabelled row is similar to nothing):
- contrastive (DSH, Liu et al. CVPR 2016; DAH): mean over the P = N(N-1)/2 pairs i<j of
  s_ij * 1/2 D_ij + (1 - s_ij) * 1/2 max(m - D_ij, 0), D_ij = ||b_i - b_j||^2; + alpha * Q.
- Q (quantization) = (1/N) sum_i sum_k | |b_ik| - 1 |.
- B (bit balance) = sum_k (mean_i b_ik)^2.
- dfeh = contrastive (with alpha * Q) + beta * B.
- triplet (DTSH / DATH): mean over ALL valid triplets (a, p != a similar to a, n dissimilar to
  a) of softplus(theta - Theta), Theta = 1/2 b_a.b_p - 1/2 b_a.b_n
  (= -(Theta - theta - log(1 + e^(Theta - theta)))).
- dath = triplet + beta * CE(logits) + gamma * Q, CE = softmax cross-entropy (mean over N) for
  class ids, sigmoid cross-entropy (mean over N*C) for multi-hot rows.
- sigmoid_ce = F.binary_cross_entropy_with_logits(z, y), mean over all N*C elements.
- central_similarity (CSQ, Yuan et al. CVPR 2020; h in (-1, 1), t the rows' +-1 hash centers,
  over the rows with a target only): mean BCE((h + 1) / 2, (t + 1) / 2) + lambda * mean (|h| - 1)^2.
Running it again writes the same bytes.
"""
import json
import os
import sys

import numpy as np

rng = np.random.default_rng(20240611)


def f32(*shape, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def tensor(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [float(v) for v in a.astype(np.float64).ravel()]}


def similarity(labels):
    if "class_ids" in labels:
        ids = np.asarray(labels["class_ids"])
        return ids[:, None] == ids[None, :]
    y = np.asarray(labels["multi_hot"], dtype=np.float64)
    return (y > 0).astype(np.float64) @ (y > 0).astype(np.float64).T > 0


def labels_json(labels):
    if "class_ids" in labels:
        return {"class_ids": [int(v) for v in labels["class_ids"]]}
    return {"multi_hot": tensor(labels["multi_hot"])}


# ---- references: each returns (loss, dloss/dinput) in float64 --------------------------------

def quantization(b):
    n = b.shape[0]
    excess = np.abs(b) - 1
    return np.abs(excess).sum() / n, np.sign(excess) * np.sign(b) / n


def bit_balance(b):
    n = b.shape[0]
    mean = b.mean(axis=0)
    return (mean ** 2).sum(), np.broadcast_to(2 * mean / n, b.shape).copy()


def contrastive_pairs(b, s, margin):
    n = b.shape[0]
    pairs = n * (n - 1) // 2
    if pairs == 0:
        return 0.0, np.zeros_like(b)
    diff = b[:, None, :] - b[None, :, :]                      # (N, N, bits): b_i - b_j
    dist = (diff ** 2).sum(axis=2)
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    per_pair = np.where(s, 0.5 * dist, 0.5 * np.maximum(margin - dist, 0))
    loss = per_pair[upper].sum() / pairs
    # d(per_pair)/d(dist): 1/2 similar, -1/2 dissimilar inside the margin; dD_ij/db_i = 2 (b_i - b_j).
    d_dist = np.where(s, 0.5, np.where(dist < margin, -0.5, 0.0)) * upper / pairs
    d_dist = d_dist + d_dist.T
    grad = 2 * (d_dist[:, :, None] * diff).sum(axis=1)
    return loss, grad


def contrastive(b, s, margin, alpha):
    lp, gp = contrastive_pairs(b, s, margin)
    lq, gq = quantization(b)
    return lp + alpha * lq, gp + alpha * gq


def dfeh(b, s, margin, alpha, beta):
    lc, gc = contrastive(b, s, margin, alpha)
    lb, gb = bit_balance(b)
    return lc + beta * lb, gc + beta * gb


def triplet(b, s, theta):
    n = b.shape[0]
    eye = np.eye(n, dtype=bool)
    valid = (s & ~eye)[:, :, None] & (~s & ~eye)[:, None, :]   # (a, p, n)
    a, p, q = np.nonzero(valid)
    if a.size == 0:
        return 0.0, np.zeros_like(b)
    big_theta = 0.5 * (b[a] * b[p]).sum(axis=1) - 0.5 * (b[a] * b[q]).sum(axis=1)
    x = theta - big_theta
    loss = np.logaddexp(0, x).mean()
    d_big_theta = -0.5 * (1 + np.tanh(x / 2)) / a.size       # -sigmoid(x) / T
    grad = np.zeros_like(b)
    np.add.at(grad, a, d_big_theta[:, None] * 0.5 * (b[p] - b[q]))
    np.add.at(grad, p, d_big_theta[:, None] * 0.5 * b[a])
    np.add.at(grad, q, -d_big_theta[:, None] * 0.5 * b[a])
    return loss, grad


def softmax_ce(z, ids):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    onehot = np.eye(z.shape[1])[ids]
    return -(log_softmax * onehot).sum() / n, (np.exp(log_softmax) - onehot) / n


def sigmoid_ce(z, y):
    count = z.size
    return (np.logaddexp(0, z) - z * y).sum() / count, (0.5 * (1 + np.tanh(z / 2)) - y) / count


def classification(z, labels):
    if "class_ids" in labels:
        return softmax_ce(z, np.asarray(labels["class_ids"]))
    return sigmoid_ce(z, np.asarray(labels["multi_hot"], dtype=np.float64))


def dath(b, z, labels, theta, beta, gamma):
    s = similarity(labels)
    lt, gt = triplet(b, s, theta)
    lc, gc = classification(z, labels)
    lq, gq = quantization(b)
    return lt + beta * lc + gamma * lq, gt + gamma * gq, beta * gc


def central_similarity(h, t, present, lam):
    h, t = h[present], t[present]
    p, y = (h + 1) / 2, (t + 1) / 2
    count = h.size
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    q = (np.abs(h) - 1) ** 2
    loss = (bce.sum() + lam * q.sum()) / count
    grad_rows = ((p - y) / (p * (1 - p)) / 2 + lam * 2 * (np.abs(h) - 1) * np.sign(h)) / count
    full = np.zeros((present.size, h.shape[1]))
    full[present] = grad_rows
    return loss, full


# ---- self-check ------------------------------------------------------------------------------

def check_gradient(name, f, x, grad, h=1e-6):
    x = x.astype(np.float64)
    numeric = np.zeros_like(x)
    for i in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[i] += h
        minus.flat[i] -= h
        numeric.flat[i] = (f(plus) - f(minus)) / (2 * h)
    scale = max(1.0, np.abs(numeric).max())
    err = np.abs(numeric - grad).max() / scale
    if err > 1e-6:
        raise SystemExit(f"{name}: analytic gradient off by {err:.2e} (relative to {scale:.3g})")


# ---- cases -----------------------------------------------------------------------------------

def code_case(name, kind, b, labels, **params):
    b64 = b.astype(np.float64)
    s = similarity(labels) if labels is not None else None
    if kind == "contrastive":
        f = lambda v: contrastive(v, s, params["margin"], params["quantization_weight"])
    elif kind == "dfeh":
        f = lambda v: dfeh(v, s, params["margin"], params["quantization_weight"], params["balance_weight"])
    elif kind == "triplet":
        f = lambda v: triplet(v, s, params["margin"])
    elif kind == "quantization":
        f = quantization
    elif kind == "bit_balance":
        f = bit_balance
    loss, grad = f(b64)
    check_gradient(name, lambda v: f(v)[0], b64, grad)
    case = {"name": name, "kind": kind, "codes": tensor(b), "loss": float(loss), "gradient": tensor(grad)}
    if labels is not None:
        case["labels"] = labels_json(labels)
    case.update({k: (v if k == "bits" else float(v)) for k, v in params.items()})
    return case


def dath_case(name, b, z, labels, margin, beta, gamma):
    b64, z64 = b.astype(np.float64), z.astype(np.float64)
    loss, gb, gz = dath(b64, z64, labels, margin, beta, gamma)
    check_gradient(name + " codes", lambda v: dath(v, z64, labels, margin, beta, gamma)[0], b64, gb)
    check_gradient(name + " logits", lambda v: dath(b64, v, labels, margin, beta, gamma)[0], z64, gz)
    return {"name": name, "kind": "dath", "codes": tensor(b), "logits": tensor(z), "labels": labels_json(labels),
            "margin": float(margin), "classification_weight": float(beta), "quantization_weight": float(gamma),
            "loss": float(loss), "gradient": tensor(gb), "logit_gradient": tensor(gz)}


def sigmoid_case(name, z, y):
    z64, y64 = z.astype(np.float64), y.astype(np.float64)
    loss, grad = sigmoid_ce(z64, y64)
    check_gradient(name, lambda v: sigmoid_ce(v, y64)[0], z64, grad)
    return {"name": name, "kind": "sigmoid_ce", "logits": tensor(z), "targets": tensor(y),
            "loss": float(loss), "logit_gradient": tensor(grad)}


def central_case(name, h, t, present, lam):
    h64, t64 = h.astype(np.float64), t.astype(np.float64)
    loss, grad = central_similarity(h64, t64, present, lam)
    check_gradient(name, lambda v: central_similarity(v, t64, present, lam)[0], h64, grad)
    return {"name": name, "kind": "central_similarity", "codes": tensor(h), "targets": tensor(t),
            "present": [bool(v) for v in present], "quantization_weight": float(lam),
            "loss": float(loss), "gradient": tensor(grad)}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NetworksTests", "Fixtures", "losses.json")
    single = {"class_ids": [0, 1, 0, 2, 1, 0]}
    # Row 3 has no label (dissimilar to everything); rows 0 and 4 share label 2 only.
    multi = {"multi_hot": np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0],
                                    [0, 0, 1, 1], [1, 0, 0, 0]], dtype=np.float32)}
    triplet_labels = {"class_ids": [0, 0, 1, 1, 1, 2]}
    cases = [
        code_case("contrastive_single_default_margin", "contrastive", f32(6, 8, scale=1.2), single,
                  bits=8, margin=16, quantization_weight=0.01),
        code_case("contrastive_multi_label", "contrastive", f32(6, 8), multi,
                  bits=8, margin=12, quantization_weight=0.05),
        code_case("dfeh_single", "dfeh", f32(6, 8, shift=0.3), single,
                  bits=8, margin=16, quantization_weight=0.01, balance_weight=0.1),
        code_case("dfeh_multi_label", "dfeh", f32(6, 6, scale=0.8, shift=-0.2), multi,
                  bits=6, margin=9, quantization_weight=0.02, balance_weight=0.5),
        code_case("quantization", "quantization", f32(5, 4, scale=1.5), None),
        code_case("bit_balance", "bit_balance", f32(5, 4, shift=0.4), None),
        code_case("triplet_single", "triplet", np.tanh(f32(6, 8, scale=1.5)), triplet_labels, margin=5),
        code_case("triplet_multi_label_small_margin", "triplet", np.tanh(f32(6, 8, scale=1.5)), multi, margin=1),
        dath_case("dath_single", np.tanh(f32(6, 8, scale=1.5)), f32(6, 3, scale=2), triplet_labels, 5, 1, 0.01),
        dath_case("dath_multi_label", np.tanh(f32(6, 8, scale=1.5)), f32(6, 4, scale=2), multi, 3, 0.5, 0.02),
        sigmoid_case("sigmoid_ce", np.concatenate([f32(3, 5, scale=3),
                                                   np.array([[1000, -1000, 30, -30, 0]], dtype=np.float32)]),
                     np.array([[1, 0, 0.3, 1, 0], [0, 0, 1, 1, 0], [1, 1, 0, 0, 0.5], [1, 0, 0, 1, 1]], dtype=np.float32)),
        central_case("central_similarity", np.tanh(f32(5, 12, scale=1.5)),
                     np.where(f32(5, 12) > 0, 1, -1).astype(np.float32), np.array([True, True, False, True, True]), 0.1),
        central_case("central_similarity_csq_lambda", np.tanh(f32(4, 8, scale=2)),
                     np.where(f32(4, 8) > 0, 1, -1).astype(np.float32), np.array([True] * 4), 1e-4),
    ]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"cases": cases}, f)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
