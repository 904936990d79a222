"""DataFrames that move rows (the issue of that name): groupby, value counts, a join, a full
sort, top-N and a grouped median over the transactions table of pando-gen (10M rows, ~575 MB in
8 CSV files at --scale medium). Whole commands on every side, the CSV read included:
`pando-frame` through pando-run (MPI launch included) at 2 ranks; Dask (threads, 2 workers) and
pandas under Debian's Python; DuckDB and Polars on 2 threads under Node.js (npm packages pinned
in bench/peers/node). Interpreter and runtime start-up count on every side.
"""
import glob
import os
import subprocess

from harness import ROOT, Node, Pando, Python, Workload

ROWS = {"small": 1_000_000, "medium": 10_000_000, "large": 10_000_000}
# (label, peer op, pando-frame arguments after the input)
OPS = [
    ("1 groupby category, 4 aggregations", "groupby-category",
     ["--groupby", "category", "--agg", "amount:sum,amount:mean,amount:count,qty:max"]),
    ("2 groupby customer, sort, head 10", "groupby-customer-top",
     ["--groupby", "customer", "--agg", "amount:sum", "--sort", "amount_sum:desc", "--head",
      "10"]),
    ("3 filter, value counts", "value-counts",
     ["--where", "amount > 100 and flag", "--value-counts", "category"]),
    ("4 join customers, groupby region", "join-region",
     ["--join", "{customers}", "--on", "customer", "--groupby", "region", "--agg",
      "amount:mean"]),
    ("5 full sort, head 10 and tail 10", "sort-ends",
     ["--where", "notna(amount)", "--select", "amount", "--sort", "amount", "--head", "10",
      "--tail", "10"]),
    ("6a nlargest 10", "nlargest", ["--nlargest", "10:amount"]),
    ("6b groupby customer, median", "median", ["--groupby", "customer", "--agg", "amount:median"]),
]


def workloads(ctx):
    rows = ROWS[ctx.scale]
    folder = os.path.join(ctx.data, f"table-{rows}")
    pattern = os.path.join(folder, "transactions-*.csv")
    customers = os.path.join(folder, "customers.csv")

    def setup(ctx):
        if len(glob.glob(pattern)) != 8 or not os.path.exists(customers):
            subprocess.run([os.path.join(ROOT, "jobscripts", "pando-run"), "-n", "2",
                            ctx.app("pando-gen"), "table", "--rows", str(rows), "--files", "8",
                            "--out", folder], check=True)

    for label, op, args in OPS:
        args = [a.format(customers=customers) for a in args]
        peer = ["--glob", pattern, "--op", op]
        runs = [Pando(2, "pando-frame", [pattern] + args, measure_wall=True),
                Python("dask threads (2 workers)", "peers/dask_frame.py",
                       ["--engine", "dask"] + peer, measure_wall=True),
                Python("pandas", "peers/dask_frame.py", ["--engine", "pandas"] + peer,
                       measure_wall=True),
                Node("duckdb (2 threads)", "peers/node/frame.mjs", ["--engine", "duckdb"] + peer,
                     measure_wall=True),
                Node("polars (2 threads)", "peers/node/frame.mjs", ["--engine", "polars"] + peer,
                     measure_wall=True)]
        yield Workload(f"{label}, {rows:,} rows CSV", runs,
                       extra=["mb_s", "in_process", "in_process_mb_s_per_rank"], setup=setup,
                       inputs=pattern)
