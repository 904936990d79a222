"""End-to-end tests of the apps through their command lines (Debian's /usr/bin/python3, with
pandas, NumPy and h5py as references).

Each test script is run by CTest once per rank count (PANDO_TEST_RANKS); the apps are found in
PANDO_BUILD_DIR/apps and launched with jobscripts/pando-run.

    from apptest import AppTest
    class Frame(AppTest):
        def test_describe(self):
            r = self.app("pando-frame", data, "--describe")
            self.assertEqual(r.code, 0, r.err)
"""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RANKS = int(os.environ.get("PANDO_TEST_RANKS", "1"))
BUILD = os.environ.get("PANDO_BUILD_DIR", os.path.join(ROOT, "build", "release"))


# Open MPI's event library may warn while the launcher tears a failed job down, after the app
# has printed its error (seen at 4 ranks on 2 cores: "[warn] Epoll MOD(1) on fd 27 failed ...").
# The line is the launcher's, not the app's, and says nothing about the app's error.
_LAUNCHER_NOISE = re.compile(r"^\[warn\] Epoll ")


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return f"exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}"


def app(name, *args, ranks=None, env=None, timeout=120):
    """Runs an app on `ranks` ranks (default: PANDO_TEST_RANKS) and returns its Result."""
    cmd = [os.path.join(ROOT, "jobscripts", "pando-run"), "-n", str(ranks or RANKS),
           os.path.join(BUILD, "apps", name)] + [str(a) for a in args]
    e = dict(os.environ)
    e.setdefault("PANDO_PROGRESS", "off")  # tests that look at progress ask for it
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)
    return Result(p.returncode, p.stdout, p.stderr)


# Outputs at one rank, for the tests at several ranks to compare with. CTest runs the 1-rank
# entry of each script first (tests/apps/CMakeLists.txt), so the others rarely rerun it.
ONE_RANK_CACHE = os.path.join(BUILD, "tests", "apps", "one-rank-outputs")
_TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"/pando-[A-Za-z0-9_-]+")
_binaries = {}


def _binaries_hash(name):
    """The app and the library it runs: a rebuilt program never meets an old output."""
    if name not in _binaries:
        h = hashlib.sha256()
        for path in [os.path.join(BUILD, "apps", name)] + sorted(glob.glob(os.path.join(BUILD, "lib", "libpando.so*"))):
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    h.update(f.read())
        _binaries[name] = h.hexdigest()
    return _binaries[name]


def _run_key(name, args):
    """A run's name: the program, its arguments (temporary folders blanked), and the bytes of
    the files they name (FILE, FILE.h5:/x, NAME=FILE..., globs)."""
    h = hashlib.sha256(_binaries_hash(name).encode())
    for a in map(str, args):
        h.update(_TEMP.sub("<tmp>", a).encode() + b"\0")
        for token in re.split(r"[=,]", a):
            for path in sorted(glob.glob(token.split(":/")[0])):
                if os.path.isfile(path):
                    with open(path, "rb") as f:
                        h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def _remember(name, args, out):
    os.makedirs(ONE_RANK_CACHE, exist_ok=True)
    path = os.path.join(ONE_RANK_CACHE, _run_key(name, args))
    with tempfile.NamedTemporaryFile("w", dir=ONE_RANK_CACHE, delete=False, encoding="utf-8",
                                     newline="") as f:
        f.write(out)
    os.replace(f.name, path)


def _recall(name, args):
    try:
        with open(os.path.join(ONE_RANK_CACHE, _run_key(name, args)), encoding="utf-8",
                  newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None


class AppTest(unittest.TestCase):
    """A test case with a fresh temporary folder (self.tmp) and self.app()."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pando-apptest-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def app(self, name, *args, **kw):
        return app(name, *args, **kw)

    def ok(self, name, *args, **kw):
        """Runs an app that must succeed; returns its stdout."""
        r = app(name, *args, **kw)
        self.assertEqual(r.code, 0, r)
        if (kw.get("ranks") or RANKS) == 1 and not kw.get("env"):
            _remember(name, args, r.out)
        return r.out

    def usage_cases(self, cases, usage_messages):
        """The bad-input `cases` (args, message) to run at this rank count. Usage errors (the
        command line alone is wrong: `message` in `usage_messages`) do not depend on the ranks:
        they run at one rank, and the first of them at every count (the other ranks stop with
        rank 0 without a word); errors found in the data run at every count."""
        first = True
        for args, message in cases:
            usage = message in usage_messages
            if not usage or RANKS == 1 or first:
                yield args, message
            first = first and not usage

    def assertSameAtOneRank(self, out, name, *args):
        """At several ranks: `out` (of `name` `args`) is the text the app prints at one rank."""
        if RANKS == 1:
            return
        one = _recall(name, args)
        if one is None:
            one = self.ok(name, *args, ranks=1)
        self.assertEqual(one, out, args)

    def fails(self, name, *args, message=None, **kw):
        """Runs an app that must fail with ONE line on stderr (containing `message`)."""
        r = app(name, *args, **kw)
        self.assertNotEqual(r.code, 0, r)
        lines = [l for l in r.err.splitlines() if l.strip() and not _LAUNCHER_NOISE.match(l)]
        self.assertEqual(len(lines), 1, r)
        if message:
            self.assertIn(message, lines[0], r)
        return lines[0]


def main():
    unittest.main(verbosity=1)
