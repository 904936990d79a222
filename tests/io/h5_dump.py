"""Prints what h5py sees in an HDF5 file, one line per dataset and per attribute, for the C++
tests to compare with what they wrote:

  D|<path>|<dtype>|<shape>|<chunks>|<compression>|<level>|<little-endian bytes as hex>
  A|<path>|<name>|<dtype or str>|<repr of the value>

Run with /usr/bin/python3 (Debian's python3-h5py).
"""
import sys

import h5py
import numpy as np


def canon(v):
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, str):
        return "str", repr(v)
    a = np.asarray(v)
    if a.dtype.kind in "OSU":
        def text(x):
            return x.decode() if isinstance(x, bytes) else str(x)
        return "str", repr(np.vectorize(text, otypes=[object])(a).tolist())
    return a.dtype.name, repr(a.tolist())


def main(path):
    lines = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            data = np.asarray(obj[()])
            little = data.astype(data.dtype.newbyteorder("<"))
            lines.append("|".join([
                "D", "/" + name, obj.dtype.name, str(obj.shape), str(obj.chunks),
                str(obj.compression), str(obj.compression_opts), little.tobytes().hex()]))
        for key in sorted(obj.attrs.keys()):
            kind, text = canon(obj.attrs[key])
            lines.append("|".join(["A", "/" + name, key, kind, text]))

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    print("\n".join(sorted(lines)))


if __name__ == "__main__":
    main(sys.argv[1])
