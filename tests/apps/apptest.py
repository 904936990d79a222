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
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RANKS = int(os.environ.get("PANDO_TEST_RANKS", "1"))
BUILD = os.environ.get("PANDO_BUILD_DIR", os.path.join(ROOT, "build", "release"))


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
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)
    return Result(p.returncode, p.stdout, p.stderr)


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
        return r.out

    def fails(self, name, *args, message=None, **kw):
        """Runs an app that must fail with ONE line on stderr (containing `message`)."""
        r = app(name, *args, **kw)
        self.assertNotEqual(r.code, 0, r)
        lines = [l for l in r.err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, r)
        if message:
            self.assertIn(message, lines[0], r)
        return lines[0]


def main():
    unittest.main(verbosity=1)
