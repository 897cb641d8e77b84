"""Checks an HDF5 file written by spicelab against what the Rust test expects.

    python3 hdf5_check.py FILE.h5 EXPECT.json

EXPECT.json: {"root_attrs": {...}, "groups": {GROUP: {"dims": {NAME: LEN},
"coords": {NAME: VALUES}, "vars": {NAME: {"dims": [...], "units": U,
"dtype": D, "values": VALUES}}, "attrs": {...}}}}. VALUES are nested lists,
null for NaN, {"re": ..., "im": ...} for complex. Each group is opened with
xarray (engine h5netcdf) and read again with h5py. Prints "ok" or fails.
"""
import json
import sys

import h5py
import numpy as np
import xarray as xr


def arr(v):
    if isinstance(v, dict):
        return arr(v["re"]) + 1j * arr(v["im"])
    return np.array(v, dtype=object).astype(float) if _numeric(v) else np.array(v)


def _numeric(v):
    while isinstance(v, list) and v:
        v = v[0]
    return v is None or isinstance(v, (int, float))


def close(got, want, what):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    if want.dtype.kind in "fc":
        ok = np.allclose(got, want, rtol=1e-6, atol=0, equal_nan=True)
        assert ok, f"{what}: values differ: got {got.ravel()[:6]}, expected {want.ravel()[:6]}"
    else:
        assert (got.astype(str) == want.astype(str)).all(), f"{what}: {got[:6]} != {want[:6]}"


def main(path, expect_path):
    with open(expect_path) as f:
        expect = json.load(f)
    with h5py.File(path, "r") as h:
        for k, v in expect.get("root_attrs", {}).items():
            got = h.attrs[k]
            got = got.decode() if isinstance(got, bytes) else got
            assert got == v, f"root attribute {k}: {got!r}, expected {v!r}"
    for group, g in expect["groups"].items():
        ds = xr.open_dataset(path, engine="h5netcdf", group=None if group == "/" else group)
        dims = dict(ds.sizes)
        assert not any("phony" in d for d in dims), f"{group}: phony dimensions {dims}"
        assert dims == g["dims"], f"{group}: dims {dims}, expected {g['dims']}"
        for name, values in g.get("coords", {}).items():
            assert name in ds.coords, f"{group}: {name} is not a coordinate ({list(ds.coords)})"
            close(ds.coords[name].values, arr(values), f"{group}/{name}")
        for k, v in g.get("attrs", {}).items():
            assert str(ds.attrs.get(k)) == str(v), f"{group}: attribute {k}={ds.attrs.get(k)!r}, expected {v!r}"
        for name, want in g.get("vars", {}).items():
            assert name in ds.variables, f"{group}: no variable {name} ({list(ds.variables)})"
            var = ds[name]
            assert list(var.dims) == want["dims"], f"{group}/{name}: dims {var.dims}, expected {want['dims']}"
            if "units" in want:
                assert var.attrs.get("units") == want["units"], f"{group}/{name}: units {var.attrs.get('units')!r}"
            if "dtype" in want:
                assert str(var.dtype) == want["dtype"], f"{group}/{name}: dtype {var.dtype}, expected {want['dtype']}"
            close(var.values, arr(want["values"]), f"{group}/{name} (xarray)")
            with h5py.File(path, "r") as h:
                key = name if group == "/" else f"{group}/{name}"
                raw = h[key][()]
                if raw.dtype.names == ("r", "i"):
                    raw = raw["r"] + 1j * raw["i"]
                if raw.dtype.kind == "O":
                    raw = np.array([x.decode() if isinstance(x, bytes) else x for x in raw])
                close(raw, arr(want["values"]), f"{group}/{name} (h5py)")
        ds.close()
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
