"""Arrays (the Arrays issue): reductions, an element-wise chain, x + x.T and a rechunk over an
HDF5 dataset (16384 x 16384 float64, 2 GiB, chunks 1024 x 1024 at --scale medium), Pando at 1
and 2 ranks beside Dask (threads, 2 workers) and a plain sequential h5py read of the file.
Seconds are from opening the file to the result, in-process on both sides.
"""
import os
import subprocess

from harness import PYTHON, HERE, Pando, Python, Workload

SIZE = {"small": 4096, "medium": 16384, "large": 16384}
OPS = [("sum", "sum"), ("mean(axis=0)", "mean0"), ("std(axis=1)", "std1"),
       ("(x + x.T).sum()", "xxt"), ("(sin(x)**2 + cos(x)**2).mean()", "sincos"),
       ("rechunk to (n, 64) then sum", "rechunk")]


def workloads(ctx):
    n = SIZE[ctx.scale]
    path = os.path.join(ctx.data, f"array-{n}.h5")

    def setup(ctx):
        if not os.path.exists(path):
            subprocess.run([PYTHON, os.path.join(HERE, "peers", "make_array.py"), path, str(n)], check=True)

    for label, op in OPS:
        args = ["--file", path, "--dataset", "/x", "--op", op]
        runs = [Pando(r, "pando-bench-array", args + ["--chunks", "1024,1024"]) for r in (1, 2)]
        runs.append(Python("dask threads (2 workers)", "peers/dask_array.py", args))
        if op == "sum":
            runs.append(Python("h5py sequential read", "peers/dask_array.py",
                               ["--file", path, "--dataset", "/x", "--op", "read"]))
        yield Workload(f"{label}, {n}x{n} float64", runs, extra=["gbps"], setup=setup)

    # The same through the app (pando-array), whole commands beside whole Python scripts.
    app_ops = [("pando-array reduce --op sum --op mean:0 --op std:1", ["reduce", f"{path}:/x", "--op", "sum", "--op", "mean:0", "--op", "std:1"], "three"),
               ("pando-array eval 'sin(x)**2 + cos(x)**2' --reduce mean", ["eval", "sin(x)**2 + cos(x)**2", "--bind", f"x={path}:/x", "--reduce", "mean"], "sincos"),
               ("pando-array eval 'x + x.T' --reduce sum", ["eval", "x + x.T", "--bind", f"x={path}:/x", "--reduce", "sum"], "xxt")]
    for label, args, op in app_ops:
        runs = [Pando(r, "pando-array", args, measure_wall=True) for r in (1, 2)]
        runs.append(Python("dask threads (2 workers)", "peers/dask_array.py",
                           ["--file", path, "--dataset", "/x", "--op", op], measure_wall=True))
        yield Workload(f"{label}, {n}x{n}", runs, extra=["in_process"], setup=setup, inputs=path)

    # MPI launch and start-up on a tiny input: what every command pays.
    tiny = os.path.join(ctx.data, "tiny.h5")

    def make_tiny(ctx):
        if not os.path.exists(tiny):
            subprocess.run([PYTHON, os.path.join(HERE, "peers", "make_array.py"), tiny, "16"], check=True)

    yield Workload("start-up: pando-array stats on a 16x16 dataset",
                   [Pando(r, "pando-array", ["stats", f"{tiny}:/x"], measure_wall=True) for r in (1, 2)],
                   setup=make_tiny)
