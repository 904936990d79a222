"""Dask on the same HDF5 dataset and operations as pando-bench-array.

    dask_array.py --file x.h5 --dataset /x --op sum|mean0|std1|xxt|sincos|rechunk|read
                  [--workers 2] [--chunks 1024,1024]

`read` is no Dask at all: h5py reading the dataset sequentially, one stored chunk at a time
(the bandwidth a plain HDF5 read gets). Prints one JSON line.
"""
import argparse
import json
import resource
import time

import h5py
import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--file", required=True)
    p.add_argument("--dataset", default="/x")
    p.add_argument("--op", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--chunks", default="")
    a = p.parse_args()
    t0 = time.perf_counter()
    f = h5py.File(a.file, "r")
    d = f[a.dataset]
    if a.op == "read":
        # Chunk by chunk, in file order, into one reused buffer: HDF5's fastest plain path here
        # (slabs of whole chunk rows ran 3x slower through the chunk cache).
        r, c = d.chunks if d.chunks else (1024, d.shape[1])
        total = 0.0
        for i in range(0, d.shape[0], r):
            for j in range(0, d.shape[1], c):
                buf = np.empty((min(r, d.shape[0] - i), min(c, d.shape[1] - j)), dtype=d.dtype)
                d.read_direct(buf, np.s_[i:i + buf.shape[0], j:j + buf.shape[1]])
                total += float(buf.sum())
        result = total
    else:
        import dask
        import dask.array as da
        chunks = tuple(int(c) for c in a.chunks.split(",")) if a.chunks else d.chunks
        x = da.from_array(d, chunks=chunks)
        ops = {
            "sum": lambda: x.sum(),
            "mean0": lambda: x.mean(axis=0),
            "std1": lambda: x.std(axis=1),
            "xxt": lambda: (x + x.T).sum(),
            "sincos": lambda: (da.sin(x) ** 2 + da.cos(x) ** 2).mean(),
            "rechunk": lambda: x.rechunk((d.shape[0], 64)).sum(),
            # Three results of one graph: one pass over the file.
            "three": lambda: dask.delayed(lambda *r: r)(x.sum(), x.mean(axis=0), x.std(axis=1)),
        }
        with dask.config.set(scheduler="threads", num_workers=a.workers):
            result = ops[a.op]().compute()
    seconds = time.perf_counter() - t0
    first = float(np.asarray(result[0] if isinstance(result, tuple) else result).ravel()[0])
    print(json.dumps({"seconds": seconds, "gbps": d.size * 8 / seconds / 1e9, "first": first,
                      "rss_mib": [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0]}))


if __name__ == "__main__":
    main()
