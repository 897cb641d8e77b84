"""numpy baseline of `cargo xtask bench`: min, max, mean, rms of every vector
of the first plot of a RAW file, read in chunks (bounded memory).

ngspice binary: np.fromfile chunks of points. LTspice binary: chunks of
structured records (f64 time, f32 traces), or, with `fastaccess`, each
variable's contiguous block in chunks. ASCII: chunks of text cut at a point
boundary, parsed with np.fromstring. Prints one JSON object on stdout.

usage: python3 numpy_stats.py FILE.raw
"""

import json
import sys
import time

import numpy as np

from rawhead import read_layout

CHUNK_POINTS = 1 << 17
ASCII_BLOCK = 8 << 20


class Acc:
    def __init__(self, nvars):
        self.n = 0
        self.min = np.full(nvars, np.inf)
        self.max = np.full(nvars, -np.inf)
        self.sum = np.zeros(nvars)
        self.sumsq = np.zeros(nvars)

    def add(self, block):
        if len(block) == 0:
            return
        self.n += len(block)
        np.minimum(self.min, block.min(axis=0), out=self.min)
        np.maximum(self.max, block.max(axis=0), out=self.max)
        self.sum += block.sum(axis=0)
        self.sumsq += np.einsum("ij,ij->j", block, block)


def binary(f, nvars, npoints, acc):
    left = npoints
    while left > 0:
        n = min(CHUNK_POINTS, left)
        block = np.fromfile(f, dtype="<f8", count=n * nvars)
        got = len(block) // nvars
        acc.add(block[: got * nvars].reshape(got, nvars))
        left -= got
        if got < n:
            break  # file cut short


def records(f, dtypes, npoints, acc):
    """Point-major binary of mixed types (LTspice: f64 time, f32 traces)."""
    rec = np.dtype([(f"v{j}", t) for j, t in enumerate(dtypes)])
    left = npoints
    while left > 0:
        n = min(CHUNK_POINTS, left)
        block = np.fromfile(f, dtype=rec, count=n)
        got = len(block)
        rows = np.empty((got, len(dtypes)))
        for j in range(len(dtypes)):
            rows[:, j] = block[f"v{j}"]
        acc.add(rows)
        left -= got
        if got < n:
            break


def fastaccess(f, offset, dtypes, npoints, acc):
    """Variable-major binary (LTspice fastaccess): each variable in turn."""
    at = offset
    acc.n = npoints
    for j, t in enumerate(dtypes):
        f.seek(at)
        left, seen = npoints, 0
        while left > 0:
            n = min(CHUNK_POINTS * 8, left)
            col = np.fromfile(f, dtype=t, count=n).astype(np.float64)
            if len(col):
                acc.min[j] = min(acc.min[j], col.min())
                acc.max[j] = max(acc.max[j], col.max())
                acc.sum[j] += col.sum()
                acc.sumsq[j] += np.dot(col, col)
            seen += len(col)
            left -= len(col)
            if len(col) < n:
                break
        acc.n = min(acc.n, seen)
        at += npoints * np.dtype(t).itemsize


def ascii(f, nvars, npoints, acc):
    width = nvars + 1  # the point index, then one value per variable
    carry = b""
    while acc.n < npoints:
        data = f.read(ASCII_BLOCK)
        buf = carry + data
        if not data:
            cut = len(buf)
        else:
            # cut before the last line that starts a point ("<index>\t...")
            cut = buf.rfind(b"\n")
            while cut > 0 and not buf[cut + 1 : cut + 2].isdigit():
                cut = buf.rfind(b"\n", 0, cut)
            cut = cut + 1 if cut > 0 else 0
        text, carry = buf[:cut], buf[cut:]
        if text:
            vals = np.fromstring(text.decode("ascii"), dtype=np.float64, sep=" ")
            rows = len(vals) // width
            acc.add(vals[: rows * width].reshape(rows, width)[:, 1:])
        if not data:
            break


def main():
    path = sys.argv[1]
    start = time.perf_counter()
    with open(path, "rb") as f:
        h = read_layout(f)
        names, dtypes = h["names"], h["dtypes"]
        nvars, npoints = len(names), int(h["fields"]["No. Points"])
        f.seek(h["offset"])
        acc = Acc(nvars)
        if h["encoding"] == "ascii":
            layout = "ascii"
            ascii(f, nvars, npoints, acc)
        elif h["fastaccess"]:
            layout = "fastaccess"
            fastaccess(f, h["offset"], dtypes, npoints, acc)
        elif all(t == "<f8" for t in dtypes):
            layout = "normal"
            binary(f, nvars, npoints, acc)
        else:
            layout = "normal"
            records(f, dtypes, npoints, acc)
        encoding = h["encoding"]
    n = max(acc.n, 1)
    mean = acc.sum / n
    rms = np.sqrt(acc.sumsq / n)
    out = {
        "tool": "numpy",
        "version": np.__version__,
        "encoding": encoding,
        "layout": layout,
        "points": acc.n,
        "seconds": time.perf_counter() - start,
        "vectors": [
            {"name": name, "min": float(acc.min[j]), "max": float(acc.max[j]),
             "mean": float(mean[j]), "rms": float(rms[j])}
            for j, name in enumerate(names)
        ],
    }
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
