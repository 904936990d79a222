"""The fault sweep: every fault point of the library (core/fault.hpp), injected on one rank at a
time, through the public API (fault-scenarios) and through the apps.

For each computation, a first run counts the passes through each point on each rank; then one
run per (point, rank, pass) injects a fault there, at the first pass and at the last. Each run
must end, within a timeout, with:
  - the same error on every rank (the scenarios print it per rank; an app prints one line, the
    last on stderr, and exits non-zero);
  - no output file or dataset left behind, and no hidden temporary;
  - a session that still computes (the scenarios compute again in the same process).

    sweep.py --ranks 2            the whole sweep (CTest label heavy)
    sweep.py --ranks 2 --quick    a few representative faults (make test)
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("PANDO_BUILD_DIR", os.path.join(ROOT, "build", "release"))
RUN = os.path.join(ROOT, "jobscripts", "pando-run")
SCENARIOS = os.path.join(BUILD, "tests", "faults", "fault_scenarios")
TIMEOUT = 120  # seconds a run may take before it counts as a hang

SCENARIO_NAMES = ["csv-agg", "csv-describe", "csv-single", "csv-parts", "h5-new", "h5-existing",
                  "h5-reduce", "from-local", "shuffle", "groupby-few", "groupby-many",
                  "merge-gathered", "merge-shuffled", "h5-table", "delayed", "s3-read",
                  "s3-single", "s3-parts"]
# A few faults for make test: each kind of output and of exchange once (on the last rank that
# passes the point).
QUICK = [("csv-single", "write"), ("csv-parts", "rename"), ("h5-new", "write"),
         ("from-local", "agree"), ("csv-agg", "receive"), ("delayed", "send"),
         ("csv-describe", "alloc"), ("shuffle", "exchange"), ("shuffle", "lose_row"),
         ("groupby-few", "exchange"), ("groupby-many", "lose_row"),
         ("merge-shuffled", "exchange"), ("h5-table", "write"), ("s3-read", "read"),
         ("s3-single", "write"), ("s3-parts", "rename")]


def s3_env():
    """The environment that points the s3-* scenarios at the tests' S3 server (a CTest fixture
    writes PANDO_S3_TEST_STATE; tests/io/s3/s3_fixture.py), or None without one."""
    path = os.environ.get("PANDO_S3_TEST_STATE")
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        s = json.load(f)
    return {"AWS_ENDPOINT_URL": s["endpoint"], "AWS_REGION": s["region"],
            "AWS_ACCESS_KEY_ID": s["access_key"], "AWS_SECRET_ACCESS_KEY": s["secret"],
            "PANDO_S3_BACKOFF_MS": "5", "PANDO_S3_ATTEMPTS": "3"}


# What a fault at each point must surface as: the injected error, or, for a point that corrupts
# data instead of failing, the check that catches the corruption.
CAUGHT_BY = {"lose_row": "rows lost or duplicated in transit"}


# Open MPI's event library may warn while the launcher tears a failed job down, after the app
# has printed its error ("[warn] Epoll MOD(1) on fd 27 failed ..."): the launcher's line, not
# the app's (tests/apps/apptest.py skips it too).
LAUNCHER_NOISE = re.compile(r"^\[warn\] Epoll ")


def surfaced(fault, text):
    point = fault.split(":")[0]
    return CAUGHT_BY.get(point, "injected fault") in text


class Failed(Exception):
    pass


def launch(ranks, argv, env=None, timeout=TIMEOUT):
    e = dict(os.environ)
    e.update(env or {})
    try:
        p = subprocess.run([RUN, "-n", str(ranks)] + argv, capture_output=True, text=True,
                           timeout=timeout, env=e)
    except subprocess.TimeoutExpired:
        raise Failed(f"HANG: {' '.join(argv)} with {env} did not end within {timeout} s")
    return p.returncode, p.stdout, p.stderr


def hidden_temporaries(folder):
    found = []
    for base, _, files in os.walk(folder):
        found += [os.path.join(base, f) for f in files if ".pando-tmp" in f]
    return found


def h5_has(path, dataset):
    code = f"import h5py,sys; f=h5py.File(sys.argv[1],'r'); print('{dataset}' in f)"
    p = subprocess.run(["/usr/bin/python3", "-c", code, path], capture_output=True, text=True)
    return p.stdout.strip() == "True"


def h5_temporaries(path):
    """Objects in an HDF5 file still under a temporary name (a table's group being written)."""
    code = ("import h5py,sys; f=h5py.File(sys.argv[1],'r'); n=[]; "
            "f.visit(lambda k: n.append(k) if '.pando-tmp' in k else None); print(' '.join(n))")
    p = subprocess.run(["/usr/bin/python3", "-c", code, path], capture_output=True, text=True)
    return p.stdout.split()


def outputs_left(folder):
    """Outputs the scenarios and app commands write, if present."""
    left = [p for p in ("out.csv", "out.h5", "trace.json", "report.html", "report-data")
            if os.path.exists(os.path.join(folder, p))]
    if os.path.exists(os.path.join(folder, "in.h5")):
        left += [f"in.h5:/{k}" for k in h5_temporaries(os.path.join(folder, "in.h5"))]
    parts = os.path.join(folder, "parts")
    if os.path.isdir(parts) and os.listdir(parts):
        left.append("parts/" + ",".join(sorted(os.listdir(parts))))
    for h5, name in (("in.h5", "/y"), ("x.h5", "/sym")):
        path = os.path.join(folder, h5)
        if os.path.exists(path) and h5_has(path, name):
            left.append(f"{h5}:{name}")
    return left


# ---- scenarios through the public API -------------------------------------------------------

def run_scenario(name, ranks, fault=None):
    """Runs one scenario; checks the outcome; returns {(rank, point): passes}."""
    folder = tempfile.mkdtemp(prefix="pando-fault-")
    try:
        argv = [SCENARIOS, name, folder] + ([fault] if fault else [])
        code, out, err = launch(ranks, argv, s3_env() if name.startswith("s3-") else None)
        what = f"{name} at {ranks} ranks, fault {fault or 'none'}"
        if code != 0:
            raise Failed(f"{what}: exit {code}\n{err[-3000:]}")
        results, after, passes, s3_left = {}, {}, {}, ""
        for line in out.splitlines():
            if line.startswith("S3LEFT "):
                s3_left = line[len("S3LEFT "):].strip()
            parts = line.split(" ", 3)
            if parts[0] == "RESULT":
                results[int(parts[1])] = " ".join(parts[2:])
            elif parts[0] == "AFTER":
                after[int(parts[1])] = " ".join(parts[2:])
            elif parts[0] == "PASSES":
                passes[(int(parts[1]), parts[2])] = int(parts[3])
        if sorted(results) != list(range(ranks)) or sorted(after) != list(range(ranks)):
            raise Failed(f"{what}: not every rank reported\n{out}\n{err[-2000:]}")
        if len(set(results.values())) != 1:
            raise Failed(f"{what}: the ranks disagree: {results}")
        outcome = results[0]
        if fault and not (outcome.startswith("error ") and surfaced(fault, outcome)):
            raise Failed(f"{what}: the fault did not surface as the error: {outcome}")
        if not fault and outcome != "ok":
            raise Failed(f"{what}: failed without a fault: {outcome}")
        if any(a != "ok" for a in after.values()):
            raise Failed(f"{what}: the session does not compute after the error: {after}")
        if fault and s3_left:
            raise Failed(f"{what}: objects left behind on S3: {s3_left}")
        if fault and outputs_left(folder):
            raise Failed(f"{what}: output left behind: {outputs_left(folder)}")
        if hidden_temporaries(folder):
            raise Failed(f"{what}: temporaries left behind: {hidden_temporaries(folder)}")
        return passes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def injections(passes):
    """(point, rank, pass) to inject: the first and the last pass of each point on each rank."""
    out = []
    for (rank, point), n in sorted(passes.items()):
        for k in sorted({1, n}):
            out.append((point, rank, k))
    return out


# ---- the apps ----------------------------------------------------------------------------------

def app_commands(data):
    frame = [os.path.join(BUILD, "apps", "pando-frame"), os.path.join(data, "transactions-*.csv"),
             "--chunk-size", "65536"]
    array = [os.path.join(BUILD, "apps", "pando-array")]
    x = os.path.join(data, "x.h5") + ":/x"
    return {
        "frame-agg": frame + ["--agg", "amount:sum,amount:mean"],
        "frame-out": frame + ["--where", "amount > 100", "--out", os.path.join(data, "out.csv")],
        "frame-describe": frame + ["--describe"],
        "frame-groupby": frame + ["--groupby", "category", "--agg", "amount:sum,amount:median"],
        "frame-diagnostics": frame + ["--value-counts", "category", "--progress", "on", "--trace",
                                      os.path.join(data, "trace.json"), "--report",
                                      os.path.join(data, "report.html"), "--report-data",
                                      os.path.join(data, "report-data"), "--dashboard", "0"],
        "frame-join-sort": frame + ["--join", os.path.join(data, "customers.csv"), "--on",
                                    "customer", "--sort", "region,amount:desc", "--out",
                                    os.path.join(data, "out.csv")],
        "array-reduce": array + ["reduce", x, "--op", "sum", "--op", "std:1"],
        "array-eval": array + ["eval", "x + x.T", "--bind", "x=" + x, "--out",
                               os.path.join(data, "x.h5") + ":/sym"],
        "array-rechunk": array + ["rechunk", x, "--to", "64,200", "--out",
                                  os.path.join(data, "out.h5") + ":/c"],
    }


def make_app_data(ranks):
    data = tempfile.mkdtemp(prefix="pando-fault-apps-")
    gen = os.path.join(BUILD, "apps", "pando-gen")
    for argv in ([gen, "table", "--rows", "3000", "--files", "3", "--out", data],
                 [gen, "array", "--shape", "200,200", "--chunks", "64,80", "--out",
                  os.path.join(data, "x.h5") + ":/x"]):
        code, out, err = launch(ranks, argv)
        if code != 0:
            raise Failed(f"pando-gen failed: {err}")
    shutil.copyfile(os.path.join(data, "x.h5"), os.path.join(data, "pristine.h5"))
    return data


def reset_app_data(data):
    """Each run starts from the inputs alone: the outputs of the last one go, x.h5 comes back."""
    for p in ("out.csv", "out.h5", "trace.json", "report.html"):
        if os.path.exists(os.path.join(data, p)):
            os.remove(os.path.join(data, p))
    shutil.rmtree(os.path.join(data, "report-data"), ignore_errors=True)
    shutil.copyfile(os.path.join(data, "pristine.h5"), os.path.join(data, "x.h5"))


def run_app(name, argv, ranks, data, fault=None):
    reset_app_data(data)
    trace = os.path.join(data, "trace")
    env = {"PANDO_FAULT": fault} if fault else {"PANDO_FAULT_TRACE": trace}
    code, out, err = launch(ranks, argv, env)
    what = f"{name} at {ranks} ranks, fault {fault or 'none'}"
    if not fault:
        if code != 0:
            raise Failed(f"{what}: exit {code}\n{err}")
        passes = {}
        for r in range(ranks):
            with open(f"{trace}.{r}") as f:
                for line in f:
                    point, n = line.split()
                    passes[(r, point)] = int(n)
            os.remove(f"{trace}.{r}")
        return passes
    lines = [l for l in err.splitlines() if l.strip() and not LAUNCHER_NOISE.match(l)]
    errors = [l for l in lines if re.match(r"^pando-\w+: error: ", l)]
    if code == 0:
        raise Failed(f"{what}: exit 0 despite the fault\n{err}")
    if len(errors) != 1 or not lines or lines[-1] != errors[0] or not surfaced(fault, errors[0]):
        raise Failed(f"{what}: not one error line, last on stderr, naming the fault:\n{err[-3000:]}")
    if "MPI_ABORT" in err or "fatal error" in err:
        raise Failed(f"{what}: the job was aborted instead of ending cleanly:\n{err[-3000:]}")
    left = outputs_left(data)
    if left:
        raise Failed(f"{what}: output left behind: {left}")
    if hidden_temporaries(data):
        raise Failed(f"{what}: temporaries left behind: {hidden_temporaries(data)}")
    return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="run only scenarios/commands whose name contains this")
    args = parser.parse_args()
    runs = 0
    failures = []

    def attempt(f, *a):
        nonlocal runs
        runs += 1
        try:
            return f(*a)
        except Failed as e:
            failures.append(str(e))
            print("FAIL", str(e).splitlines()[0], flush=True)
            return {}

    if s3_env() is None:
        print("no S3 server (PANDO_S3_TEST_STATE): the s3-* scenarios are left out", flush=True)

    def wanted(name):
        return s3_env() is not None or not name.startswith("s3-")

    if args.quick:
        for name, point in QUICK:
            if not wanted(name):
                continue
            passes = attempt(run_scenario, name, args.ranks)
            ranks = [r for (r, p) in passes if p == point]
            if not ranks:
                failures.append(f"{name}: no rank passes the point '{point}'")
                continue
            attempt(run_scenario, name, args.ranks, f"{point}:{max(ranks)}:1")
    else:
        for name in SCENARIO_NAMES:
            if (args.only and args.only not in name) or not wanted(name):
                continue
            passes = attempt(run_scenario, name, args.ranks)
            for point, rank, k in injections(passes):
                attempt(run_scenario, name, args.ranks, f"{point}:{rank}:{k}")
            print(f"{name}: {len(injections(passes))} faults", flush=True)
        data = make_app_data(args.ranks)
        try:
            for name, argv in app_commands(data).items():
                if args.only and args.only not in name:
                    continue
                passes = attempt(run_app, name, argv, args.ranks, data)
                for point, rank, k in injections(passes):
                    attempt(run_app, name, argv, args.ranks, data, f"{point}:{rank}:{k}")
                print(f"{name}: {len(injections(passes))} faults", flush=True)
        finally:
            shutil.rmtree(data, ignore_errors=True)
    print(f"{runs} runs, {len(failures)} failed")
    for f in failures:
        print("\n" + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
