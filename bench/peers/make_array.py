"""Writes the benchmark array: float64 normal noise, N x N, chunked 1024 x 1024 (or N/16).

    make_array.py FILE N
"""
import sys

import h5py
import numpy as np

path, n = sys.argv[1], int(sys.argv[2])
c = min(1024, max(n // 16, 1))
rng = np.random.default_rng(42)
with h5py.File(path + ".tmp", "w") as f:
    d = f.create_dataset("x", shape=(n, n), dtype="f8", chunks=(c, c))
    for i in range(0, n, c):
        d[i:i + c] = rng.standard_normal((min(c, n - i), n))
import os
os.replace(path + ".tmp", path)
