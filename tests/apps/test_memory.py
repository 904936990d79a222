"""Memory stays flat where the data streams (issue "Hardening"): the peak resident memory of
each rank, read from the apps themselves (PANDO_BENCH_JSON), for the pando-frame commands that
stream their input, on 50 MB and on 500 MB of CSV. A memory check, not a timing.

  - --nulls, --agg, --where ... --out x.csv and a .gz input grow by at most 25% (or three 4 MiB
    ranges, if more) from 50 MB to 500 MB: memory holds the ranges in flight, not the files.
    A leak or a held output grows tenfold; how many ranges a rank holds at its peak (reading,
    parsing, formatting) varies from run to run by a few ranges, and with more ranges to read a
    run meets its busiest moment more often;
  - --describe over all columns stays within 10% of --describe over the numeric ones (it holds
    what it summarizes, nothing else).

Run at 2 ranks by CTest (label heavy).
"""
import json
import os
import subprocess
import unittest

from apptest import AppTest, app

CHUNK = ["--chunk-size", "4194304"]
ROWS_PER_MB = 1_000_000 / 54.8  # pando-gen's transactions: about 54.8 bytes a row


def peak_rss_mib(result):
    """The largest peak RSS over the ranks, from the app's PANDO_BENCH_JSON line."""
    for line in reversed(result.err.splitlines()):
        if line.startswith("{") and "rss_mib" in line:
            return max(json.loads(line)["rss_mib"])
    raise AssertionError(f"no memory report in:\n{result}")


class Memory(AppTest):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.data = {}
        cls.root = tempfile.mkdtemp(prefix="pando-memory-")
        for mb in (50, 500):
            folder = os.path.join(cls.root, f"{mb}mb")
            r = app("pando-gen", "table", "--rows", str(int(mb * ROWS_PER_MB)), "--files", "4",
                    "--out", folder, timeout=600)
            assert r.code == 0, r
            files = sorted(f for f in os.listdir(folder) if f.startswith("transactions-"))
            # The same files, gzipped (two at a time: the machine has two cores).
            subprocess.run("ls transactions-*.csv | xargs -P2 -n1 gzip -1 -k", shell=True,
                           cwd=folder, check=True)
            cls.data[mb] = (os.path.join(folder, "transactions-*.csv"),
                            os.path.join(folder, "transactions-*.csv.gz"), len(files))

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.root, ignore_errors=True)

    def rss(self, *args):
        """Peak RSS per rank: the smaller of two runs (a peak only ever comes out too high:
        timing decides how many ranges are in flight at once)."""
        peaks = []
        for _ in range(2):
            r = app("pando-frame", *args, env={"PANDO_BENCH_JSON": "1"}, timeout=900)
            self.assertEqual(r.code, 0, r)
            peaks.append(peak_rss_mib(r))
        return min(peaks)

    def assertFlat(self, name, build_args, growth=0.25, ranges_in_flight=3):
        small = self.rss(*build_args(50))
        large = self.rss(*build_args(500))
        print(f"{name}: {small:.0f} MiB at 50 MB, {large:.0f} MiB at 500 MB", flush=True)
        allowance = max(small * growth, ranges_in_flight * int(CHUNK[1]) / 2**20)
        self.assertLessEqual(large, small + allowance,
                             f"{name}: peak RSS per rank {small:.0f} -> {large:.0f} MiB")

    def test_streaming_commands_stay_flat(self):
        out = os.path.join(self.tmp, "x.csv")
        commands = {
            "--nulls": lambda mb: [self.data[mb][0], *CHUNK, "--nulls"],
            "--agg": lambda mb: [self.data[mb][0], *CHUNK, "--agg", "amount:sum,qty:mean"],
            "--where --out": lambda mb: [self.data[mb][0], *CHUNK, "--where", "amount > 100",
                                         "--out", out],
            ".gz --agg": lambda mb: [self.data[mb][1], *CHUNK, "--agg", "amount:sum,qty:mean"],
        }
        for name, args in commands.items():
            with self.subTest(name):
                self.assertFlat(name, args)

    def test_describe_holds_what_it_summarizes(self):
        every = self.rss(self.data[500][0], *CHUNK, "--describe")
        numeric = self.rss(self.data[500][0], *CHUNK, "--select", "id,amount,qty", "--describe")
        print(f"--describe: {every:.0f} MiB over all columns, {numeric:.0f} MiB over the "
              f"numeric ones", flush=True)
        self.assertLessEqual(every, numeric * 1.10)


if __name__ == "__main__":
    unittest.main(verbosity=1)
