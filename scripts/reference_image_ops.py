#!/usr/bin/env python3
"""Reference image operations in numpy, and the golden fixtures the Swift ones are tested on.

Usage (from anywhere; needs python3 and numpy only):
    python3 scripts/reference_image_ops.py [OUT_FILE]

OUT_FILE defaults to Tests/RenderTests/Fixtures/image_ops.json. Running it again writes the
same bytes. Images are uint8 arrays of shape (height, width, 3); every operation maps uint8 to
uint8, so a chain rounds between its steps, as the Swift code does.

Conventions (the same ones Sources/Render/Operations documents):
- Pixel i covers [i, i + 1); its centre is i + 0.5.
- Rounding: np.clip(np.floor(v + 0.5), 0, 255) (round half up, then clamp).
- Resize, per axis (separable): shrinking averages areas: output i covers [i*s, (i+1)*s) in
  source units, s = src / dst, each source pixel weighted by overlap / s (an integer factor is
  an exact box average). Enlarging is bilinear: x = (i + 0.5) * s - 0.5 clamped to
  [0, src - 1]. Equal sizes: identity.
- Rotate by t degrees counter-clockwise (as seen on screen, y pointing down) about
  (w / 2, h / 2), same size out: output (x, y) samples the source at
  sx = cx + dx cos t - dy sin t - 0.5, sy = cy + dx sin t + dy cos t - 0.5 with
  (dx, dy) = (x + 0.5 - cx, y + 0.5 - cy), bilinearly. Fill "black": neighbours outside the
  image count as 0. Fill "reflect": each coordinate reflects about -0.5 and size - 0.5
  (period 2 * size), then is clamped to [0, size - 1]. Multiples of 90 degrees use exact
  sin/cos, so 90 degrees on a square image equals np.rot90 (checked below).
- Centre crop by f: side' = max(1, floor(side * f + 0.5)), offset (side - side') // 2.
- Brightness b: v * b. Contrast c: m + c * (v - m), m = mean over pixels of
  0.299 R + 0.587 G + 0.114 B (a real number).
- Flip: mirror left to right.
"""
import json
import math
import os
import sys

import numpy as np


def to_byte(values):
    return np.clip(np.floor(np.asarray(values, dtype=np.float64) + 0.5), 0, 255).astype(np.uint8)


# ---- the reference operations -----------------------------------------------------------

def axis_matrix(src, dst):
    """(dst, src) weights of one axis."""
    m = np.zeros((dst, src))
    if src == dst:
        return np.eye(src)
    s = src / dst
    for i in range(dst):
        if dst < src:
            lo, hi = i * s, (i + 1) * s
            for j in range(int(math.floor(lo)), min(src, int(math.ceil(hi)))):
                overlap = min(j + 1, hi) - max(j, lo)
                if overlap > 0:
                    m[i, j] = overlap / s
        else:
            x = min(max((i + 0.5) * s - 0.5, 0), src - 1)
            j = int(math.floor(x))
            f = x - j
            if j + 1 < src:
                m[i, j] += 1 - f
                m[i, j + 1] += f
            else:
                m[i, j] = 1
    return m


def resize(img, width, height):
    h, w, _ = img.shape
    wy, wx = axis_matrix(h, height), axis_matrix(w, width)
    out = np.einsum("yj,jic,xi->yxc", wy, img.astype(np.float64), wx)
    return to_byte(out)


def sin_cos(degrees):
    turns = math.fmod(degrees, 360)
    quarter = turns / 90
    if quarter == round(quarter):
        return [(0, 1), (1, 0), (0, -1), (-1, 0)][int(quarter) % 4]
    r = math.radians(turns)
    return math.sin(r), math.cos(r)


def reflect(c, size):
    p = math.fmod(c + 0.5, 2 * size)
    if p < 0:
        p += 2 * size
    if p > size:
        p = 2 * size - p
    return min(max(p - 0.5, 0), size - 1)


def rotate(img, degrees, fill):
    h, w, _ = img.shape
    s, c = sin_cos(degrees)
    cx, cy = w / 2, h / 2
    src = img.astype(np.float64)
    out = np.zeros((h, w, 3))
    for y in range(h):
        for x in range(w):
            dx, dy = x + 0.5 - cx, y + 0.5 - cy
            sx = cx + dx * c - dy * s - 0.5
            sy = cy + dx * s + dy * c - 0.5
            if fill == "reflect":
                sx, sy = reflect(sx, w), reflect(sy, h)
            x0, y0 = math.floor(sx), math.floor(sy)
            fx, fy = sx - x0, sy - y0
            for xx, yy, wt in ((x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
                               (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy)):
                if 0 <= xx < w and 0 <= yy < h:
                    out[y, x] += wt * src[yy, xx]
    return to_byte(out)


def crop_centre(img, fraction):
    h, w, _ = img.shape
    cw = max(1, int(math.floor(w * fraction + 0.5)))
    ch = max(1, int(math.floor(h * fraction + 0.5)))
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return img[y0:y0 + ch, x0:x0 + cw].copy()


def crop_box(img, x, y, width, height):
    return img[y:y + height, x:x + width].copy()


def brightness(img, factor):
    return to_byte(img.astype(np.float64) * factor)


def contrast(img, factor):
    f = img.astype(np.float64)
    mean = float(np.mean(0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]))
    return to_byte(mean + factor * (f - mean))


def flip(img):
    return img[:, ::-1].copy()


# ---- inputs and cases ---------------------------------------------------------------------

def gradient(width, height):
    """TestImages.gradient in Tests/TestSupport."""
    img = np.zeros((height, width, 3), dtype=np.uint8)
    for y in range(height):
        for x in range(width):
            img[y, x] = (x * 255 // max(1, width - 1), y * 255 // max(1, height - 1),
                         (x + y) * 255 // max(1, width + height - 2))
    return img


def main():
    out_file = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "RenderTests", "Fixtures", "image_ops.json")
    rng = np.random.default_rng(20240605)
    inputs = {
        "gradient7x5": gradient(7, 5),
        "gradient14x10": gradient(14, 10),
        "random7x5": rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8),
        "random6x6": rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8),
    }
    r75, sq = inputs["random7x5"], inputs["random6x6"]
    assert np.array_equal(rotate(sq, 90, "black"), np.rot90(sq)), "90 degrees must be an exact rot90"
    assert np.array_equal(rotate(sq, -90, "reflect"), np.rot90(sq, -1))
    assert np.array_equal(rotate(sq, 180, "black"), sq[::-1, ::-1])

    cases = []

    def add(name, source, op, result, **params):
        h, w, _ = result.shape
        cases.append({"name": name, "input": source, "op": op, **params,
                      "expected": {"width": w, "height": h, "pixels": result.reshape(-1).tolist()}})

    for source, (w, h) in [("gradient7x5", (3, 2)), ("gradient14x10", (7, 5)), ("random7x5", (4, 3)),
                           ("random7x5", (12, 9)), ("random7x5", (14, 3)), ("random7x5", (7, 5)),
                           ("random6x6", (2, 2)), ("gradient7x5", (5, 8))]:
        add(f"resize {source} to {w}x{h}", source, "resize", resize(inputs[source], w, h), width=w, height=h)
    for source, degrees, fill in [("random7x5", 30, "black"), ("random7x5", 30, "reflect"),
                                  ("random7x5", -45, "reflect"), ("random7x5", 137.5, "black"),
                                  ("random7x5", 90, "black"), ("random6x6", 90, "black"),
                                  ("random6x6", -90, "reflect"), ("random6x6", 180, "reflect"),
                                  ("gradient7x5", 12, "reflect"), ("random6x6", 405, "black")]:
        add(f"rotate {source} by {degrees} fill {fill}", source, "rotate",
            rotate(inputs[source], degrees, fill), degrees=degrees, fill=fill)
    for source, fraction in [("random7x5", 0.6), ("random7x5", 0.5), ("random6x6", 0.8), ("random7x5", 1.0)]:
        add(f"crop {source} centre {fraction}", source, "crop", crop_centre(inputs[source], fraction), fraction=fraction)
    add("crop random7x5 box 1,1,4,3", "random7x5", "cropBox", crop_box(r75, 1, 1, 4, 3), x=1, y=1, width=4, height=3)
    for factor in (1.3, 0.5, 0.0):
        add(f"brightness {factor}", "random7x5", "brightness", brightness(r75, factor), factor=factor)
    for factor in (0.7, 1.5, 0.0):
        add(f"contrast {factor}", "random7x5", "contrast", contrast(r75, factor), factor=factor)
    add("flip random7x5", "random7x5", "flip", flip(r75))
    chain = flip(contrast(brightness(crop_centre(rotate(r75, 30, "reflect"), 0.8), 1.2), 0.9))
    add("spec chain", "random7x5", "spec", chain, spec="rotate:30,crop:0.8,brightness:1.2,contrast:0.9,flip,fill:reflect")

    document = {
        "generator": "scripts/reference_image_ops.py",
        "inputs": {name: {"width": img.shape[1], "height": img.shape[0], "pixels": img.reshape(-1).tolist()}
                   for name, img in inputs.items()},
        "cases": cases,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
    # One input or case per line: readable diffs when a convention changes.
    def compact(value):
        return json.dumps(value, separators=(",", ":"))

    lines = ['{"generator":' + compact(document["generator"]) + ',', '"inputs":{']
    lines += [",\n".join(compact(name) + ":" + compact(img) for name, img in document["inputs"].items())]
    lines += ['},', '"cases":[']
    lines += [",\n".join(compact(case) for case in cases)]
    lines += [']}']
    with open(out_file, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(cases)} cases to {out_file}")


if __name__ == "__main__":
    main()
