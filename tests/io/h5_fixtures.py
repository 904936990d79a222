"""Writes the HDF5 files that io_tests read, with h5py, into the directory given.

Values follow formulas that the C++ tests recompute (see hdf5_read_test.cpp); all are exact in
their types. Run with /usr/bin/python3 (Debian's python3-h5py).
"""
import sys

import h5py
import numpy as np


def grid(shape):
    return np.indices(shape)


def main(out):
    with h5py.File(f"{out}/data.h5", "w") as f:
        i, j = grid((37, 23))
        a = f.create_dataset("a", data=i * 1000.0 + j + 0.25, chunks=(8, 5))
        a.attrs["units"] = "m/s"
        a.attrs["scale"] = 0.5
        a.attrs["count"] = np.int64(7)
        a.attrs["n32"] = np.int32(-3)
        a.attrs["ok"] = True
        a.attrs["dims"] = np.array([1, 2, 3], dtype=np.int64)
        a.attrs["names"] = ["u", "v"]
        a.attrs["fixed"] = np.bytes_(b"abc")
        a.attrs["half"] = np.float32(0.25)
        a.attrs["mat"] = np.arange(4.0).reshape(2, 2)
        a.attrs["u8"] = np.uint8(200)
        a.attrs["pair"] = np.zeros((), dtype=[("x", "<f8"), ("y", "<i4")])

        i, j = grid((10, 7))
        f.create_dataset("contig", data=i * 7.0 + j - 0.5)  # contiguous layout

        i, j = grid((29, 31))
        f.create_dataset("grp/b", data=((i * 31 + j) * 37 - 20000).astype(np.int32),
                         chunks=(10, 10), compression="gzip", compression_opts=6)

        i, j = grid((13, 17))
        f.create_dataset("f32", data=((i * 17 + j) * 0.125).astype(np.float32))

        k = np.arange(101, dtype=np.int64)
        f.create_dataset("i64", data=k * 2**47 + k, chunks=(16,))

        f.create_dataset("be", data=(np.arange(12) + 0.5).astype(">f8").reshape(3, 4))
        f.create_dataset("flags", data=np.arange(9) % 3 == 0)
        f.create_dataset("scalar", data=np.float64(2.5))

        i, j = grid((50, 4))
        f.create_dataset("shuffled", data=(i * 4 + j - 100).astype(np.int64), chunks=(7, 4),
                         shuffle=True, compression="gzip")
        f.create_dataset("empty_rows", shape=(0, 5), dtype="f8")
        f.create_dataset("unwritten", shape=(4, 3), dtype="f8", fillvalue=1.5)
        f.create_dataset("unwritten_chunked", shape=(6, 2), dtype="i4", chunks=(2, 2))

        f.create_dataset("u16", data=np.arange(6, dtype=np.uint16))
        # h5py's own filter, which libhdf5 alone cannot decode.
        f.create_dataset("lzf", data=np.arange(8.0), compression="lzf")
        f.create_dataset("text", data=np.array([b"a", b"bc"]))
        f.create_dataset("vtext", data=["x", "y"], dtype=h5py.string_dtype())
        f.create_dataset("cmp", data=np.zeros(3, dtype=[("x", "<f8"), ("y", "<i4")]))
        f["link_to_a"] = h5py.SoftLink("/a")
        f["dangling"] = h5py.SoftLink("/nowhere")

    with h5py.File(f"{out}/small.h5", "w") as f:
        f.create_dataset("a", data=np.arange(12.0).reshape(4, 3))
        f.create_dataset("grp/b", data=np.arange(5, dtype=np.int32))
        f.create_group("grp/sub")

    with h5py.File(f"{out}/nodata.h5", "w") as f:
        f.create_group("only/groups")

    with h5py.File(f"{out}/ublock.h5", "w", userblock_size=512) as f:
        f.create_dataset("x", data=np.arange(6.0).reshape(2, 3))

    # Every integer type: [min, max, 1, 0, -1, or 7, or 2**63 for uint64] (see int_datasets()
    # in hdf5_read_test.cpp), chunked in 2 (some compressed), and one type Pando does not read.
    with h5py.File(f"{out}/ints.h5", "w") as f:
        for name in ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]:
            info = np.iinfo(name)
            last = -1 if info.min < 0 else (2**63 if name == "uint64" else 7)
            gzip = "gzip" if name.endswith(("16", "64")) else None
            f.create_dataset(name, data=np.array([info.min, info.max, 1, 0, last], dtype=name),
                             chunks=(2,), compression=gzip)
        f.create_dataset("f16", data=np.arange(4, dtype=np.float16))

    with open(f"{out}/not_hdf5.h5", "w") as f:
        f.write("just some text, not HDF5\n")


if __name__ == "__main__":
    main(sys.argv[1])
