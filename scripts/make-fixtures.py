#!/usr/bin/env python3
"""Writes the small gallery fixtures under Tests/RetrievalTests/Fixtures/ from real data.

Usage (from anywhere):
    python3 scripts/make-fixtures.py [DATASETS]

DATASETS defaults to ../shared/datasets relative to the repository root (see its README.md);
Fashion-MNIST comes from the Debian package dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist, MIT licence).

Needs python3 with numpy, and the `djpeg` command (Debian package libjpeg-turbo-progs) to
decode the CIFAR-10 JPEGs into PPM with libjpeg's default settings, which are the ones our
own decoder uses, so the tests can compare pixels exactly.

What it writes (the whole folder stays far below 1 MB):

cifar10-bin/cifar-10-batches-bin/
    data_batch_1.bin .. data_batch_5.bin: 4 records each (1 label byte + 3072 planar pixel
    bytes). Record r of batch b (both from 0) is image k = 4*b + r of the train set taken
    class by class: train/<class k % 10>/<k // 10 as 4 digits>.jpg, label k % 10.
    test_batch.bin: the first 10 test images in the original CIFAR-10 order:
    test_labels_original_order.txt gives their labels, and the n-th test image of class c in
    that order is test/<class c>/<n as 4 digits>.jpg.
    batches.meta.txt: the 10 class names, one per line, then a blank line (as the original).
cifar10-bin/sources.txt
    One line per record in gallery order: `<item id> <jpeg path relative to DATASETS>`.
cifar10-py/cifar-10-batches-py/
    The same batches as the original python download writes them: Python 2 cPickle protocol 2
    (keys as SHORT_BINSTRING, numpy.core.multiarray._reconstruct with the pixels as one
    BINSTRING, labels as a list built with APPENDS of BININT1, file names as str). Python 3
    cannot write that byte for byte, so the opcodes are emitted here and read back with
    pickle.load(f, encoding='bytes') to check that numpy sees the same arrays.
cifar10-py3/cifar-10-batches-py/
    The same batches re-saved by Python 3's pickle.dump (default protocol, str keys, numpy 2
    arrays), as modern tooling writes them.
fashion-mnist/gz/ and fashion-mnist/plain/
    The first 12 train and 8 test images and labels of Fashion-MNIST as IDX files, gzipped
    (*.gz, mtime 0 so reruns give the same bytes) and plain.
list/test.txt and list/images/*.ppm
    A DeepHash-pytorch list file: `images/NAME.ppm l0 l1 l2 l3 l4`, multi-hot over 5 labels
    (l0 airplane, l1 automobile, l2 bird, l3 cat, l4 vehicle), 6 CIFAR-10 test images as P6.
"""
import gzip
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys

import numpy as np

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
TRAIN_BATCHES = 5
TRAIN_PER_BATCH = 4
TEST_COUNT = 10
FASHION_COUNTS = {"train": 12, "t10k": 8}
FASHION_SOURCE = "/usr/share/datasets/fashion-mnist"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "RetrievalTests", "Fixtures")


def decode_jpeg(path):
    """RGB pixels (H, W, 3) uint8 and the P6 bytes, through djpeg."""
    ppm = subprocess.run(["djpeg", "-pnm", path], check=True, capture_output=True).stdout
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; no comments in djpeg's output
        while ppm[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while not ppm[pos:pos + 1].isspace():
            pos += 1
        fields.append(ppm[start:pos])
    assert fields[0] == b"P6" and fields[3] == b"255", f"{path}: djpeg did not give an 8-bit P6"
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(ppm[pos + 1:], dtype=np.uint8).reshape(height, width, 3)
    return pixels, ppm


def planar(pixels):
    """CIFAR's record layout: 1024 R, 1024 G, 1024 B, each row-major."""
    assert pixels.shape == (32, 32, 3)
    return pixels.transpose(2, 0, 1).reshape(-1)


def cifar_records(datasets):
    """[(stem, [(jpeg relative path, label)])] in gallery order."""
    batches = []
    for b in range(TRAIN_BATCHES):
        records = []
        for r in range(TRAIN_PER_BATCH):
            k = b * TRAIN_PER_BATCH + r
            records.append((f"cifar10/train/{CLASSES[k % 10]}/{k // 10:04d}.jpg", k % 10))
        batches.append((f"data_batch_{b + 1}", records))
    with open(os.path.join(datasets, "cifar10", "test_labels_original_order.txt")) as f:
        labels = [int(line) for line in f.read().split()[:TEST_COUNT]]
    seen = [0] * 10
    records = []
    for label in labels:
        records.append((f"cifar10/test/{CLASSES[label]}/{seen[label]:04d}.jpg", label))
        seen[label] += 1
    batches.append(("test_batch", records))
    return batches


class Py2Pickler:
    """Just enough of Python 2's cPickle (protocol 2) for a CIFAR-10 batch dict."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")
        self.memo = 1  # cPickle's memo ids start at 1

    def put(self):
        if self.memo < 256:
            self.out += b"q" + bytes([self.memo])  # BINPUT
        else:
            self.out += b"r" + struct.pack("<I", self.memo)  # LONG_BINPUT
        self.memo += 1

    def string(self, data, memoize=True):  # a Python 2 str
        if len(data) < 256:
            self.out += b"U" + bytes([len(data)]) + data
        else:
            self.out += b"T" + struct.pack("<i", len(data)) + data
        if memoize:
            self.put()

    def int(self, value):
        if 0 <= value < 256:
            self.out += b"K" + bytes([value])
        elif 0 <= value < 65536:
            self.out += b"M" + struct.pack("<H", value)
        else:
            self.out += b"J" + struct.pack("<i", value)

    def glob(self, module, name):
        self.out += b"c" + module + b"\n" + name + b"\n"
        self.put()

    def list(self, items, write):
        self.out += b"]"
        self.put()
        for start in range(0, len(items), 1000):  # cPickle's batch size
            chunk = items[start:start + 1000]
            if len(chunk) == 1:
                write(chunk[0])
                self.out += b"a"
            else:
                self.out += b"("
                for item in chunk:
                    write(item)
                self.out += b"e"

    def ndarray_uint8(self, array):
        assert array.dtype == np.uint8 and array.flags.c_contiguous
        self.glob(b"numpy.core.multiarray", b"_reconstruct")
        self.glob(b"numpy", b"ndarray")
        self.out += b"K\x00\x85"  # (0,)
        self.string(b"b", memoize=False)
        self.out += b"\x87R"  # TUPLE3 REDUCE
        self.put()
        self.out += b"(K\x01"  # the state: (1, shape, dtype, is_fortran, rawdata)
        for size in array.shape:
            self.int(size)
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}[array.ndim]
        self.glob(b"numpy", b"dtype")
        self.string(b"u1", memoize=False)
        self.out += b"K\x00K\x01\x87R"
        self.put()
        self.out += b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # dtype state
        self.out += b"\x89"  # NEWFALSE: C order
        self.string(array.tobytes())
        self.out += b"tb"

    def dump(self, entries):
        """entries: [(key bytes, kind, value)] written in this order into one dict."""
        self.out += b"}"
        self.put()
        self.out += b"("
        for key, kind, value in entries:
            self.string(key)
            if kind == "array":
                self.ndarray_uint8(value)
            elif kind == "ints":
                self.list(value, self.int)
            elif kind == "strings":
                self.list(value, self.string)
            elif kind == "string":
                self.string(value)
            elif kind == "int":
                self.int(value)
        self.out += b"u."
        return bytes(self.out)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_cifar(datasets):
    batches = cifar_records(datasets)
    bin_dir = os.path.join(OUT, "cifar10-bin", "cifar-10-batches-bin")
    py2_dir = os.path.join(OUT, "cifar10-py", "cifar-10-batches-py")
    py3_dir = os.path.join(OUT, "cifar10-py3", "cifar-10-batches-py")
    sources = []
    for index, (stem, records) in enumerate(batches):
        rows, labels, names = [], [], []
        for r, (jpeg, label) in enumerate(records):
            pixels, _ = decode_jpeg(os.path.join(datasets, jpeg))
            rows.append(planar(pixels))
            labels.append(label)
            names.append(os.path.basename(os.path.dirname(jpeg)) + "_" + os.path.basename(jpeg)[:-4] + ".png")
            sources.append(f"{stem}/{r} {jpeg}")
        data = np.stack(rows)
        is_test = stem == "test_batch"
        batch_label = "testing batch 1 of 1" if is_test else f"training batch {index + 1} of {TRAIN_BATCHES}"

        write(os.path.join(bin_dir, stem + ".bin"),
              b"".join(bytes([label]) + row.tobytes() for label, row in zip(labels, rows)))

        py2 = Py2Pickler().dump([
            (b"data", "array", data),
            (b"labels", "ints", labels),
            (b"batch_label", "string", batch_label.encode()),
            (b"filenames", "strings", [name.encode() for name in names]),
        ])
        write(os.path.join(py2_dir, stem), py2)
        back = pickle.loads(py2, encoding="bytes")
        assert np.array_equal(back[b"data"], data) and back[b"data"].dtype == np.uint8
        assert back[b"labels"] == labels and back[b"filenames"] == [n.encode() for n in names]
        assert back[b"batch_label"] == batch_label.encode()

        py3 = {"batch_label": batch_label, "labels": labels, "data": data, "filenames": names}
        buffer = io.BytesIO()
        pickle.dump(py3, buffer)
        write(os.path.join(py3_dir, stem), buffer.getvalue())
        back = pickle.loads(buffer.getvalue())
        assert np.array_equal(back["data"], data) and back["labels"] == labels

    write(os.path.join(bin_dir, "batches.meta.txt"), ("\n".join(CLASSES) + "\n\n").encode())
    py2_meta = Py2Pickler().dump([
        (b"num_cases_per_batch", "int", TRAIN_PER_BATCH),
        (b"label_names", "strings", [name.encode() for name in CLASSES]),
        (b"num_vis", "int", 3072),
    ])
    write(os.path.join(py2_dir, "batches.meta"), py2_meta)
    assert pickle.loads(py2_meta, encoding="bytes")[b"label_names"] == [n.encode() for n in CLASSES]
    buffer = io.BytesIO()
    pickle.dump({"num_cases_per_batch": TRAIN_PER_BATCH, "label_names": CLASSES, "num_vis": 3072}, buffer)
    write(os.path.join(py3_dir, "batches.meta"), buffer.getvalue())
    write(os.path.join(OUT, "cifar10-bin", "sources.txt"), ("\n".join(sources) + "\n").encode())


def idx_slice(path, count):
    """The first `count` items of an IDX file (gzip), with its header rewritten."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    dims = struct.unpack(">" + "I" * data[3], data[4:4 + 4 * data[3]])
    item = int(np.prod(dims[1:])) if len(dims) > 1 else 1
    body = data[4 + 4 * len(dims):4 + 4 * len(dims) + count * item]
    return magic + struct.pack(">" + "I" * len(dims), count, *dims[1:]) + body


def make_fashion():
    for split, count in FASHION_COUNTS.items():
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte"
            data = idx_slice(os.path.join(FASHION_SOURCE, name + ".gz"), count)
            write(os.path.join(OUT, "fashion-mnist", "plain", name), data)
            buffer = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as f:
                f.write(data)
            write(os.path.join(OUT, "fashion-mnist", "gz", name + ".gz"), buffer.getvalue())


def make_list(datasets):
    # l0 airplane, l1 automobile, l2 bird, l3 cat, l4 vehicle
    entries = [("airplane", [1, 0, 0, 0, 1]), ("automobile", [0, 1, 0, 0, 1]), ("bird", [0, 0, 1, 0, 0]),
               ("cat", [0, 0, 0, 1, 0]), ("ship", [0, 0, 0, 0, 1]), ("truck", [0, 0, 0, 0, 1])]
    lines = []
    for name, labels in entries:
        _, ppm = decode_jpeg(os.path.join(datasets, "cifar10", "test", name, "0000.jpg"))
        write(os.path.join(OUT, "list", "images", name + ".ppm"), ppm)
        lines.append(f"images/{name}.ppm " + " ".join(map(str, labels)))
    write(os.path.join(OUT, "list", "test.txt"), ("\n".join(lines) + "\n").encode())


def main():
    datasets = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "datasets")
    if not os.path.isdir(os.path.join(datasets, "cifar10")):
        sys.exit(f"{datasets}: no cifar10/ folder (give the shared datasets folder as the argument)")
    if shutil.which("djpeg") is None:
        sys.exit("djpeg not found: install libjpeg-turbo-progs")
    for folder in ("cifar10-bin", "cifar10-py", "cifar10-py3", "fashion-mnist", "list"):
        shutil.rmtree(os.path.join(OUT, folder), ignore_errors=True)
    make_cifar(datasets)
    make_fashion()
    make_list(datasets)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote fixtures to {OUT} ({total} bytes in all)")


if __name__ == "__main__":
    main()
