"""numpy baseline of `cargo xtask bench`: min, max, mean, rms of every vector
of the first plot of an ngspice RAW file, read in chunks (bounded memory).

Binary: np.fromfile chunks of points. ASCII: chunks of text cut at a point
boundary, parsed with np.fromstring. Prints one JSON object on stdout.

usage: python3 numpy_stats.py FILE.raw
"""

import json
import sys
import time

import numpy as np

from rawhead import read_header

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
        fields, names, offset, encoding = read_header(f)
        nvars, npoints = len(names), int(fields["No. Points"])
        f.seek(offset)
        acc = Acc(nvars)
        (binary if encoding == "binary" else ascii)(f, nvars, npoints, acc)
    n = max(acc.n, 1)
    mean = acc.sum / n
    rms = np.sqrt(acc.sumsq / n)
    out = {
        "tool": "numpy",
        "version": np.__version__,
        "encoding": encoding,
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
