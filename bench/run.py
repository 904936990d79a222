#!/usr/bin/env python3
"""Pando beside its peers (Dask, pandas, NumPy), on the same data, in one run.

    make bench                       # = bench/run.py --build build/release --scale small
    bench/run.py --scale medium --only tasks
    bench/run.py --scale medium --repeat 3       # each engine's fastest of 3 runs, taken in turns

Every workload file in bench/workloads/ registers its comparisons. Data is generated once and
cached in --data (default: $PANDO_BENCH_DATA or ~/.cache/pando-bench), outside the source tree.
Prints one table (workload, engine, seconds, peak memory per process, ratio to Pando on 2 ranks)
and writes the same as JSON to <build>/bench/results-<scale>.json.
"""
import argparse
import glob
import importlib
import json
import os
import pkgutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HERE, Context, log  # noqa: E402
import workloads  # noqa: E402


def reference(results):
    """The Pando run the others are compared with: 2 ranks if there is one."""
    pando = [r for r in results if r["engine"].startswith("pando")]
    two = [r for r in pando if r["engine"] == "pando 2 ranks"]
    return (two or pando or [None])[0]


def seconds_text(seconds):
    """Three decimals, or three significant digits for the per-call rows (microseconds)."""
    return f"{seconds:.3f}" if seconds >= 0.01 else f"{seconds:.3g}"


def table(rows):
    head = ["workload", "engine", "seconds", "peak MiB", "× Pando 2 ranks", "notes"]
    cells = [head] + [[r["workload"], r["engine"], seconds_text(r['seconds']), f"{r['rss_mib']:.0f}",
                       r["ratio"], r["notes"]] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(len(head))) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build", "release"))
    p.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    p.add_argument("--data", default=os.environ.get("PANDO_BENCH_DATA",
                                                    os.path.expanduser("~/.cache/pando-bench")))
    p.add_argument("--only", default="", help="run the workloads whose name contains this text")
    p.add_argument("--repeat", type=int, default=1,
                   help="run every engine this many times, in turns, and keep each one's fastest "
                        "(a noisy machine slows some runs, never speeds one up)")
    a = p.parse_args()
    ctx = Context(a.scale, os.path.abspath(a.build), os.path.join(a.data, a.scale))
    os.makedirs(ctx.data, exist_ok=True)

    rows = []
    for info in pkgutil.iter_modules(workloads.__path__):
        module = importlib.import_module(f"workloads.{info.name}")
        for w in module.workloads(ctx):
            if a.only not in w.name:
                continue
            if w.setup:
                w.setup(ctx)
            ctx.input_bytes = sum(os.path.getsize(f) for f in glob.glob(w.inputs)) if w.inputs else 0
            log(f"bench: {w.name}")
            best = {}
            for _ in range(max(a.repeat, 1)):
                for run in w.runs:  # in turns, so a slow spell hits every engine alike
                    r = run.run(ctx)
                    log(f"  {run.engine:<28} {seconds_text(r.seconds):>9} s  (wall {r.wall:.2f} s, {r.rss_mib:.0f} MiB)")
                    if run not in best or r.seconds < best[run].seconds:
                        best[run] = r
            results = []
            for run in w.runs:
                r = best[run]
                notes = ", ".join(f"{k} {r.metrics[k]:.3g}" for k in w.extra if k in r.metrics)
                results.append({"workload": w.name, "engine": run.engine, "seconds": r.seconds,
                                "wall": r.wall, "rss_mib": r.rss_mib, "notes": notes,
                                "metrics": r.metrics})
            ref = reference(results)
            for r in results:
                r["ratio"] = f"{r['seconds'] / ref['seconds']:.2f}" if ref else "-"
            rows += results
    if not rows:
        raise SystemExit(f"bench: no workload matches '{a.only}'")
    print(table(rows))
    out = os.path.join(ctx.build, "bench", f"results-{a.scale}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(rows, f, indent=1)
    log(f"bench: results in {out}")


if __name__ == "__main__":
    main()
