"""Dask's threaded scheduler on the same tiny-task graphs as pando-bench-runtime.

    dask_tasks.py --tasks N --shape tree|independent [--workers 2]

Prints one JSON line: seconds to build the graph and to run it, and µs per task.
"""
import argparse
import json
import resource
import time

import dask
import dask.threaded


def inc(i):
    return i + 1


def add(*xs):
    return sum(xs)


def build(n, shape):
    dsk = {}
    level = []
    for i in range(n):
        dsk[("inc", i)] = (inc, i)
        level.append(("inc", i))
    if shape == "independent":
        return dsk, level
    depth = 1
    while len(level) > 1:
        up = []
        for j in range(0, len(level), 2):
            key = ("add%d" % depth, j // 2)
            dsk[key] = (add, *level[j:j + 2])
            up.append(key)
        level = up
        depth += 1
    return dsk, level


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", type=int, required=True)
    p.add_argument("--shape", choices=["tree", "independent"], default="tree")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3, help="runs; the fastest is reported")
    a = p.parse_args()
    best = None
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        dsk, outs = build(a.tasks, a.shape)
        t1 = time.perf_counter()
        result = dask.threaded.get(dsk, outs, num_workers=a.workers)
        t2 = time.perf_counter()
        if a.shape == "tree":
            assert result[0] == a.tasks * (a.tasks + 1) // 2, result
        if best is None or t2 - t0 < best[2] - best[0]:
            best = (t0, t1, t2)
    t0, t1, t2 = best
    print(json.dumps({
        "seconds": t2 - t0, "graph": t1 - t0, "compute": t2 - t1, "tasks": len(dsk),
        "us_per_task": (t2 - t0) / len(dsk) * 1e6,
        "rss_mib": [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0]}))


if __name__ == "__main__":
    main()
