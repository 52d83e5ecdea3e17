#!/usr/bin/env python3
"""Reference retrieval metrics in numpy, and the golden fixtures the Swift metrics are tested on.

Usage (from anywhere; needs python3 and numpy only):
    python3 scripts/reference_metrics.py [OUT_DIR]

OUT_DIR defaults to Tests/RetrievalTests/Fixtures/metrics. The script writes seeded random
cases there as .npy files (codes and labels, in the input forms `hashscope metrics` reads)
and golden.json with the metrics of every case. Running it again writes the same bytes.

Definitions (docs/ARCHITECTURE.md, "Definitions the code must match"), written here from the definitions, not from
the Swift code:
- Ranking: Hamming distance, ties by database index: np.argsort(d, kind='stable').
- Relevant: shares at least one label (same class id; multi-hot rows with a dot product > 0).
- mAP@k: DeepHash-pytorch's CalcTopMap (swuxyj/DeepHash-pytorch, utils/tools.py): per query,
  over the top k, AP = mean over the relevant hits of (rank among hits) / (position), both
  from 1; a query without a hit in its top k gives 0; the mean is over ALL queries.
  k = the database size when not given (or when larger).
- P@k, R@k: DeepHash-pytorch's pr_curve: hits = relevant among the first k, P = hits / k
  (still / k when k exceeds the database), R = hits / relevant in the database; a query with
  no relevant item at all gives 0 for both.
- Within Hamming radius r: thulab/DeepHash get_precision_recall_by_Hamming_Radius(_All):
  precision = relevant within r / items within r, 0 when nothing is within r; recall =
  relevant within r / relevant in the database, 0 when there is none. p_r2, r_r2 are r = 2;
  pr_curve holds r = 0...bits.
"""
import json
import os
import sys

import numpy as np

CUTOFFS = [10, 100, 1000]
N_QUERIES = 40
N_DATABASE = 300


# ---- the reference metrics ---------------------------------------------------------------

def hamming(query_bits, db_bits):
    """(Q, B) and (N, B) 0/1 arrays -> (Q, N) distances."""
    return (query_bits[:, None, :] != db_bits[None, :, :]).sum(axis=2)


def relevance(query_labels, db_labels):
    """Class ids (1-D) or multi-hot rows (2-D) -> (Q, N) bool."""
    if query_labels.ndim == 1:
        return query_labels[:, None] == db_labels[None, :]
    return (query_labels.astype(np.float64) @ db_labels.astype(np.float64).T) > 0


def metrics(query_bits, db_bits, rel, topk):
    n_query, n_db = rel.shape
    bits = query_bits.shape[1]
    dist = hamming(query_bits, db_bits)
    k_map = n_db if topk is None else min(topk, n_db)
    ap = np.zeros(n_query)
    p_at = {k: np.zeros(n_query) for k in CUTOFFS}
    r_at = {k: np.zeros(n_query) for k in CUTOFFS}
    p_rad = np.zeros((n_query, bits + 1))
    r_rad = np.zeros((n_query, bits + 1))
    for i in range(n_query):
        order = np.argsort(dist[i], kind='stable')
        ranked = rel[i, order]
        relevant_total = int(ranked.sum())
        hit_positions = np.flatnonzero(ranked[:k_map]) + 1.0
        if hit_positions.size:
            ap[i] = np.mean(np.arange(1, hit_positions.size + 1) / hit_positions)
        for k in CUTOFFS:
            hits = int(ranked[:k].sum())
            p_at[k][i] = hits / k
            r_at[k][i] = hits / relevant_total if relevant_total else 0.0
        for r in range(bits + 1):
            within = dist[i] <= r
            retrieved = int(within.sum())
            found = int((within & rel[i]).sum())
            p_rad[i, r] = found / retrieved if retrieved else 0.0
            r_rad[i, r] = found / relevant_total if relevant_total else 0.0
    return {
        "map": float(ap.mean()),
        "topk_effective": k_map,
        "p_at": {str(k): float(p_at[k].mean()) for k in CUTOFFS},
        "r_at": {str(k): float(r_at[k].mean()) for k in CUTOFFS},
        "p_r2": float(p_rad[:, 2].mean()),
        "r_r2": float(r_rad[:, 2].mean()),
        "pr_curve": {"precision": p_rad.mean(axis=0).tolist(), "recall": r_rad.mean(axis=0).tolist()},
    }


# ---- the input forms ---------------------------------------------------------------------

def encode(bits01, form, rng):
    """0/1 codes -> the array stored on disk."""
    ones = bits01.astype(bool)
    if form == "pm1_float32":      # sign() output: some +1 written as 0.0 (0 counts as +1)
        values = np.where(ones, 1.0, -1.0).astype(np.float32)
        values[ones & (rng.random(ones.shape) < 0.03)] = 0.0
        return values
    if form == "pm1_int8":
        values = np.where(ones, 1, -1).astype(np.int8)
        values[ones & (rng.random(ones.shape) < 0.03)] = 0
        return values
    if form == "tanh_float32":     # real-valued outputs, with exact 0.0 and -0.0 as +1
        magnitude = rng.uniform(0.01, 1.0, ones.shape)
        values = np.where(ones, magnitude, -magnitude).astype(np.float32)
        values[ones & (rng.random(ones.shape) < 0.02)] = 0.0
        values[ones & (rng.random(ones.shape) < 0.02)] = -0.0
        return values
    if form == "01_uint8":
        return ones.astype(np.uint8)
    if form == "01_bool":
        return ones
    if form == "packed_uint8":     # faiss layout: bit j is bit j % 8 of byte j // 8
        return np.packbits(ones, axis=1, bitorder='little')
    raise ValueError(form)


def decode(stored, form, bits):
    """The stored array -> 0/1 codes, by the documented rule of each form."""
    if form in ("pm1_float32", "pm1_int8", "tanh_float32"):
        return (stored >= 0).astype(np.uint8)
    if form == "packed_uint8":
        return np.unpackbits(stored, axis=1, count=bits, bitorder='little')
    return stored.astype(np.uint8)


def noisy_codes(prototypes, rows, flip, rng):
    """Prototype rows with bits flipped at a rate drawn per item from 0...flip: some items sit
    within radius 2 of their class, others far out."""
    codes = prototypes[rows] if rows is not None else prototypes
    rate = rng.uniform(0.0, flip, (codes.shape[0], 1))
    return codes ^ (rng.random(codes.shape) < rate).astype(np.uint8)


def prototypes_near(rng, count, bits):
    """Class prototypes that differ from a common base in about a quarter of the bits, so
    classes are confusable and rankings mix them."""
    base = rng.integers(0, 2, bits, dtype=np.uint8)
    return base[None, :] ^ (rng.random((count, bits)) < 0.25).astype(np.uint8)


def single_label_case(rng, bits, classes, flip, absent_class=False):
    prototypes = prototypes_near(rng, classes + 1, bits)
    db_labels = rng.integers(0, classes, N_DATABASE)
    query_labels = rng.integers(0, classes, N_QUERIES)
    if absent_class:   # a few queries of a class the database lacks: no relevant item at all
        query_labels[rng.choice(N_QUERIES, 4, replace=False)] = classes
    return (noisy_codes(prototypes, query_labels, flip, rng), noisy_codes(prototypes, db_labels, flip, rng),
            query_labels, db_labels)


def multi_hot(rng, count, classes):
    rows = np.zeros((count, classes), dtype=np.uint8)
    for i in range(count):
        draw = rng.random()
        if draw < 0.08:
            continue           # no label: relevant to nothing
        n = 1 if draw < 0.55 else (2 if draw < 0.85 else 3)
        rows[i, rng.choice(classes, n, replace=False)] = 1
    return rows


def multi_label_case(rng, bits, classes, flip):
    prototypes = prototypes_near(rng, classes, bits)
    labels = [multi_hot(rng, N_QUERIES, classes), multi_hot(rng, N_DATABASE, classes)]
    codes = []
    for rows in labels:
        # Each item looks like one of its labels' prototypes; an unlabelled one is random.
        first = np.array([np.flatnonzero(r)[0] if r.any() else -1 for r in rows])
        base = np.where(first[:, None] >= 0, prototypes[np.maximum(first, 0)],
                        rng.integers(0, 2, (len(rows), bits), dtype=np.uint8))
        codes.append(noisy_codes(base, None, flip, rng))
    return codes[0], codes[1], labels[0], labels[1]


CASES = [
    # name, seed, bits, code form, label dtype, kind, classes, flip, absent class
    ("single16_pm1f32", 1, 16, "pm1_float32", np.int64, "single", 10, 0.30, False),
    ("single16_pm1i8", 2, 16, "pm1_int8", np.int32, "single", 10, 0.40, False),
    ("single48_u8", 3, 48, "01_uint8", np.int64, "single", 10, 0.25, True),
    ("single32_tanh", 4, 32, "tanh_float32", np.int32, "single", 10, 0.30, False),
    ("multi64_bool", 5, 64, "01_bool", np.uint8, "multi", 5, 0.20, False),
    ("multi128_packed", 6, 128, "packed_uint8", np.float32, "multi", 12, 0.15, False),
]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests", "RetrievalTests", "Fixtures", "metrics")
    os.makedirs(out, exist_ok=True)
    golden = {"generator": "scripts/reference_metrics.py", "numpy": np.__version__, "cutoffs": CUTOFFS, "cases": []}
    for name, seed, bits, form, label_dtype, kind, classes, flip, absent in CASES:
        rng = np.random.default_rng(seed)
        if kind == "single":
            qb, db, ql, dl = single_label_case(rng, bits, classes, flip, absent)
        else:
            qb, db, ql, dl = multi_label_case(rng, bits, classes, flip)
        files = {}
        for key, array in (("query_codes", encode(qb, form, rng)), ("db_codes", encode(db, form, rng)),
                           ("query_labels", ql.astype(label_dtype)), ("db_labels", dl.astype(label_dtype))):
            files[key] = f"{name}_{key}.npy"
            np.save(os.path.join(out, files[key]), array)
            if key.endswith("codes"):   # the stored form decodes back to the codes
                assert np.array_equal(decode(array, form, bits), qb if key == "query_codes" else db), (name, key)
        rel = relevance(ql, dl)
        for topk in (None, 50):
            case = {"name": f"{name}_{'all' if topk is None else f'top{topk}'}", "bits": bits, "form": form,
                    "packed": bits if form == "packed_uint8" else None, "topk": topk, **files,
                    "queries": N_QUERIES, "database": N_DATABASE, "multi_label": kind == "multi"}
            case.update(metrics(qb, db, rel, topk))
            golden["cases"].append(case)
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print(f"wrote {len(golden['cases'])} cases to {out}")


if __name__ == "__main__":
    main()
