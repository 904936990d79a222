#!/usr/bin/env python3
"""What diagnostics cost: the same commands with --report and the live dashboard on (a client
asking for its data every second, as the page does; set through PANDO_REPORT and
PANDO_DASHBOARD, as any program gets them), with them off, and with them off in the
build from before diagnostics existed (--before), each the fastest of --repeat runs taken in
turns, whole commands timed from the launch to the exit, on 2 ranks.

    bench/diag_overhead.py --build build/release --before /work/wt-prediag/build/release

The data is --scale medium's (bench/run.py makes the CSVs; the array is made here if missing).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUN = os.path.join(ROOT, "jobscripts", "pando-run")


def workloads(data):
    table = os.path.join(data, "table-10000000", "transactions-*.csv")
    array = os.path.join(data, "diag-array.h5") + ":/x"
    return [
        ("runtime: 400,000 tiny tasks, tree", "bench/pando-bench-runtime",
         ["--tasks", "400000", "--shape", "tree", "--repeat", "1"]),
        ("pando-array eval 'x + x.T' --reduce sum, 16384^2", "apps/pando-array",
         ["eval", "x + x.T", "--bind", f"x={array}", "--reduce", "sum"]),
        ("pando-frame --groupby customer --agg amount:median, 10M rows", "apps/pando-frame",
         [table, "--groupby", "customer", "--agg", "amount:median"]),
    ], array


def poll_dashboard(stderr, stop):
    """Reads the job's stderr; once the dashboard's address is there, asks for its data every
    second until the job ends."""
    url = None
    for line in stderr:
        m = re.match(r"pando: dashboard at (http://\S+)/\?token=(\w+)", line)
        if m:
            url = f"{m.group(1)}/data?token={m.group(2)}"
            break
    while url and not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
        except OSError:
            pass
        stop.wait(1.0)
    for _ in stderr:
        pass


def run(build, program, args, extra, ranks):
    # Through the environment, as any program gets diagnostics (the benchmark programs have no
    # --report option).
    env = dict(os.environ, PANDO_PROGRESS="off", **extra)
    cmd = [RUN, "-n", str(ranks), os.path.join(build, program), *args]
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=env)
    stop = threading.Event()
    reader = threading.Thread(target=poll_dashboard, args=(p.stderr, stop))
    reader.start()
    code = p.wait()
    seconds = time.monotonic() - start
    stop.set()
    reader.join()
    if code != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return seconds


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    p.add_argument("--before", help="a release build of the commit before diagnostics")
    p.add_argument("--data", default=os.path.join(os.environ.get(
        "PANDO_BENCH_DATA", os.path.expanduser("~/.cache/pando-bench")), "medium"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--ranks", type=int, default=2)
    a = p.parse_args()
    cases, array = workloads(a.data)
    if not os.path.exists(array.split(":/")[0]):
        subprocess.run([RUN, "-n", "2", os.path.join(a.build, "apps", "pando-gen"), "array",
                        "--shape", "16384,16384", "--chunks", "1024,1024", "--out", array],
                       check=True)
    out = tempfile.mkdtemp(prefix="pando-diag-bench-")
    on = {"PANDO_REPORT": os.path.join(out, "r.html"), "PANDO_DASHBOARD": "0"}
    rows = []
    try:
        for name, program, args in cases:
            variants = [("off", a.build, {}), ("report + dashboard", a.build, on)]
            if a.before:
                variants.append(("before diagnostics", a.before, {}))
            best = {}
            for _ in range(a.repeat):
                for label, build, extra in variants:
                    s = run(build, program, args, extra, a.ranks)
                    print(f"  {name}: {label} {s:.2f} s", file=sys.stderr, flush=True)
                    best[label] = min(best.get(label, s), s)
            rows.append((name, best))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print("| workload | off s | report + dashboard s | overhead | before diagnostics s | off vs before |")
    print("|---|---|---|---|---|---|")
    for name, best in rows:
        off, on_s = best["off"], best["report + dashboard"]
        before = best.get("before diagnostics")
        print(f"| {name} | {off:.2f} | {on_s:.2f} | {100 * (on_s / off - 1):+.1f}% | "
              + (f"{before:.2f} | {100 * (off / before - 1):+.1f}% |" if before else "- | - |"))


if __name__ == "__main__":
    main()
