"""pando-gen end to end: tables and arrays checked with pandas and h5py, the same bytes at any
rank count, and bad input refused with one line and nothing left behind."""
import glob
import os
import re

import h5py
import numpy as np
import pandas as pd

import apptest
from apptest import AppTest

GEN = "pando-gen"
ROWS = 200_000


def read_text(path):
    with open(path, "rb") as f:
        return f.read()


def data_lines(paths):
    """The rows of CSV files without their headers, in file order."""
    out = []
    for p in paths:
        out.extend(read_text(p).split(b"\n")[1:-1])
    return out


def transaction_files(folder):
    return sorted(glob.glob(os.path.join(folder, "transactions-*.csv")))


class Table(AppTest):
    @classmethod
    def setUpClass(cls):
        # One table for every check (making it is the slow part): at the test's rank count,
        # with -v for the stage times.
        cls.shared = apptest.tempfile.mkdtemp(prefix="pando-gen-")
        cls.out = os.path.join(cls.shared, "data")
        cls.result = apptest.app(GEN, "table", "--rows", ROWS, "--files", 3, "--out", cls.out,
                              "--seed", 7, "-v")
        cls.files = transaction_files(cls.out)
        cls.df = pd.concat([pd.read_csv(f, parse_dates=["ts"]) for f in cls.files],
                           ignore_index=True) if cls.files else None

    @classmethod
    def tearDownClass(cls):
        apptest.shutil.rmtree(cls.shared, ignore_errors=True)

    def test_files_and_stage_times(self):
        self.assertEqual(self.result.code, 0, self.result)
        self.assertEqual(sorted(os.listdir(self.out)),
                         ["customers.csv", "transactions-00.csv", "transactions-01.csv",
                          "transactions-02.csv"])
        self.assertRegex(self.result.err, r"generate and write the tables: [0-9.]+ s")
        self.assertIn("200000 rows in 3 files", self.result.out)
        for f in self.files:
            self.assertTrue(read_text(f).startswith(b"id,ts,customer,category,amount,qty,flag\n"))

    def test_schema_and_values(self):
        df = self.df
        self.assertEqual(list(df.columns),
                         ["id", "ts", "customer", "category", "amount", "qty", "flag"])
        self.assertEqual([str(t) for t in df.dtypes],
                         ["int64", "datetime64[ns]", "object", "object", "float64", "int64",
                          "bool"])
        self.assertEqual(len(df), ROWS)
        np.testing.assert_array_equal(df["id"].to_numpy(), np.arange(ROWS))
        # ts: from 2024-01-01, whole seconds, strictly increasing, ~3 s apart.
        ts = df["ts"].to_numpy().astype("datetime64[s]").astype(np.int64)
        start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
        self.assertTrue(0 <= ts[0] - start <= 2)
        gaps = np.diff(ts)
        self.assertTrue((gaps >= 1).all() and (gaps <= 5).all())
        self.assertAlmostEqual(gaps.mean(), 3.0, delta=0.01)
        self.assertTrue((df["ts"] == df["ts"].dt.floor("s")).all())
        self.assertTrue(df["customer"].str.fullmatch(r"C\d{6}").all())
        self.assertLess(df["customer"].max(), "C010000")
        self.assertEqual(df["category"].nunique(), 20)
        self.assertTrue(df["category"].str.fullmatch(r"[a-z]+").all())
        self.assertEqual(df["category"].value_counts().index[0], "groceries")
        amount = df["amount"].dropna()
        self.assertTrue((amount >= 0.01).all())
        cents = amount.to_numpy() * 100
        np.testing.assert_allclose(cents, np.round(cents), atol=1e-6)
        self.assertTrue(df["qty"].between(1, 10).all())
        self.assertEqual(set(df["qty"].unique()), set(range(1, 11)))
        self.assertAlmostEqual(df["flag"].mean(), 0.10, delta=0.01)

    def test_missing_amounts_and_customer_skew(self):
        df = self.df
        self.assertAlmostEqual(df["amount"].isna().mean(), 0.05, delta=0.004)
        counts = df["customer"].value_counts()
        share = counts / len(df)
        self.assertTrue(0.08 < share.iloc[0] < 0.125, share.head())  # Zipf: ~10.2%
        self.assertTrue(0.48 < share.iloc[:100].sum() < 0.58)         # ~53%
        self.assertGreater(len(counts), 9000)                        # ~9650 of 10000
        self.assertNotEqual(counts.index[0], "C000000")  # ranks are shuffled

    def test_customers_cover_every_customer(self):
        c = pd.read_csv(os.path.join(self.out, "customers.csv"))
        self.assertEqual(list(c.columns), ["customer", "region", "tier"])
        self.assertEqual(len(c), 10000)
        self.assertEqual(list(c["customer"]), [f"C{i:06d}" for i in range(10000)])
        self.assertEqual(set(c["region"]), {"north", "south", "east", "west", "central"})
        self.assertEqual(set(c["tier"]), {"bronze", "silver", "gold", "platinum"})
        self.assertAlmostEqual((c["tier"] == "bronze").mean(), 0.5, delta=0.03)
        self.assertTrue(set(self.df["customer"]) <= set(c["customer"]))

    def test_same_bytes_on_one_rank(self):
        ref = self.path("ref")
        self.ok(GEN, "table", "--rows", ROWS, "--files", 3, "--out", ref, "--seed", 7, ranks=1)
        self.assertEqual(sorted(os.listdir(ref)), sorted(os.listdir(self.out)))
        for name in os.listdir(ref):
            self.assertEqual(read_text(os.path.join(ref, name)),
                             read_text(os.path.join(self.out, name)), name)

    def test_rows_do_not_depend_on_files_or_size(self):
        # Fewer rows in more files: the first rows of the same table, line for line.
        other = self.path("other")
        self.ok(GEN, "table", "--rows", 50_000, "--files", 5, "--out", other, "--seed", 7)
        self.assertEqual(len(transaction_files(other)), 5)
        mine = data_lines(transaction_files(other))
        self.assertEqual(mine, data_lines(self.files)[:50_000])
        self.assertEqual(read_text(os.path.join(other, "customers.csv")),
                         read_text(os.path.join(self.out, "customers.csv")))
        # Another seed, other values.
        third = self.path("third")
        self.ok(GEN, "table", "--rows", 1000, "--files", 1, "--out", third, "--seed", 8)
        self.assertNotEqual(data_lines(transaction_files(third)), mine[:1000])


class Small(AppTest):
    def test_empty_and_tiny_tables(self):
        out = self.path("tiny")
        self.ok(GEN, "table", "--rows", 2, "--files", 4, "--out", out)
        files = transaction_files(out)
        self.assertEqual([os.path.basename(f) for f in files],
                         [f"transactions-0{i}.csv" for i in range(4)])
        frames = [pd.read_csv(f) for f in files]
        self.assertEqual([len(f) for f in frames], [1, 1, 0, 0])
        self.assertEqual(list(frames[3].columns), list(frames[0].columns))
        empty = self.path("empty")
        self.ok(GEN, "table", "--rows", 0, "--files", 1, "--out", empty)
        self.assertEqual(len(pd.read_csv(os.path.join(empty, "transactions-00.csv"))), 0)

    def test_help_teaches_with_examples(self):
        out = self.ok(GEN, "--help")
        self.assertIn("pando-gen table --rows", out)
        self.assertIn("pando-gen array --shape", out)
        out = self.ok(GEN, "table", "--help")
        self.assertIn("customers.csv", out)
        self.assertIn("pando-gen table --rows", out)
        self.assertIn("--dist", self.ok(GEN, "array", "--help"))


class Array(AppTest):
    def test_normal_array(self):
        f = self.path("x.h5")
        self.ok(GEN, "array", "--shape", "300,200", "--chunks", "64,50", "--dist", "normal",
                "--seed", 3, "--out", f + ":/grp/x", "-v")
        # Another chunking on one rank: the same values; a chunk larger than the shape is cut.
        g = self.path("y.h5")
        self.ok(GEN, "array", "--shape", "300,200", "--chunks", "500,77", "--dist", "normal",
                "--seed", 3, "--out", g + ":/x", ranks=1)
        with h5py.File(f, "r") as a, h5py.File(g, "r") as b:
            x, y = a["/grp/x"], b["/x"]
            self.assertEqual(x.shape, (300, 200))
            self.assertEqual(x.chunks, (64, 50))
            self.assertEqual(y.chunks, (300, 77))
            self.assertEqual(x.dtype, np.float64)
            v = x[...]
            np.testing.assert_array_equal(v, y[...])
        self.assertLess(abs(v.mean()), 0.02)  # 60000 draws: sd of the mean 0.004
        self.assertAlmostEqual(v.std(), 1.0, delta=0.02)
        self.assertEqual(len(np.unique(v)), v.size)

    def test_uniform_array_and_a_second_dataset(self):
        f = self.path("u.h5")
        self.ok(GEN, "array", "--shape", "5000", "--chunks", "700", "--out", f + ":/u")
        self.ok(GEN, "array", "--shape", "40,30", "--dtype", "float32", "--seed", 1,
                "--out", f + ":/v")
        with h5py.File(f, "r") as h:
            u = h["/u"][...]
            self.assertEqual(h["/u"].chunks, (700,))
            self.assertEqual(h["/v"].dtype, np.float32)
            self.assertEqual(h["/v"].shape, (40, 30))
        self.assertTrue(((u >= 0) & (u < 1)).all())
        self.assertAlmostEqual(u.mean(), 0.5, delta=0.02)
        self.assertAlmostEqual(u.std(), np.sqrt(1 / 12), delta=0.01)
        # An existing dataset stays unless --overwrite.
        self.fails(GEN, "array", "--shape", "10", "--out", f + ":/u", message="exists already")
        with h5py.File(f, "r") as h:
            self.assertEqual(h["/u"].shape, (5000,))
        self.ok(GEN, "array", "--shape", "10", "--out", f + ":/u", "--overwrite")
        with h5py.File(f, "r") as h:
            self.assertEqual(h["/u"].shape, (10,))


class BadInput(AppTest):
    # One case per kind of check: a failing run costs Open MPI's mpirun ~2 s at 1 and 2 ranks.
    def assert_nothing_left(self, *keep):
        self.assertEqual(sorted(os.listdir(self.tmp)), sorted(keep))

    def test_bad_table_options(self):
        out = self.path("out")
        self.fails(GEN, "table", "--rows", -5, "--files", 2, "--out", out, message="--rows: -5")
        self.assert_nothing_left()
        # A command line CLI11 refuses is one line too.
        self.fails(GEN, "table", "--rows", "ten", "--files", 2, "--out", out, message="--rows")
        self.assert_nothing_left()
        taken = self.path("taken")
        with open(taken, "w") as h:
            h.write("x\n")
        self.fails(GEN, "table", "--rows", 10, "--files", 2, "--out", taken,
                   message="not a folder")
        self.assert_nothing_left("taken")

    def test_bad_array_options(self):
        f = self.path("a.h5")
        self.fails(GEN, "array", "--shape", "10,10", "--chunks", "5", "--out", f + ":/x",
                   message="--chunks")
        self.fails(GEN, "array", "--shape", "10", "--out", f, message="--out")
        self.assert_nothing_left()
        # Fails while it runs (no such folder): nothing is left behind either.
        self.fails(GEN, "array", "--shape", "10", "--out", self.path("no", "dir.h5") + ":/x",
                   message="no/dir.h5")
        self.assert_nothing_left()


if __name__ == "__main__":
    apptest.main()
