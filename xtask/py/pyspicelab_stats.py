"""Baseline of `cargo xtask bench`: the Python package `spicelab` (PyPI,
0.4.1; unrelated to this project) and its `StreamingRAWReader`, reading every
vector in chunks; min, max, mean, rms accumulated with numpy.
Prints one JSON object on stdout.

usage: python3 pyspicelab_stats.py FILE.raw [CHUNK_POINTS]

CHUNK_POINTS defaults to 131072 for binary files. For ASCII files that
reader decodes the whole file again for every chunk, so the default there is
one chunk of every point (its fastest setting).
"""

import json
import logging
import sys
import time

import numpy as np


def main():
    logging.disable(logging.CRITICAL)
    from importlib.metadata import version

    from spicelab.io.raw_streaming import StreamingRAWReader

    path = sys.argv[1]
    start = time.perf_counter()
    with StreamingRAWReader(path) as reader:
        names = reader.variable_names
        n = reader.n_points
        if len(sys.argv) > 2:
            chunk = int(sys.argv[2])
        else:
            chunk = 1 << 17 if reader.header.is_binary else max(n, 1)
        k = len(names)
        lo, hi = np.full(k, np.inf), np.full(k, -np.inf)
        total, sumsq, count = np.zeros(k), np.zeros(k), 0
        for block in reader.iter_all_variables(chunk_size=chunk):
            for j, name in enumerate(names):
                a = np.asarray(block[name], dtype=np.float64)
                if len(a) == 0:
                    continue
                lo[j] = min(lo[j], a.min())
                hi[j] = max(hi[j], a.max())
                total[j] += a.sum()
                sumsq[j] += np.dot(a, a)
            count += len(block[names[0]]) if names else 0
    c = max(count, 1)
    out = {"tool": "spicelab-pypi", "version": version("spicelab"), "points": count,
           "chunk_points": chunk, "seconds": time.perf_counter() - start,
           "vectors": [{"name": nm, "min": float(lo[j]), "max": float(hi[j]),
                        "mean": float(total[j] / c), "rms": float(np.sqrt(sumsq[j] / c))}
                       for j, nm in enumerate(names)]}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
