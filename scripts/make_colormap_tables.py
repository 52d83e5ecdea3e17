#!/usr/bin/env python3
"""Prints the 256-entry 8-bit colour tables of Sources/Render/Heatmaps/ColorMapTables.swift.

Source: matplotlib's published tables (lib/matplotlib/_cm_listed.py: _viridis_data and
_inferno_data, by Nathaniel J. Smith, Stefan van der Walt and Eric Firing, CC0) and the
segment data of jet (lib/matplotlib/_cm.py: _jet_data), sampled the way matplotlib's
LinearSegmentedColormap does with N = 256 (x = i / 255, linear between the segment points).
Each channel is stored as round(value * 255).

Usage: python3 scripts/make_colormap_tables.py MATPLOTLIB_PACKAGE_DIR
(the folder holding _cm_listed.py and _cm.py, e.g. unpacked from `pip download matplotlib`).
Needs only the Python standard library: the two files are read as text, not imported.
"""
import ast
import re
import sys


def literal(source, name):
    match = re.search(r"^" + name + r"\s*=\s*", source, re.M)
    start = match.end()
    depth = 0
    for i in range(start, len(source)):
        c = source[i]
        if c in "[({":
            depth += 1
        elif c in "])}":
            depth -= 1
            if depth == 0:
                return ast.literal_eval(source[start:i + 1])
    raise ValueError(name)


def segment_channel(points, x):
    for (x0, _, y0), (x1, y1, _) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def hex_table(rows):
    entries = ["%02x%02x%02x" % tuple(int(round(v * 255)) for v in row) for row in rows]
    return [" ".join(entries[i:i + 8]) for i in range(0, 256, 8)]


def main():
    folder = sys.argv[1]
    listed = open(folder + "/_cm_listed.py").read()
    segments = open(folder + "/_cm.py").read()
    jet = literal(segments, "_jet_data")
    tables = {
        "jet": [[segment_channel(jet[c], i / 255) for c in ("red", "green", "blue")] for i in range(256)],
        "viridis": literal(listed, "_viridis_data"),
        "inferno": literal(listed, "_inferno_data"),
    }
    for name, rows in tables.items():
        assert len(rows) == 256, name
        print("    static let %s = \"\"\"" % name)
        for line in hex_table(rows):
            print("        " + line)
        print("        \"\"\"")


if __name__ == "__main__":
    main()
