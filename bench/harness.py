"""The pieces bench/run.py and the workload files share."""
import dataclasses
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"  # Debian's, with dask, pandas, numpy and h5py


@dataclasses.dataclass
class Context:
    scale: str
    build: str   # the release build folder
    data: str    # where generated data is cached
    input_bytes: int = 0  # of the current workload's input, for MB/s

    def app(self, name):
        for sub in ("bench", "apps"):
            path = os.path.join(self.build, sub, name)
            if os.path.exists(path):
                return path
        raise SystemExit(f"bench: {name} is not built in {self.build}")


@dataclasses.dataclass
class Result:
    seconds: float          # the workload's measure (what the ratio compares)
    wall: float             # the whole command, start-up included
    rss_mib: float          # peak resident memory of the largest process (per rank for Pando)
    metrics: dict


class Run:
    engine = "?"
    measure_wall = False

    def command(self, ctx):
        raise NotImplementedError

    def run(self, ctx):
        cmd = self.command(ctx)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
        # A JSON line: on stdout (bench drivers, peers) or on stderr (apps, PANDO_BENCH_JSON).
        lines = [l for l in (p.stdout + "\n" + p.stderr).splitlines() if l.startswith("{")]
        if not lines:
            raise RuntimeError(f"{' '.join(cmd)} printed no JSON result:\n{p.stdout[-2000:]}")
        m = json.loads(lines[-1])
        seconds = m.get("seconds", m.get("total", m.get("work_seconds", wall)))
        if "seconds" in m or "work_seconds" in m:
            m["in_process"] = m.get("seconds", m.get("work_seconds"))
        if self.measure_wall:
            seconds = wall
        if ctx.input_bytes:
            m["mb_s"] = ctx.input_bytes / 1e6 / seconds
            if "work_seconds" in m and m.get("ranks"):  # a Pando app: its own rate per rank
                m["in_process_mb_s_per_rank"] = ctx.input_bytes / 1e6 / m["work_seconds"] / m["ranks"]
        return Result(seconds, wall, max(m.get("rss_mib", [0.0])), m)


class Pando(Run):
    """A Pando program on `ranks` ranks through jobscripts/pando-run."""

    def __init__(self, ranks, program, args, measure_wall=False):
        self.ranks, self.program, self.args = ranks, program, list(args)
        self.engine = f"pando {ranks} rank{'s' if ranks > 1 else ''}"
        self.measure_wall = measure_wall

    def command(self, ctx):
        return [os.path.join(ROOT, "jobscripts", "pando-run"), "-n", str(self.ranks),
                ctx.app(self.program)] + self.args

    def run(self, ctx):
        os.environ["PANDO_BENCH_JSON"] = "1"  # apps report their memory per rank
        return super().run(ctx)


class Python(Run):
    """A peer script under Debian's Python (Dask, pandas, NumPy)."""

    def __init__(self, engine, script, args, measure_wall=False):
        self.engine, self.script, self.args = engine, script, list(args)
        self.measure_wall = measure_wall

    def command(self, ctx):
        return [PYTHON, os.path.join(HERE, self.script)] + self.args


class Node(Run):
    """A peer script under the machine's Node.js (DuckDB, Polars: bench/peers/node, installed
    by `make bench` with npm ci), on `threads` threads."""

    def __init__(self, engine, script, args, threads=2, measure_wall=False):
        self.engine, self.script, self.args = engine, script, list(args)
        self.threads = threads
        self.measure_wall = measure_wall

    def command(self, ctx):
        return ["node", os.path.join(HERE, self.script), "--threads", str(self.threads)] + self.args

    def run(self, ctx):
        os.environ["POLARS_MAX_THREADS"] = str(self.threads)
        return super().run(ctx)


@dataclasses.dataclass
class Workload:
    name: str
    runs: list
    extra: list = dataclasses.field(default_factory=list)  # metrics shown beside the time
    setup: object = None  # callable(ctx), run once before the runs (data generation)
    inputs: str = ""  # a glob of the input files, for MB/s


def log(*a):
    print(*a, file=sys.stderr, flush=True)
