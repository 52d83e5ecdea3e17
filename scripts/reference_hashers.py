#!/usr/bin/env python3
"""Golden values for PCA hashing (PCAH), checked by Tests/RetrievalTests/ShallowHasherTests.swift.

A small fixed float32 feature matrix with well-separated variances along random orthogonal
directions; numpy (float64) computes its mean, sample covariance (ddof=1, as np.cov), the top
`bits` eigenpairs (np.linalg.eigh) and the centred projections. Each direction's sign is fixed
so its largest-magnitude entry is positive (as PCAHasher does); the test still compares up to
sign. numpy only.

    python3 scripts/reference_hashers.py   # rewrites Tests/RetrievalTests/Fixtures/hashers/pcah_reference.json
"""
import json
import os

import numpy as np

ROWS, DIM, BITS = 64, 12, 8
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RetrievalTests", "Fixtures", "hashers",
                   "pcah_reference.json")


def main():
    rng = np.random.RandomState(1234)
    scales = np.linspace(4.0, 0.5, DIM)  # standard deviations along the principal axes
    q, _ = np.linalg.qr(rng.randn(DIM, DIM))  # random orthogonal axes
    offset = rng.uniform(-2, 2, DIM)
    x = (rng.randn(ROWS, DIM) * scales) @ q.T + offset
    x = x.astype(np.float32)

    xd = x.astype(np.float64)
    mean = xd.mean(axis=0)
    centred = xd - mean
    cov = centred.T @ centred / (ROWS - 1)
    values, vectors = np.linalg.eigh(cov)  # ascending
    order = np.argsort(values)[::-1][:BITS]
    values, vectors = values[order], vectors[:, order]
    for j in range(BITS):
        pivot = np.argmax(np.abs(vectors[:, j]))  # first on ties
        if vectors[pivot, j] < 0:
            vectors[:, j] = -vectors[:, j]
    projections = centred @ vectors
    gaps = -np.diff(np.sort(np.linalg.eigvalsh(cov))[::-1][:BITS + 1])

    doc = {
        "generator": "scripts/reference_hashers.py (numpy %s)" % np.__version__,
        "rows": ROWS, "dimension": DIM, "bits": BITS,
        "features": [float(v) for v in x.ravel()],           # (rows, dimension) row-major, exact float32
        "mean": mean.tolist(),                                # (dimension)
        "eigenvalues": values.tolist(),                       # (bits), descending
        "directions": vectors.ravel().tolist(),               # (dimension, bits) row-major
        "projections": projections.ravel().tolist(),          # (rows, bits) row-major
        "min_eigengap": float(gaps.min()),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote %s (smallest eigenvalue gap %.4f, smallest |projection| %.2e)"
          % (os.path.normpath(OUT), gaps.min(), np.abs(projections).min()))


if __name__ == "__main__":
    main()
