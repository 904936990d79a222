"""Writes and checks HDF5 files for the array tests with h5py (Debian's python3-h5py).

    h5_fixture.py write FILE          datasets whose values follow value() below
    h5_fixture.py check FILE DSET     prints "shape dtype sum weighted-sum attrs" of a dataset

Values are exact in binary (multiples of 1/4), so sums agree to the last bit in any order.
"""
import sys

import h5py
import numpy as np


def value(shape):
    idx = np.indices(shape)
    v = np.zeros(shape)
    for axis, i in enumerate(idx):
        v += i * (0.5 if axis == 0 else -0.25 * axis)
    return v


def write(path):
    with h5py.File(path, "w") as f:
        f.create_dataset("f64", data=value((37, 23)), chunks=(8, 5))
        f.create_dataset("i32", data=np.arange(97, dtype=np.int32) * 3 - 50)
        g = f.create_group("g")
        d = g.create_dataset("f32", data=value((7, 5, 6)).astype(np.float32), chunks=(3, 2, 4),
                             compression="gzip")
        d.attrs["units"] = "m/s"
        d.attrs["scale"] = 0.5
        f.create_dataset("empty", shape=(0, 4), dtype="f8")


def check(path, name):
    with h5py.File(path, "r") as f:
        d = f[name]
        x = d[...].astype(np.float64)
        w = (x.ravel() * np.arange(x.size)).sum() if x.size else 0.0
        attrs = ",".join(f"{k}={d.attrs[k]}" for k in sorted(d.attrs))
        print(f"{d.shape} {d.dtype} {x.sum()!r} {w!r} {attrs}")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
