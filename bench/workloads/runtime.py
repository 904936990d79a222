"""Runtime overhead (the Runtime issue): tiny tasks, Pando beside Dask's threaded scheduler.

Seconds are in-process: building the graph plus computing it (planning, broadcast, execution
for Pando), without process start-up, on both sides.
"""
from harness import Pando, Python, Workload

SIZES = {"small": [10_000, 100_000], "medium": [10_000, 100_000, 1_000_000],
         "large": [10_000, 100_000, 1_000_000]}
# Dask takes ~150 µs a task: 2M tasks would take minutes, so only at large scale.
DASK_LIMIT = {"small": 100_000, "medium": 100_000, "large": 1_000_000}


def workloads(ctx):
    for shape in ("tree", "independent"):
        for n in SIZES[ctx.scale]:
            args = ["--tasks", str(n), "--shape", shape]
            runs = [Pando(ranks, "pando-bench-runtime", args + ["--repeat", "3"])
                    for ranks in (1, 2)]
            if n <= DASK_LIMIT[ctx.scale]:
                runs.append(Python("dask threads (2 workers)", "peers/dask_tasks.py", args))
            yield Workload(f"{n:,} tiny tasks, {shape}", runs,
                           extra=["us_per_task", "plan_share", "execute"])
