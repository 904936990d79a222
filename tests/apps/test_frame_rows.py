"""pando-frame's steps that move rows between ranks (--groupby with --agg, --value-counts,
--nunique, --drop-duplicates, --sort, --nlargest / --nsmallest, --head / --tail after them)
against pandas, on generated data with skewed keys (Zipf, and one key holding 10% of the rows),
null and NaN values, an all-null column, string, integer, bool and timestamp keys, files cut
into many small ranges; the same output at PANDO_TEST_RANKS ranks as at 1.
"""
import os
import random
import shutil
import sys
import tempfile

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apptest import AppTest, RANKS, main  # noqa: E402
from test_frame import QUICK_EXIT, cell  # noqa: E402

FRAME = "pando-frame"
DATES = ["when"]


def rows(n, seed=11):
    """customer: Zipf over 300 names, with c-heavy on 10% of the rows; region: 0-6 or null;
    none: always null; amount: floats, some null, some NaN; qty: small ints, some null."""
    rng = random.Random(seed)
    names = [f"c{k:03d}" for k in range(300)]
    weights = [1 / (k + 1) for k in range(300)]
    out = []
    for i in range(n):
        customer = "c-heavy" if i % 10 == 3 else rng.choices(names, weights)[0]
        region = "" if i % 13 == 0 else str(rng.randint(0, 6))
        amount = "" if i % 17 == 2 else "NaN" if i % 29 == 5 else f"{rng.uniform(-50, 500):.2f}"
        qty = "" if i % 19 == 7 else str(rng.randint(0, 9))
        flag = "" if i % 23 == 1 else rng.choice(["True", "False"])
        when = f"2024-0{1 + i % 3}-0{1 + (i // 3) % 4} 00:00:00"
        out.append([str(i), customer, region, "", amount, qty, flag, when])
    return out


HEADER = ["id", "customer", "region", "none", "amount", "qty", "flag", "when"]


def pd_read(path_or_text, dates=DATES):
    import io
    src = io.StringIO(path_or_text) if "\n" in path_or_text else path_or_text
    return pd.read_csv(src, parse_dates=dates, float_precision="round_trip")


class FrameRowsTest(AppTest):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="pando-apptest-rows-")
        all_rows = rows(3000)
        cls.files = []
        for k, (a, b) in enumerate([(0, 1000), (1000, 1001), (1001, 3000)]):
            path = os.path.join(cls.data, f"t-{k}.csv")
            with open(path, "w") as f:
                f.write(",".join(HEADER) + "\n")
                f.writelines(",".join(r) + "\n" for r in all_rows[a:b])
            cls.files.append(path)
        cls.glob = os.path.join(cls.data, "t-*.csv")
        cls.ref = pd.concat([pd_read(p) for p in cls.files], ignore_index=True)
        # The right side of joins: one row per customer but a few (duplicates: many-to-many),
        # some customers missing, some unknown to the left side.
        cls.customers = os.path.join(cls.data, "customers.csv")
        rng = random.Random(5)
        with open(cls.customers, "w") as f:
            f.write("customer,region,tier\n")
            for k in list(range(0, 280)) + [3, 3, 17, 500, 501]:
                name = "c-heavy" if k == 17 else f"c{k:03d}"
                region = "" if k % 31 == 4 else rng.choice(["north", "south", "east"])
                f.write(f"{name},{region},{rng.randint(1, 3)}\n")
        cls.right = pd_read(cls.customers, dates=[])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data, ignore_errors=True)

    def run_frame(self, *args):
        args = (self.glob, "--chunk-size", "3000") + args
        out = self.ok(FRAME, *args)
        self.assertSameAtOneRank(out, FRAME, *args)
        return out

    def assertFramesEqual(self, ours, want, msg):
        self.assertEqual(list(ours.columns), list(want.columns), msg)
        self.assertEqual(len(ours), len(want), msg)
        for c in want.columns:
            a = [cell(v) for v in ours[c]]
            b = [cell(v) for v in want[c]]
            if any(isinstance(v, float) for v in b):
                self.assertEqual([v is None for v in a], [v is None for v in b], f"{msg}: {c}")
                np.testing.assert_allclose([v for v in a if v is not None],
                                           [v for v in b if v is not None], rtol=1e-9,
                                           err_msg=f"{msg}: {c}")
            else:
                self.assertEqual(a, b, f"{msg}: column {c}")

    def check_groupby(self, keys, specs, frame=None, pre=()):
        """--groupby KEYS --agg SPECS against pandas' groupby(keys).agg, sorted by key."""
        d = self.ref if frame is None else frame
        out = self.run_frame(*pre, "--groupby", ",".join(keys), "--agg", ",".join(specs))
        named = {}
        for s in specs:
            col, func = s.split(":")
            if func.startswith("q") and func[1:].replace(".", "").isdigit():
                q = float(func[1:]) / 100
                func = lambda x, q=q: x.quantile(q)  # noqa: E731
            named[s.replace(":", "_")] = (col, func)
        want = d.groupby(keys).agg(**named).reset_index()
        ours = pd_read(out, dates=[c for c in want.columns if str(want[c].dtype).startswith("datetime")])
        self.assertFramesEqual(ours, want, " ".join(keys) + " " + ",".join(specs))

    def test_groupby_string_key_every_function(self):
        self.check_groupby(["customer"], [
            "amount:sum", "amount:mean", "amount:count", "amount:min", "amount:max",
            "amount:std", "amount:var", "amount:median", "amount:q90", "amount:q2.5",
            "amount:nunique", "amount:first", "amount:last", "qty:max", "qty:size",
            "region:nunique", "when:min", "when:last"])

    def test_groupby_several_keys_of_other_types(self):
        self.check_groupby(["region", "flag"], ["amount:sum", "qty:count", "qty:min"])
        self.check_groupby(["when"], ["amount:var", "id:prod", "flag:any", "flag:all"],
                           frame=self.ref[self.ref["id"] < 40], pre=("--where", "id < 40"))
        self.check_groupby(["qty", "customer"], ["amount:mean"])

    def test_groupby_edge_cases(self):
        # Every key missing: no groups.
        out = self.run_frame("--groupby", "none", "--agg", "amount:sum")
        self.assertEqual(out.splitlines(), ["none,amount_sum"])
        # No rows; one group.
        out = self.run_frame("--where", "amount > 1e9", "--groupby", "customer", "--agg", "qty:sum")
        self.assertEqual(out.splitlines(), ["customer,qty_sum"])
        heavy = self.ref[self.ref["customer"] == "c-heavy"]
        self.check_groupby(["customer"], ["amount:sum", "amount:median"], frame=heavy,
                           pre=("--where", "customer == 'c-heavy'"))

    def test_head_after_groupby(self):
        out = self.run_frame("--groupby", "customer", "--agg", "amount:sum", "--head", "4")
        want = self.ref.groupby("customer").agg(amount_sum=("amount", "sum")).reset_index()
        self.assertFramesEqual(pd_read(out, dates=[]), want.head(4), "--head 4")

    def test_value_counts(self):
        for col in ["customer", "region", "qty", "when"]:
            out = self.run_frame("--value-counts", col)
            ours = pd_read(out, dates=[col] if col in DATES else [])
            counts = self.ref[col].value_counts().rename_axis(col).reset_index(name="count")
            # pandas leaves the order of ties open: Pando orders them by value.
            want = counts.sort_values(["count", col], ascending=[False, True], kind="stable")
            self.assertFramesEqual(ours, want.reset_index(drop=True), f"--value-counts {col}")

    def test_nunique(self):
        out = self.run_frame("--nunique", "customer,region,none,amount,when")
        ours = pd_read(out, dates=[])
        cols = ["customer", "region", "none", "amount", "when"]
        self.assertEqual(list(ours["column"]), cols)
        self.assertEqual(list(ours["nunique"]), [self.ref[c].nunique() for c in cols])

    def test_drop_duplicates(self):
        for subset in ["customer", "region,flag", None]:
            args = ["--drop-duplicates"] if subset is None else ["--drop-duplicates=" + subset]
            d = self.ref if subset else self.ref.drop(columns=["id"])
            pre = () if subset else ("--select", "customer,region,qty,flag")
            if not subset:
                d = self.ref[["customer", "region", "qty", "flag"]]
            want = d.drop_duplicates(subset.split(",") if subset else None).reset_index(drop=True)
            ours = pd_read(self.run_frame(*pre, *args), dates=[c for c in DATES if c in want])
            self.assertFramesEqual(ours, want, " ".join(args))

    def test_sort_and_both_ends(self):
        d = self.ref
        for spec, by, asc in [("amount", ["amount"], [True]),
                              ("customer:desc,id", ["customer", "id"], [False, True]),
                              ("region,amount:desc", ["region", "amount"], [True, False])]:
            want = d.sort_values(by, ascending=asc, kind="stable", na_position="last")
            ours = pd_read(self.run_frame("--sort", spec))
            self.assertFramesEqual(ours, want.reset_index(drop=True), "--sort " + spec)
        # Workload 5 of the benchmark: a full sort, then both ends.
        out = self.run_frame("--where", "notna(amount)", "--select", "amount", "--sort", "amount",
                             "--head", "10", "--tail", "10")
        s = d[d["amount"].notna()].sort_values("amount", kind="stable")[["amount"]]
        want = pd.concat([s.head(10), s.tail(10)]).reset_index(drop=True)
        self.assertFramesEqual(pd_read(out, dates=[]), want, "--sort --head --tail")
        # After a groupby, by its output column.
        out = self.run_frame("--groupby", "customer", "--agg", "amount:sum", "--sort",
                             "amount_sum:desc", "--head", "10")
        g = d.groupby("customer").agg(amount_sum=("amount", "sum")).reset_index()
        want = g.sort_values("amount_sum", ascending=False, kind="stable").head(10)
        self.assertFramesEqual(pd_read(out, dates=[]), want.reset_index(drop=True), "groupby sort")

    def test_nlargest_nsmallest(self):
        d = self.ref
        for n, col in [(10, "amount"), (7, "qty"), (0, "amount"), (5000, "id")]:
            for option, method in [("--nlargest", "nlargest"), ("--nsmallest", "nsmallest")]:
                ours = pd_read(self.run_frame(option, f"{n}:{col}"))
                want = getattr(d, method)(n, col, keep="first")
                self.assertFramesEqual(ours, want.reset_index(drop=True), f"{option} {n}:{col}")

    def test_join(self):
        d, c = self.ref, self.right
        for how in ["inner", "left", "right", "outer"]:
            out = self.run_frame("--join", self.customers, "--on", "customer", "--how", how)
            ours = pd_read(out)
            want = d.merge(c, on="customer", how=how, suffixes=("_x", "_y"))
            if how in ("inner", "outer"):
                # pandas 1.5 groups an inner join's rows by key (Pando keeps the left order, as
                # pandas 2.2); an outer join is sorted by key on both sides: compare as sets.
                key = list(want.columns)
                ours = ours.sort_values(key, kind="stable").reset_index(drop=True)
                want = want.sort_values(key, kind="stable").reset_index(drop=True)
            self.assertFramesEqual(ours, want.reset_index(drop=True), f"--how {how}")
        # Keys named differently, a clash of column names, then a groupby of a joined column
        # (workload 4 of the benchmark).
        out = self.run_frame("--join", self.customers, "--left-on", "customer", "--right-on",
                             "customer", "--how", "left", "--select", "id,customer,region_x,region_y")
        want = d.merge(c, left_on="customer", right_on="customer", how="left")
        self.assertFramesEqual(pd_read(out, dates=[]),
                               want[["id", "customer", "region_x", "region_y"]], "left_on/right_on")
        out = self.run_frame("--join", self.customers, "--on", "customer", "--groupby",
                             "region_y", "--agg", "amount:mean,tier:sum")
        j = d.merge(c, on="customer")
        want = j.groupby("region_y").agg(amount_mean=("amount", "mean"),
                                          tier_sum=("tier", "sum")).reset_index()
        self.assertFramesEqual(pd_read(out, dates=[]), want, "join then groupby")

    def test_hdf5_tables(self):
        import h5py
        # Written at this rank count, read by h5py column by column, and by pando-frame at 2.
        out = self.path("t.h5")
        self.ok(FRAME, self.glob, "--chunk-size", "3000", "--out", out + ":/runs/t")
        d = self.ref
        with h5py.File(out, "r") as f:
            g = f["runs/t"]
            self.assertEqual(sorted(k for k in g.keys() if k != "_valid"), sorted(d.columns))
            np.testing.assert_array_equal(g["id"][:], d["id"].to_numpy())
            self.assertEqual([v.decode() for v in g["customer"][:]], list(d["customer"]))
            amount = g["amount"][:]
            np.testing.assert_array_equal(np.isnan(amount), d["amount"].isna().to_numpy())
            np.testing.assert_allclose(amount[~np.isnan(amount)], d["amount"].dropna(), rtol=0)
            np.testing.assert_array_equal(g["_valid/qty"][:], d["qty"].notna().to_numpy())
            self.assertEqual(g["when"].attrs["pando_dtype"], "timestamp")
            np.testing.assert_array_equal(g["when"][:], d["when"].to_numpy().astype("int64"))
        back = self.ok(FRAME, out + ":/runs/t", ranks=2)
        self.assertFramesEqual(pd_read(back), d, "read back at 2 ranks")
        # A group h5py wrote (variable-length strings, no Pando attributes), grouped.
        theirs = self.path("h5py.h5")
        with h5py.File(theirs, "w") as f:
            f["g/name"] = np.array(["a", "bé", "a", "c", "bé"], dtype=h5py.string_dtype())
            f["g/v"] = np.arange(5, dtype="float64")
            f["g/n"] = np.array([1, 2, 3, 4, 5], dtype="int32")
        got = pd_read(self.ok(FRAME, theirs + ":/g", "--groupby", "name", "--agg", "v:sum,n:max"),
                      dates=[])
        self.assertEqual(got.to_dict("list"), {"name": ["a", "bé", "c"], "v_sum": [2.0, 5.0, 3.0],
                                               "n_max": [3, 5, 4]})
        # A result to a table; an existing group refused; no table there.
        self.ok(FRAME, self.glob, "--value-counts", "customer", "--out", out + ":/counts")
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["counts/count"][:].sum()), d["customer"].notna().sum())
        self.fails(FRAME, self.glob, "--out", out + ":/counts", message="exists already",
                   env=QUICK_EXIT, timeout=60)
        self.fails(FRAME, out + ":/nothing", message="no table here", env=QUICK_EXIT, timeout=60)

    def test_bad_join(self):
        cases = [
            (["--join", self.customers], "--join needs --on"),
            (["--join", self.customers, "--on", "tier"], "no column 'tier'"),
            (["--join", self.customers, "--on", "region"],
             "merge: the key 'region' is int64 on the left and 'region' is string on the right; "
             "make them one type first (astype, or --dtype region=int64 when reading)"),
            (["--join", self.customers, "--left-on", "id", "--right-on", "customer"],
             "merge: the key 'id' is int64 on the left and 'customer' is string on the right"),
            (["--on", "customer"], "name the keys of a --join"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.fails(FRAME, self.glob, *args, message=message, timeout=60, env=QUICK_EXIT)

    def test_bad_groupby(self):
        cases = [
            (["--groupby", "nobody", "--agg", "amount:sum"], "no column 'nobody'"),
            (["--groupby", "customer", "--agg", "customer:mean"],
             "cannot take the mean of column 'customer' of type string"),
            (["--groupby", "customer", "--agg", "amount:q150"],
             "a quantile's percent lies between 0 and 100"),
            (["--groupby", "customer"], "--groupby needs --agg"),
            (["--groupby", "customer", "--agg", "amount:sum", "--describe"],
             "give at most one of --agg"),
            (["--value-counts", "customer", "--nunique", "id"], "give at most one of --agg"),
            (["--sort", "amount:up"], "is not COL, COL:asc or COL:desc"),
            (["--sort", "nobody"], "no column 'nobody'"),
            (["--nlargest", "ten:amount"], "is not a number of rows"),
            (["--nlargest", "3:customer"], "it takes numbers and timestamps"),
            (["--nlargest", "3:amount", "--nsmallest", "3:amount"],
             "give one of --nlargest and --nsmallest"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.fails(FRAME, self.glob, *args, message=message, timeout=60, env=QUICK_EXIT)


if __name__ == "__main__":
    main()
