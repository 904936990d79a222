"""DataFrames (the DataFrames-core and First-apps issues): the transactions table of pando-gen
(10M rows, ~600 MB in 8 CSV files at --scale medium), read and counted, filtered and counted,
described, null counts. Whole commands on every side: `pando-frame` through pando-run (MPI launch
included) at 1 and 2 ranks; Python scripts with Dask (threads, 2 workers) and pandas,
interpreter start and imports included (their in-process seconds are in the notes).
"""
import glob
import os
import subprocess

from harness import ROOT, Pando, Python, Workload

ROWS = {"small": 1_000_000, "medium": 10_000_000, "large": 10_000_000}
OPS = [
    ("read + count", "count", ["--agg", "id:count"]),
    ("filter + count", "filter", ["--where", "amount > 100", "--agg", "id:count"]),
    ("describe (id, amount, qty)", "describe", ["--select", "id,amount,qty", "--describe"]),
    ("null counts", "nulls", ["--nulls"]),
]


def workloads(ctx):
    rows = ROWS[ctx.scale]
    folder = os.path.join(ctx.data, f"table-{rows}")
    pattern = os.path.join(folder, "transactions-*.csv")

    def setup(ctx):
        if len(glob.glob(pattern)) != 8:
            subprocess.run([os.path.join(ROOT, "jobscripts", "pando-run"), "-n", "2", ctx.app("pando-gen"),
                            "table", "--rows", str(rows), "--files", "8", "--out", folder], check=True)

    for label, op, args in OPS:
        runs = [Pando(r, "pando-frame", [pattern] + args, measure_wall=True) for r in (1, 2)]
        runs.append(Python("dask threads (2 workers)", "peers/dask_frame.py",
                           ["--engine", "dask", "--glob", pattern, "--op", op], measure_wall=True))
        runs.append(Python("pandas", "peers/dask_frame.py",
                           ["--engine", "pandas", "--glob", pattern, "--op", op], measure_wall=True))
        yield Workload(f"{label}, {rows:,} rows CSV", runs, extra=["mb_s", "in_process", "in_process_mb_s_per_rank"], setup=setup,
                       inputs=pattern)
