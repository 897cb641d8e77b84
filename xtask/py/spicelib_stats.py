"""spicelib baseline of `cargo xtask bench`: spicelib's RawRead reads the
file, then min, max, mean, rms of every vector with numpy.
Prints one JSON object on stdout.

usage: python3 spicelib_stats.py FILE.raw [DIALECT]

DIALECT (ngspice, ltspice, xyce, qspice) is passed to RawRead: spicelib
cannot detect ngspice files without a Command: line (ngspice < 44).
"""

import json
import logging
import sys
import time

import numpy as np


def main():
    logging.disable(logging.CRITICAL)
    import spicelib
    from spicelib import RawRead

    try:
        from importlib.metadata import version
        ver = version("spicelib")
    except Exception:  # noqa: BLE001
        ver = getattr(spicelib, "__version__", "unknown")
    path = sys.argv[1]
    dialect = sys.argv[2] if len(sys.argv) > 2 else None
    start = time.perf_counter()
    raw = RawRead(path, traces_to_read="*", dialect=dialect, verbose=False)
    vectors = []
    points = 0
    for name in raw.get_trace_names():
        w = np.asarray(raw.get_wave(name), dtype=np.float64)
        points = len(w)
        vectors.append({"name": name, "min": float(w.min()), "max": float(w.max()),
                        "mean": float(w.mean()), "rms": float(np.sqrt(np.mean(w * w)))})
    out = {"tool": "spicelib", "version": ver, "points": points,
           "seconds": time.perf_counter() - start, "vectors": vectors}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
