"""Dask (threads, 2 workers) or pandas on the transactions CSVs, the same operations as
pando-frame:

    dask_frame.py --engine dask|pandas --glob 'DIR/transactions-*.csv' --op count|filter|describe|nulls

Prints one JSON line: seconds in-process (read + compute), the rows counted, peak memory.
The interpreter start and imports are measured by the harness (whole command).
"""
import argparse
import glob
import json
import resource
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--engine", choices=["dask", "pandas"], required=True)
    p.add_argument("--glob", required=True)
    p.add_argument("--op", required=True)
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args()
    t0 = time.perf_counter()
    if a.engine == "dask":
        import dask
        import dask.dataframe as dd
        df = dd.read_csv(a.glob, parse_dates=["ts"], blocksize=64 * 2**20)
        ops = {
            "count": lambda: df.id.count(),
            "filter": lambda: df[df.amount > 100].id.count(),
            "describe": lambda: df[["id", "amount", "qty"]].describe(),
            "nulls": lambda: df.isna().sum(),
        }
        with dask.config.set(scheduler="threads", num_workers=a.workers):
            result = ops[a.op]().compute()
    else:
        import pandas as pd
        df = pd.concat([pd.read_csv(f, parse_dates=["ts"]) for f in sorted(glob.glob(a.glob))],
                       ignore_index=True)
        ops = {
            "count": lambda: df.id.count(),
            "filter": lambda: df[df.amount > 100].id.count(),
            "describe": lambda: df[["id", "amount", "qty"]].describe(),
            "nulls": lambda: df.isna().sum(),
        }
        result = ops[a.op]()
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "result": str(result)[:60],
                      "rss_mib": [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0]}))


if __name__ == "__main__":
    main()
