"""Dask (threads, 2 workers) or pandas on the transactions CSVs, the same operations as
pando-frame:

    dask_frame.py --engine dask|pandas --glob 'DIR/transactions-*.csv' --op OP

OP: count, filter, describe, nulls; and the workloads that move rows (bench/workloads/
frame_rows.py): groupby-category, groupby-customer-top, value-counts, join-region, sort-ends
(a full sort materialized, then both ends), nlargest, median.

Prints one JSON line: seconds in-process (read + compute), the rows counted, peak memory.
The interpreter start and imports are measured by the harness (whole command).
"""
import argparse
import glob
import json
import os
import resource
import time


def row_ops(df, customers, lib):
    """The workloads that move rows, over a Dask or pandas frame (`lib`: the module whose
    merge and concat apply)."""
    def sort_ends():
        s = df[df.amount.notnull()][["amount"]].sort_values("amount")
        if hasattr(s, "persist"):
            s = s.persist()
        return (s.head(10), s.tail(10))

    def small(x):
        return x.compute() if hasattr(x, "compute") else x

    return {
        "groupby-category": lambda: df.groupby("category").agg(
            {"amount": ["sum", "mean", "count"], "qty": "max"}),
        "groupby-customer-top": lambda: small(df.groupby("customer").amount.sum())
        .sort_values(ascending=False).head(10),
        "value-counts": lambda: df[(df.amount > 100) & df.flag].category.value_counts(),
        "join-region": lambda: df.merge(customers, on="customer").groupby("region").amount.mean(),
        "sort-ends": sort_ends,
        "nlargest": lambda: df.nlargest(10, "amount"),
        "median": lambda: df.groupby("customer").amount.median(),
    }


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
        customers = os.path.join(os.path.dirname(a.glob), "customers.csv")
        with dask.config.set(scheduler="threads", num_workers=a.workers):
            if a.op in ops:
                result = ops[a.op]().compute()
            else:
                result = row_ops(df, dd.read_csv(customers), dd)[a.op]()
                result = dask.compute(result)[0] if not isinstance(result, tuple) else \
                    dask.compute(*result)
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
        customers = os.path.join(os.path.dirname(a.glob), "customers.csv")
        result = ops[a.op]() if a.op in ops else \
            row_ops(df, pd.read_csv(customers), pd)[a.op]()
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "result": str(result)[:60],
                      "rss_mib": [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0]}))


if __name__ == "__main__":
    main()
