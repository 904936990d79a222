"""docs/examples/insitu.cpp, the README's "Pando in your simulation", run under MPI: its
statistics and its HDF5 snapshot against the same heat equation stepped serially with NumPy.

    PANDO_TEST_RANKS=3 PANDO_BUILD_DIR=build/release python3 tests/examples/test_insitu.py
"""
import os
import re
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RANKS = int(os.environ.get("PANDO_TEST_RANKS", "2"))
BUILD = os.environ.get("PANDO_BUILD_DIR", os.path.join(ROOT, "build", "release"))
ROWS, COLS, STEPS, EVERY, ALPHA = 37, 23, 60, 20, 0.2  # rows split unevenly over 2-4 ranks


def reference():
    """The same scheme on the whole grid: a hot middle square, edges held at 0."""
    u = np.zeros((ROWS + 2, COLS + 2))
    gi = np.arange(ROWS)[:, None]
    j = np.arange(COLS)[None, :]
    hot = (4 * gi >= ROWS) & (4 * gi < 3 * ROWS) & (4 * j >= COLS) & (4 * j < 3 * COLS)
    u[1:-1, 1:-1] = hot.astype(float)
    fields = {}
    for s in range(1, STEPS + 1):
        c = u[1:-1, 1:-1]
        lap = u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4.0 * c
        u = u.copy()
        u[1:-1, 1:-1] = c + ALPHA * lap
        if s % EVERY == 0:
            fields[s] = u[1:-1, 1:-1].copy()
    return u[1:-1, 1:-1], fields


class InSitu(unittest.TestCase):
    def test_statistics_and_snapshot_match_a_serial_run(self):
        with tempfile.TemporaryDirectory(prefix="pando-insitu-") as tmp:
            out = os.path.join(tmp, "heat.h5")
            cmd = [os.path.join(ROOT, "jobscripts", "pando-run"), "-n", str(RANKS),
                   os.path.join(BUILD, "docs", "examples", "pando-example-insitu"),
                   "--rows", str(ROWS), "--cols", str(COLS), "--steps", str(STEPS),
                   "--every", str(EVERY), "--alpha", str(ALPHA), "--out", out]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            final, fields = reference()
            with h5py.File(out, "r") as f:
                written = f["/temperature"][...]
            self.assertEqual(written.shape, (ROWS, COLS))
            np.testing.assert_allclose(written, final, rtol=0, atol=1e-12)
            lines = [l for l in p.stdout.splitlines() if l.startswith("step ")]
            self.assertEqual(len(lines), STEPS // EVERY, p.stdout)
            edges = [k / 8 + (1e-9 if k == 8 else 0) for k in range(9)]
            for line in lines:
                m = re.match(r"step (\d+): mean (\S+) min (\S+) max (\S+) histogram (.*)", line)
                self.assertIsNotNone(m, line)
                u = fields[int(m.group(1))]
                self.assertAlmostEqual(float(m.group(2)), u.mean(), places=6)
                self.assertAlmostEqual(float(m.group(3)), u.min(), places=6)
                self.assertAlmostEqual(float(m.group(4)), u.max(), places=6)
                below = [int((u < e).sum()) for e in edges]
                counts = [b - a for a, b in zip(below, below[1:])]
                self.assertEqual([int(c) for c in m.group(5).split()], counts, line)


if __name__ == "__main__":
    unittest.main()
