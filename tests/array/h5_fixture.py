"""Writes and checks HDF5 files for the array tests with h5py (Debian's python3-h5py).

    h5_fixture.py write FILE          datasets whose values follow value() below
    h5_fixture.py check FILE DSET     prints "shape dtype sum weighted-sum attrs" of a dataset
    h5_fixture.py ints FILE           one dataset per integer type (see ints() below), and prints
                                      NumPy's reductions of each
    h5_fixture.py dump FILE DSET...   prints "name dtype shape values..." of each dataset (shape
                                      "11x7", "7" or "()")

Values of write() are exact in binary (multiples of 1/4), so sums agree to the last bit in any
order.
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


INT_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
INT_OPS = ["sum", "prod", "min", "max", "mean", "var", "std"]


def text(values):
    """Values as Python prints them: integers exactly, floats as their shortest round trip."""
    return " ".join(repr(v.item()) for v in np.atleast_1d(values).ravel())


def int_values(dtype, seed):
    """An 11 x 7 array of `dtype`: odd values over the whole range (so that products wrap
    without collapsing to 0), with the type's min and max, 1 and -1, and for uint64 values
    above 2**63."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    v = rng.integers(info.min, info.max, size=(11, 7), dtype=dtype, endpoint=True) | dtype(1)
    flat = v.reshape(-1)
    flat[0], flat[8], flat[16] = info.max, info.min, 1
    if info.min < 0:
        flat[24] = -1
    if dtype == np.uint64:
        flat[32], flat[40], flat[48] = 2**63, 2**63 + 1, 2**64 - 3
    return v


def ints(path):
    """One dataset per integer type, named after it (chunks 4 x 3, 16 and 64 bits compressed),
    then one line per NumPy result: "DSET values all DTYPE v..." and "DSET OP AXIS DTYPE v..."
    (AXIS: all, 0 or 1)."""
    with h5py.File(path, "w") as f:
        for k, name in enumerate(INT_TYPES):
            v = int_values(np.dtype(name).type, 1000 + k)
            f.create_dataset(name, data=v, chunks=(4, 3),
                             compression="gzip" if name.endswith(("16", "64")) else None)
            print(name, "values", "all", v.dtype, text(v))
            for op in INT_OPS:
                for axis in [None, 0, 1]:
                    r = getattr(np, op)(v, axis=axis)
                    print(name, op, "all" if axis is None else axis, r.dtype, text(r))


def dump(path, names):
    with h5py.File(path, "r") as f:
        for name in names:
            d = f[name]
            print(name, d.dtype, "x".join(map(str, d.shape)) or "()", text(d[()]))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    elif sys.argv[1] == "ints":
        ints(sys.argv[2])
    elif sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    else:
        check(sys.argv[2], sys.argv[3])
