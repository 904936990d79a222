"""pando-frame end to end: every option against pandas, the tricky-CSV corpus (tests/data/csv)
read in tiny byte ranges, the same output at PANDO_TEST_RANKS ranks as at 1, --out files, and
bad input (one line on stderr, non-zero exit, nothing left behind).

The app's stdout is read back with pandas and compared with what pandas computes from the same
input. Small --chunk-size values cut the files into many byte ranges, so that every rank count
runs the parallel paths (ranges that start inside quoted fields, rows split across ranges).
"""
import csv
import gzip
import io
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apptest  # noqa: E402
from apptest import BUILD, RANKS, ROOT, AppTest, Result, main  # noqa: E402


def app_bytes_as_written(name, *args, ranks=None, env=None, timeout=120):
    """apptest.app, with stdout and stderr decoded as written: text mode would turn the "\r\n"
    and "\r" inside quoted fields into "\n"."""
    cmd = [os.path.join(ROOT, "jobscripts", "pando-run"), "-n", str(ranks or RANKS),
           os.path.join(BUILD, "apps", name)] + [str(a) for a in args]
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=e)
    return Result(p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8"))


apptest.app = app_bytes_as_written  # what AppTest.app, ok and fails run

FRAME = "pando-frame"
CORPUS = os.path.join(ROOT, "tests", "data", "csv")
# mpirun waits odls_base_sigkill_timeout (about 2 s) after a rank exits with an error before it
# exits itself: 0 keeps the many failing runs quick.
QUICK_EXIT = {"OMPI_MCA_odls_base_sigkill_timeout": "0"}

# Corpus files where Pando differs from pandas on purpose.
DIFFERENT_FROM_PANDAS = {
    # Integers beyond int64: pandas reads both columns as strings (object); Pando keeps 'big'
    # as strings and reads 'mixed' as float64 (lib/pando/frame/csv/infer.hpp).
    "int_overflow.csv",
}
# Strings that need care: delimiters, quotes, line breaks (LF and CRLF) inside quotes, unicode,
# spaces kept as they are, a would-be NA that is not one.
NAMES = ["alpha", "b,eta", 'ga"mma', "dé|ta", "line\nbreak", "日本 🐼", "x y", "  pad ",
         "semi;colon", "tab\there", "crlf\r\ninside", 'end quote"', "NA-ish", "Ünïcödé, too"]
COLUMNS = ["id", "amount", "qty", "name", "flag", "when", "day", "score"]
DATES = ["when", "day"]


def quote(field, sep=","):
    """A field as a CSV writer quotes it (empty: null)."""
    if any(c in field for c in sep + '"\r\n'):
        return '"' + field.replace('"', '""') + '"'
    return field


def main_rows(n, seed=7):
    """Rows of the main table as raw field values ('' = null)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        amount = "" if i % 7 == 3 else f"{rng.uniform(-500, 500):.2f}"
        qty = "" if i % 11 == 5 else str(rng.randint(0, 20))
        name = "" if i % 13 == 6 else NAMES[i % len(NAMES)]
        flag = "" if i % 9 == 4 else rng.choice(["True", "False"])
        when = "" if i % 17 == 8 else (f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} "
                                       f"{i % 24:02d}:{(7 * i) % 60:02d}:{(13 * i) % 60:02d}")
        day = f"2023-{1 + (5 * i) % 12:02d}-{1 + (3 * i) % 28:02d}"
        if i % 5 == 0:
            score = ""
        elif i % 23 == 1:
            score = "NaN"
        else:
            score = repr(rng.random() * 10.0 ** rng.randint(-4, 7))
        rows.append([str(i), amount, qty, name, flag, when, day, score])
    return rows


def write_csv(path, rows, header=COLUMNS, newline="\n", final_newline=True, sep=","):
    lines = [sep.join(header)] + [sep.join(quote(f, sep) for f in r) for r in rows]
    text = newline.join(lines) + (newline if final_newline else "")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def pd_read(path_or_text, dates=DATES, **kw):
    """pandas' reading of a CSV, the way Pando reads it: a path, or (when it holds a line
    break) the text of one, our output."""
    src = io.StringIO(path_or_text) if "\n" in path_or_text else path_or_text
    kw.setdefault("float_precision", "round_trip")  # pandas' default parser is not exact
    na = kw.pop("na_values", [])
    # pandas 2's default NA tokens include 'None' (Debian's pandas 1.5 lacks it); Pando's too.
    return pd.read_csv(src, parse_dates=[d for d in dates], na_values=["None"] + na, **kw)


def cell(v):
    """A pandas cell as a plain value: None for null, numbers as float, bools as bool."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, pd.Timestamp):
        return v.value
    return v


class FrameTest(AppTest):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="pando-apptest-frame-")
        cls.rows = main_rows(150)
        # CRLF and no final newline: the hard case.
        cls.main = os.path.join(cls.data, "main.csv")
        write_csv(cls.main, cls.rows, newline="\r\n", final_newline=False)
        # The same rows in three files (LF; one gzipped) for globs.
        parts = os.path.join(cls.data, "parts")
        os.makedirs(parts)
        cls.parts = []
        for k, (a, b) in enumerate([(0, 40), (40, 41), (41, 150)]):
            p = os.path.join(parts, f"part-{k}.csv")
            write_csv(p, cls.rows[a:b])
            cls.parts.append(p)
        with open(cls.parts[1], "rb") as f, gzip.open(cls.parts[1] + ".gz", "wb") as g:
            g.write(f.read())
        cls.ref = pd_read(cls.main)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data, ignore_errors=True)

    # ---- helpers ----

    def run_frame(self, *args, same=True):
        """pando-frame's stdout (it must succeed); at several ranks, also the same as at 1."""
        out = self.ok(FRAME, *args)
        if same:
            self.assertSameAtOneRank(out, FRAME, *args)
        return out

    def assertFramesEqual(self, ours, want, rtol=0.0, msg=None):
        """Same columns, rows, nulls and values (ints and floats compared as numbers)."""
        self.assertEqual([str(c) for c in ours.columns], [str(c) for c in want.columns], msg)
        self.assertEqual(len(ours), len(want), msg)
        for c in want.columns:
            a = [cell(v) for v in ours[c]]
            b = [cell(v) for v in want[c]]
            if rtol and any(isinstance(v, float) for v in b):
                self.assertEqual([v is None for v in a], [v is None for v in b], f"{msg} {c}")
                np.testing.assert_allclose([v for v in a if v is not None],
                                           [v for v in b if v is not None], rtol=rtol,
                                           err_msg=f"{msg} {c}")
            else:
                self.assertEqual(a, b, f"{msg}: column {c}")

    def check(self, args, want, dates=DATES, rtol=0.0, **read):
        """Runs pando-frame MAIN ARGS and compares its output, read by pandas, with `want`."""
        out = self.run_frame(self.main, "--chunk-size", "500", *args)
        ours = pd_read(out, dates=[d for d in dates if d in want.columns], **read)
        self.assertFramesEqual(ours, want, rtol=rtol, msg=" ".join(args))
        return out

    def assertFails(self, *args, message, leaves=()):
        line = self.fails(FRAME, *args, message=message, timeout=60, env=QUICK_EXIT)
        for path in leaves:
            self.assertFalse(os.path.exists(path), f"{path} left behind by {args}")
        self.assertEqual(os.listdir(self.tmp), [], f"files left behind by {args}")
        return line

    # ---- reading ----

    def test_all_rows_text_is_what_pandas_writes(self):
        # Floats shortest, nulls empty, True/False, timestamps and quoting as pandas' to_csv
        # writes them: the same bytes, except that int64 columns with nulls stay integers (as
        # pandas' Int64 writes them).
        want = self.ref.copy()
        want["qty"] = want["qty"].astype("Int64")
        for chunk in ["64", "500", "100000"]:
            with self.subTest(chunk_size=chunk):
                out = self.run_frame(self.main, "--chunk-size", chunk)
                self.assertEqual(out, want.to_csv(index=False))
        # Dates without a time print as dates, as in pandas.
        self.assertIn("\n0,", out)
        self.assertRegex(out.split("\n")[1], r",2023-01-01,")

    def test_globs_gzip_and_several_inputs(self):
        want = self.ref
        glob = os.path.join(self.data, "parts", "part-*.csv")
        self.check_files([glob], want)
        self.check_files([self.parts[0], self.parts[1] + ".gz", self.parts[2]], want)
        # Files in the order given; a file given twice is read twice.
        self.check_files([self.parts[2], self.parts[0]],
                         pd.concat([want.iloc[41:], want.iloc[:40]], ignore_index=True))

    def test_an_existing_path_is_read_as_written(self):
        # Issue 25: a file whose name holds glob characters is read by that name; a name that
        # is no file is a pattern, as before.
        folder = os.path.join(self.data, "literal")
        os.makedirs(folder, exist_ok=True)
        write_csv(os.path.join(folder, "[run]_x.csv"), self.rows[:40])
        write_csv(os.path.join(folder, "a*b.csv"), self.rows[40:60])
        write_csv(os.path.join(folder, "r_x.csv"), self.rows[60:70])  # '[run]_x.csv' as a glob
        write_csv(os.path.join(folder, "aXb.csv"), self.rows[70:80])  # 'a*b.csv' as a glob
        self.check_files([os.path.join(folder, "[run]_x.csv")], self.ref.iloc[:40])
        self.check_files([os.path.join(folder, "a*b.csv")], self.ref.iloc[40:60])
        self.check_files([os.path.join(folder, "[r]_x.csv")], self.ref.iloc[60:70])
        self.check_files([os.path.join(folder, "a?b.csv")],  # a*b.csv, then aXb.csv
                         self.ref.iloc[40:80].drop(index=range(60, 70)))
        self.assertFails(os.path.join(folder, "[z]_x.csv"), message="no files match")
        self.assertIn("exists is read as written", self.app(FRAME, "--help").out)

    def check_files(self, files, want):
        out = self.run_frame(*files, "--chunk-size", "300")
        self.assertFramesEqual(pd_read(out), want, msg=str(files))

    def test_sep_dtype_na_values(self):
        for sep, name in [(";", ";"), ("\t", "tab"), ("|", "|")]:
            with self.subTest(sep=name):
                path = self.path("sep.csv")
                write_csv(path, self.rows[:60], sep=sep)
                out = self.run_frame(path, "--sep", name, "--chunk-size", "200")
                self.assertFramesEqual(pd_read(out), pd_read(path, sep=sep), msg=name)
        # --dtype: read as another type than inferred.
        want = pd_read(self.main, dtype={"id": str, "flag": str, "qty": float},
                       dates=["day"])
        out = self.run_frame(self.main, "--chunk-size", "500", "--dtype", "id=string",
                             "--dtype", "flag=string", "--dtype", "qty=float64",
                             "--dtype", "when=string")
        ours = pd_read(out, dtype={"id": str, "flag": str, "when": str}, dates=["day"])
        self.assertEqual(out.split("\n")[1].split(",")[2], repr(float(self.rows[0][2])))
        self.assertFramesEqual(ours, want)
        # --na-values: more null tokens (a list, or repeated), added to the defaults.
        want = pd_read(self.main, na_values=["alpha", "x y", "0"])
        out = self.run_frame(self.main, "--chunk-size", "500", "--na-values", "alpha,x y",
                             "--na-values", "0")
        self.assertFramesEqual(pd_read(out), want)

    def test_bad_lines(self):
        path = self.path("ragged.csv")
        lines = ["a,b,c"] + [f"{i},{i * 2},x{i}" for i in range(60)]
        for bad in [7, 30, 31, 59]:
            lines[bad] += ",extra"
        lines[45] = '"quoted, with comma",1,"two\nlines"'
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        want = pd.read_csv(path, on_bad_lines="skip")
        for mode in ["skip", "warn"]:
            with self.subTest(mode=mode):
                r = self.app(FRAME, path, "--on-bad-lines", mode, "--chunk-size", "64")
                self.assertEqual(r.code, 0, r)
                self.assertFramesEqual(pd_read(r.out, dates=[]), want)
                if mode == "skip":
                    self.assertEqual(r.err, "")
                else:
                    self.assertIn("4 bad lines", r.err)
                    self.assertIn("ragged.csv:8:", r.err)
        # error (the default): the first bad line, where it is, and what to do.
        for args in [["--chunk-size", "64"], ["--on-bad-lines", "error"]]:
            line = self.fails(FRAME, path, *args, env=QUICK_EXIT, message=f"{path}:8:")
            self.assertIn("too many fields (expected 3, found 4)", line)
            self.assertIn("--on-bad-lines skip", line)

    def test_tricky_csv_corpus(self):
        # Every file of tests/data/csv, in ranges of 16 bytes, vs pandas reading the same file
        # (with the options of its .expected that the app has); error cases give the error
        # of the .expected, with the same line and column.
        checked = 0
        for name in sorted(os.listdir(CORPUS)):
            if not name.endswith(".csv"):
                continue
            with self.subTest(file=name):
                checked += self.check_corpus_file(name)
        self.assertGreaterEqual(checked, 40)

    def check_corpus_file(self, name):
        path = os.path.join(CORPUS, name)
        with open(path[:-4] + ".expected", encoding="utf-8") as f:
            expected = f.read().split("\n")
        opts = {}
        if expected[0].startswith("options:"):
            opts = dict(kv.split("=", 1) for kv in expected[0][len("options:"):].split())
            expected = expected[1:]
        # Options the app does not have (or whose result depends on a small inference sample).
        if set(opts) & {"escape", "quote", "header", "widening", "na_values"}:
            return 0
        if name in DIFFERENT_FROM_PANDAS:
            return 0
        if "sample_bytes" in opts and expected[0].startswith("error:"):
            return 0
        args, kw = [], {}
        if "delimiter" in opts:
            sep = "\t" if opts["delimiter"] == "tab" else opts["delimiter"]
            args += ["--sep", opts["delimiter"]]
            kw["sep"] = sep
        if "na_values+" in opts:
            args += ["--na-values", opts["na_values+"].replace("|", ",")]
            kw["na_values"] = opts["na_values+"].split("|")
        if "on_bad_lines" in opts:
            args += ["--on-bad-lines", opts["on_bad_lines"]]
            kw["on_bad_lines"] = "skip"
        if "dtype" in opts:
            for item in opts["dtype"].split("|"):
                args += ["--dtype", item.replace(":", "=")]
        if "usecols" in opts:
            args += ["--select", opts["usecols"].replace("|", ",")]
            kw["usecols"] = opts["usecols"].split("|")
        if expected[0].startswith("error: "):
            message = expected[0][len("error: "):].replace(name, path, 1)
            line = self.fails(FRAME, path, "--chunk-size", "16", *args, env=QUICK_EXIT)
            self.assertEqual(line, "pando-frame: error: " + message)
            return 1
        dates = [json_name for json_name, t in
                 re.findall(r'"((?:[^"\\]|\\.)*)":(\w+)', expected[0]) if t == "timestamp"]
        out = self.run_frame(path, "--chunk-size", "16", *args, same=False)
        if RANKS == 1:  # at more ranks, pandas is the reference
            self.assertEqual(self.ok(FRAME, path, *args), out, "ranges of 16 bytes vs one range")
        want = pd_read(path, dates=dates, **kw)
        ours = pd_read(out, dates=dates)
        self.assertFramesEqual(ours, want, msg=name)
        return 1

    # ---- transforming ----

    def test_assign(self):
        d = self.ref.copy()
        flag = d["flag"].map(lambda v: v is True)
        want = d.copy()
        want["total"] = d["amount"] * d["qty"]
        want["unit"] = d["amount"] / d["qty"]  # x/0 is inf, 0/0 NaN (null)
        want["rest"] = d["id"] % 7 - 2 ** 3
        want["neg"] = -d["amount"] + 1.5e2
        want["big"] = (d["amount"] > 100) & flag
        want["nlen"] = d["name"].str.len()
        want["has_comma"] = d["name"].str.contains(",", regex=False).fillna(False).astype(bool)
        want["month"] = d["when"].dt.month
        want["kind"] = np.where(flag, "yes", d["name"])
        want.loc[~flag & d["name"].isna(), "kind"] = None
        want["filled"] = d["amount"].fillna(0)
        want["missing"] = d["qty"].isna()
        want["total"] = want["total"] + 1  # replaced, in order
        out = self.check(["--assign", "total=amount * qty", "--assign", "unit = amount / qty",
                          "--assign", "rest=id % 7 - 2 ** 3", "--assign", "neg=-amount + 1.5e2",
                          "--assign", "big=amount > 100 and flag",
                          "--assign", "nlen=len(name)",
                          "--assign", "has_comma=contains(name, ',')",
                          "--assign", "month=month(when)",
                          "--assign", "kind=where(flag, 'yes', name)",
                          "--assign", "filled=fillna(amount, 0)",
                          "--assign", "missing=isna(qty)",
                          "--assign", "total=total + 1"], want, rtol=1e-15)
        self.assertIn("inf", out)

    def test_fillna(self):
        d = self.ref.copy()
        want = d.copy()
        want["amount"] = d["amount"].fillna(-1.5)
        want["qty"] = d["qty"].fillna(0)
        want["name"] = d["name"].fillna("n/a, unknown")
        want["flag"] = d["flag"].fillna(False)
        want["when"] = d["when"].fillna(pd.Timestamp("2000-01-02 03:04:05"))
        want["score"] = d["score"].fillna(0.25)
        out = self.check(["--fillna", "amount=-1.5", "--fillna", "qty=0",
                          "--fillna", "name=n/a, unknown", "--fillna", "flag=False",
                          "--fillna", "when=2000-01-02 03:04:05", "--fillna", "score = 0.25"],
                         want)
        # A filled int column has no nulls left: it prints as ints.
        self.assertEqual(pd_read(out)["qty"].dtype, np.int64)
        # Filled before --where sees the column; a quoted timestamp works too.
        want = d[d["amount"].fillna(-1.5) < 0].copy()
        want["amount"] = want["amount"].fillna(-1.5)
        want["when"] = want["when"].fillna(pd.Timestamp("2001-01-01"))
        self.check(["--fillna", "amount=-1.5", "--fillna", "when='2001-01-01'",
                    "--where", "amount < 0"], want.reset_index(drop=True))

    def test_where(self):
        d = self.ref
        flag = d["flag"].map(lambda v: v is True)
        cases = [
            ("amount > 100 and flag", (d["amount"] > 100) & flag),
            ("not flag", ~flag),  # null reads as false
            ("qty != 3", d["qty"] != 3),  # null != 3 is true
            ("name == 'b,eta' or name == 'line\nbreak'", d["name"].isin(["b,eta", "line\nbreak"])),
            ("when >= '2024-06-01' and when < '2024-09-01 12:00'",
             (d["when"] >= "2024-06-01") & (d["when"] < "2024-09-01 12:00")),
            ("isna(amount) or qty < 3", d["amount"].isna() | (d["qty"] < 3)),
            ("between(qty, 2, 5) and isin(id % 4, 0, 1)",
             d["qty"].between(2, 5) & (d["id"] % 4).isin([0, 1])),
            ("startswith(name, 'ga') or endswith(name, 'ta') or contains(name, '日本')",
             d["name"].str.startswith("ga").fillna(False) | d["name"].str.endswith("ta").fillna(False)
             | d["name"].str.contains("日本").fillna(False)),
            ("id < 0", d["id"] < 0),
            ("(amount * 2 > score) == (flag or isna(score))",
             (d["amount"] * 2 > d["score"]) == (flag | d["score"].isna())),
        ]
        for text, mask in cases:
            with self.subTest(where=text):
                self.check(["--where", text], d[mask.astype(bool)].reset_index(drop=True))

    def test_string_expressions_over_a_dictionary_encoded_column(self):
        # One partition of 150 rows holds 14 names: read dictionary-encoded, and expressions
        # over it alone run once per distinct name. The results are those of the plain read.
        d = self.ref
        name = d["name"]
        cases = [
            (["--where", "name == 'b,eta' or isna(name)"],
             d[(name == "b,eta") | name.isna()]),
            (["--where", "contains(name, 'a') and len(name) > 4"],
             d[name.str.contains("a").fillna(False) & (name.str.len() > 4).fillna(False)]),
            (["--assign", "shout=upper(name)", "--select", "id,shout"],
             pd.DataFrame({"id": d["id"], "shout": name.map(
                 lambda v: v if not isinstance(v, str) else
                 "".join(c.upper() if "a" <= c <= "z" else c for c in v))})),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                out = self.run_frame(self.main, "--chunk-size", "100000", *args)
                ours = pd_read(out, dates=[c for c in DATES if c in want.columns])
                self.assertFramesEqual(ours, want.reset_index(drop=True), msg=" ".join(args))

    def test_select_and_head(self):
        d = self.ref
        self.check(["--select", "name,id,when"], d[["name", "id", "when"]])
        self.check(["--select", "score"], d[["score"]])
        for n in [0, 1, 7, 149, 150, 1000]:
            with self.subTest(head=n):
                out = self.check(["--head", str(n)], d.head(n))
                if n == 0:
                    self.assertEqual(out, ",".join(COLUMNS) + "\n")
        # The whole pipeline, in its order: assign, fillna, where, select, then head.
        want = d.assign(total=d["amount"] * d["qty"])
        want["total"] = want["total"].fillna(0)
        want = want[want["total"] >= 0][["total", "name"]].head(12).reset_index(drop=True)
        self.check(["--head", "12", "--select", "total,name", "--where", "total >= 0",
                    "--fillna", "total=0", "--assign", "total=amount * qty"], want)

    # ---- outputs ----

    def test_agg(self):
        d = self.ref
        specs = ["amount:sum", "amount:mean", "amount:std", "amount:var", "amount:min",
                 "amount:max", "amount:count", "qty:sum", "qty:mean", "qty:min", "qty:max",
                 "qty:count", "id:std", "score:mean", "score:max", "name:count", "flag:count",
                 "flag:sum", "flag:mean",
                 "when:count", "when:min", "when:max", "day:max",
                 "amount:median", "qty:median", "score:q90", "amount:q0", "amount:q100",
                 "qty:q33.3"]
        out = self.run_frame(self.main, "--chunk-size", "500", "--agg", ",".join(specs))
        ours = pd_read(out, dates=["when_min", "when_max", "day_max"])
        self.assertEqual(list(ours.columns), [s.replace(":", "_") for s in specs])
        self.assertEqual(len(ours), 1)
        for s in specs:
            col, func = s.split(":")
            if func.startswith("q"):
                want = d[col].quantile(float(func[1:]) / 100)
            else:
                want = d[col].agg(func)
            got = ours[s.replace(":", "_")][0]
            if isinstance(want, pd.Timestamp) or func in ("count", "min", "max"):
                self.assertEqual(got, want, s)
            else:
                np.testing.assert_allclose(got, want, rtol=1e-13, err_msg=s)
        # ddof, and after a filter.
        for ddof in [0, 2]:
            out = self.run_frame(self.main, "--chunk-size", "500", "--where", "flag",
                                 "--agg", "amount:std,qty:var", "--ddof", str(ddof))
            sub = d[d["flag"].map(lambda v: v is True)]
            got = pd_read(out, dates=[])
            np.testing.assert_allclose(got["amount_std"][0], sub["amount"].std(ddof=ddof),
                                       rtol=1e-13)
            np.testing.assert_allclose(got["qty_var"][0], sub["qty"].var(ddof=ddof), rtol=1e-13)

    def test_reads_only_the_columns_it_uses(self):
        # --agg and --select push their columns down to the reader (pandas' usecols): a bad value
        # in a column the pipeline never uses is not read, while one it uses is still reported.
        path = os.path.join(self.data, "unused.csv")
        with open(path, "w") as f:
            f.write("n,s,x\n" + "".join(f"{i},s{i},{i}.5\n" for i in range(9000)) + "oops,t,1\n")
        want = pd.read_csv(path, usecols=["s", "x"])
        got = pd_read(self.run_frame(path, "--chunk-size", "4000", "--assign", "n=x * 2",
                                     "--where", "n > 10", "--agg", "s:count,n:sum"), dates=[])
        kept = want[want["x"] * 2 > 10]
        self.assertEqual(got["s_count"][0], kept["s"].count())
        self.assertEqual(got["n_sum"][0], (kept["x"] * 2).sum())
        self.assertFails(path, "--select", "n,s", "--head", "1", message=f"{path}:9002:1")
        # An unknown name: the read falls back to every column, which the message lists.
        line = self.assertFails(self.main, "--agg", "id:count,nope:sum", message="'nope'")
        self.assertIn("'when'", line)

    def test_a_float_after_the_sample_names_the_dtype_that_reads_it(self):
        # Types come from the first 64 KiB (the files stream, so a later partition cannot change
        # them): a float far down an int column stops the job, and the --dtype it names reads it.
        path = os.path.join(self.data, "late_float.csv")
        with open(path, "w") as f:
            f.write("n,s\n" + "".join(f"{i},x{i}\n" for i in range(9000)) + "2.5,y\n")
        line = self.assertFails(path, "--chunk-size", "20000", "--agg", "n:sum",
                                message=f"{path}:9002:1")
        self.assertIn("cannot read \"2.5\" as int64 (column 'n', inferred from the first 65536 "
                      "bytes); hint: --dtype n=float64", line)
        got = pd_read(self.run_frame(path, "--chunk-size", "20000", "--dtype", "n=float64",
                                     "--agg", "n:sum"), dates=[])
        self.assertEqual(got["n_sum"][0], pd.read_csv(path)["n"].sum())

    def test_pando_options_on_the_command_line(self):
        # --pando-log goes to the library (as PANDO_LOG), not to the app's own options.
        r = self.app(FRAME, self.main, "--pando-log=info", "--agg", "id:count")
        self.assertEqual(r.code, 0, r)
        self.assertIn("info: read:", r.err)

    def test_agg_keep_na(self):
        d = self.ref
        specs = ["amount:sum", "amount:count", "amount:max", "id:sum", "id:mean", "name:min"]
        # pandas cannot take min(skipna=False) of strings with nulls (it compares str with
        # NaN); a null answer is what its numbers give.
        reference = {"name:min": np.nan if d["name"].isna().any() else d["name"].min()}
        out = self.run_frame(self.main, "--chunk-size", "500", "--keep-na",
                             "--agg", ",".join(specs))
        ours = pd_read(out, dates=[])
        for s in specs:
            col, func = s.split(":")
            want = reference.get(s) if s in reference else (
                d[col].agg(func, skipna=False) if func != "count" else d[col].count())
            got = ours[s.replace(":", "_")][0]
            if pd.isna(want):
                self.assertTrue(pd.isna(got), f"{s}: {got!r}, pandas NaN")
            elif func in ("count", "min", "max"):
                self.assertEqual(got, want, s)
            else:
                np.testing.assert_allclose(got, want, rtol=1e-13, err_msg=s)

    def test_describe(self):
        d = self.ref.assign(total=self.ref["amount"] * self.ref["qty"])
        for chunk in ["64", "100000"]:
            out = self.run_frame(self.main, "--chunk-size", chunk, "--assign",
                                 "total=amount * qty", "--describe")
            ours = pd.read_csv(io.StringIO(out), index_col=0, float_precision="round_trip")
            want = d.describe()
            self.assertEqual(ours.index.name, "statistic")
            self.assertEqual(list(ours.index), list(want.index))
            self.assertEqual(list(ours.columns), list(want.columns))
            np.testing.assert_allclose(ours.to_numpy(), want.to_numpy(), rtol=1e-12)
            # count, min, max and the quartiles (exact selection + interpolation) exactly.
            rows = ["count", "min", "25%", "50%", "75%", "max"]
            np.testing.assert_array_equal(ours.loc[rows].to_numpy(), want.loc[rows].to_numpy())
        # ddof; a filtered frame with few rows (quartiles between two values, one row, none).
        out = self.run_frame(self.main, "--chunk-size", "64", "--describe", "--ddof", "0")
        ours = pd.read_csv(io.StringIO(out), index_col=0)
        np.testing.assert_allclose(ours.loc["std"].to_numpy(),
                                   self.ref.describe().columns.map(
                                       lambda c: self.ref[c].std(ddof=0)).to_numpy(), rtol=1e-12)
        for where in ["id < 6", "id == 17", "id < 0", "qty == 3 or qty == 4"]:
            with self.subTest(where=where):
                out = self.run_frame(self.main, "--chunk-size", "64", "--where", where,
                                     "--describe")
                ours = pd.read_csv(io.StringIO(out), index_col=0)
                sub = self.ref.query(where.replace("==", "==").replace(" or ", " | "))
                want = sub.describe()
                np.testing.assert_allclose(ours.to_numpy(), want.to_numpy(), rtol=1e-12,
                                           equal_nan=True)

    def test_nulls(self):
        out = self.run_frame(self.main, "--chunk-size", "64", "--nulls")
        want = self.ref.isna().sum()
        self.assertEqual(out, "column,nulls\n" + "".join(f"{c},{n}\n" for c, n in want.items()))
        # After the transformations.
        out = self.run_frame(self.main, "--chunk-size", "64", "--fillna", "qty=1",
                             "--where", "id > 20", "--select", "qty,amount,name", "--nulls")
        sub = self.ref[self.ref["id"] > 20]
        self.assertEqual(out, "column,nulls\nqty,0\namount,{}\nname,{}\n".format(
            sub["amount"].isna().sum(), sub["name"].isna().sum()))

    def test_out(self):
        cases = [
            [],  # every row: written in parallel, at offsets
            ["--where", "flag", "--select", "name,amount"],
            ["--head", "9"],
            ["--agg", "amount:sum,name:count"],
            ["--describe"],
            ["--nulls"],
        ]
        for k, args in enumerate(cases):
            with self.subTest(args=args):
                stdout = self.ok(FRAME, self.main, "--chunk-size", "300", *args)
                path = self.path(f"out-{k}.csv")
                self.assertEqual(self.ok(FRAME, self.main, "--chunk-size", "300", *args,
                                         "--out", path), "")
                with open(path, encoding="utf-8", newline="") as f:
                    self.assertEqual(f.read(), stdout)
                self.assertFramesEqual(pd_read(path, dates=[c for c in DATES if c in stdout.split("\n")[0]]),
                                       pd_read(stdout, dates=[c for c in DATES if c in stdout.split("\n")[0]]))
        self.assertEqual(sorted(os.listdir(self.tmp)), [f"out-{k}.csv" for k in range(len(cases))])
        # An existing file is replaced.
        path = self.path("out-0.csv")
        self.ok(FRAME, self.main, "--head", "1", "--out", path)
        self.assertEqual(len(pd.read_csv(path)), 1)

    def test_help(self):
        r = self.app(FRAME, "--help")
        self.assertEqual(r.code, 0, r)
        for word in ["--assign", "--fillna", "--where", "--select", "--head", "--agg",
                     "--describe", "--nulls", "--sep", "--dtype", "--na-values",
                     "--on-bad-lines", "--chunk-size", "--out", "--ddof", "Examples"]:
            self.assertIn(word, r.out)
        self.assertEqual(r.err, "")

    # ---- bad input ----

    def test_bad_input(self):
        m = self.main
        out = self.path("out.csv")
        inputs = os.path.join(self.data, "bad")
        os.makedirs(inputs, exist_ok=True)
        late = os.path.join(inputs, "late.csv")
        # An int column with a non-number long after the inference sample.
        with open(late, "w") as f:
            f.write("n,s\n" + "".join(f"{i},x{i}\n" for i in range(9000)) + "oops,y\n7,z\n")
        ragged = os.path.join(inputs, "ragged.csv")
        with open(ragged, "w") as f:
            f.write("a,b\n1,2\n3,4,5\n")
        unterminated = os.path.join(inputs, "open.csv")
        with open(unterminated, "w") as f:
            f.write('a,b\n1,"x\n2,y\n')
        empty = os.path.join(inputs, "empty.csv")
        open(empty, "w").close()
        other = os.path.join(inputs, "other.csv")
        with open(other, "w") as f:
            f.write("x,y\n1,2\n")
        cases = [
            ([self.path("missing.csv")], "missing.csv"),
            ([self.path("nothing-*.csv")], "no files match"),
            ([m, other], "header"),
            ([empty], "empty"),
            ([late, "--chunk-size", "20000"], f"{late}:9002:1"),
            ([late], "--dtype n=string"),
            ([ragged], f"{ragged}:3:"),
            ([unterminated, "--chunk-size", "8"], f"{unterminated}:2:3"),
            ([m, "--select", "id,nope"], "'nope'"),
            ([m, "--where", "amount >"], "--where:1:9"),
            ([m, "--where", "amount > 1 and (qty"], "--where:1:"),
            ([m, "--where", "amount + 1"], "true or false"),
            ([m, "--where", "nope > 1"], "'nope'"),
            ([m, "--assign", "x=amount + name"], "'name'"),
            ([m, "--assign", "x=amount +* 2"], "--assign:1:"),
            ([m, "--assign", "x"], "NAME=EXPR"),
            ([m, "--assign", "x=foo(amount)"], "foo"),
            ([m, "--agg", "name:sum"], "'name'"),
            ([m, "--agg", "amount:mode"], "mode"),
            ([m, "--agg", "amount:q120"], "between 0 and 100"),
            ([m, "--agg", "name:median"], "'name'"),
            ([m, "--agg", "amount"], "COL:FUNC"),
            ([m, "--agg", "nope:sum"], "'nope'"),
            ([m, "--fillna", "nope=1"], "'nope'"),
            ([m, "--fillna", "amount"], "COL=VALUE"),
            ([m, "--dtype", "id=complex"], "complex"),
            ([m, "--dtype", "id=uint64"], "uint64"),
            ([m, "--dtype", "nope=int64"], "'nope'"),
            ([m, "--dtype", "name=int64"], "cannot read"),
            ([m, "--dtype", "id"], "COL=TYPE"),
            ([m, "--sep", "ab"], "--sep"),
            ([m, "--on-bad-lines", "maybe"], "--on-bad-lines"),
            ([m, "--chunk-size", "0"], "--chunk-size"),
            ([m, "--chunk-size", "lots"], "--chunk-size"),
            ([m, "--head", "-1"], "--head"),
            ([m, "--nulls", "--describe"], "one of"),
            ([m, "--ddof", "x"], "--ddof"),
            ([m, "--pando-log=loud", "--nulls"], "unknown log level 'loud'"),
            ([m, "--describe", "--select", "name"], "numeric"),
            ([m, "--out", self.path("no", "such", "dir.csv")], "dir.csv"),
            ([], "INPUT"),
        ]
        # With --out too where the failure comes while reading or computing (usage errors come
        # before anything is made).
        late_failures = {late, ragged, unterminated, empty, other}
        usage = {"NAME=EXPR", "COL:FUNC", "COL=VALUE", "COL=TYPE", "--sep", "--on-bad-lines",
                 "--chunk-size", "--head", "one of", "--ddof", "INPUT", "unknown log level 'loud'", "complex", "--where:1:9",
                 "--where:1:", "--assign:1:", "uint64"}
        for args, message in self.usage_cases(cases, usage):
            for extra in ([], ["--out", out]):
                if extra and not (set(args) & late_failures or message in ("'nope'", "'name'")):
                    continue
                with self.subTest(args=args + extra):
                    line = self.assertFails(*args, *extra, message=message, leaves=[out])
                    if os.environ.get("PANDO_SHOW_ERRORS"):
                        print(line)

    def test_a_malformed_sample_is_reported_as_what_it_is(self):
        # Issue 25: the types are inferred from a sample read with the parser's rules; a sample
        # it cannot read is the parser's error (file, line, column), even where a type check
        # (a sum over a column guessed to hold strings) would come before any row is parsed.
        inputs = os.path.join(self.data, "malformed")
        os.makedirs(inputs, exist_ok=True)
        open_quote = os.path.join(inputs, "open.csv")
        with open(open_quote, "w") as f:
            f.write('a,b\n1,"unterminated\n2,3\n')
        extra = os.path.join(inputs, "extra.csv")
        with open(extra, "w") as f:
            f.write("a,b\n1,2,3\n")
        unterminated = (f"pando-frame: error: {open_quote}:2:3: unterminated quoted field: the "
                        "quote opened here is not closed before the end of the file")
        too_many = (f"pando-frame: error: {extra}:2:5: too many fields (expected 2, found 3); "
                    "hint: --on-bad-lines skip or --on-bad-lines warn")
        for args, want in [([open_quote, "--agg", "a:sum"], unterminated),
                           ([open_quote, "--describe"], unterminated),
                           ([open_quote], unterminated),
                           ([extra, "--agg", "a:sum"], too_many)]:
            with self.subTest(args=args):
                self.assertEqual(self.assertFails(*args, message=want), want)
        # The 64 KiB sample may end inside a quoted field: no error when the file goes on and the
        # quote closes; the parser's own error, at its line and column, when it never does.
        n = 0
        rows = ""
        while 4 + len(rows) < 65536 - 40:  # rows up to just before the end of the sample
            rows += f"{n},x\n"
            n += 1
        quoted = '7,"a quoted field, with a line break\n' + "z" * 80 + '"\n'  # across the cut
        more = "".join(f"{i},y\n" for i in range(100))
        cut = os.path.join(inputs, "cut.csv")
        with open(cut, "w") as f:
            f.write("a,b\n" + rows + quoted + more)
        total = sum(range(n)) + 7 + sum(range(100))
        self.assertEqual(self.run_frame(cut, "--agg", "a:sum"), f"a_sum\n{total}\n")
        never = os.path.join(inputs, "never.csv")
        with open(never, "w") as f:
            f.write("a,b\n" + rows + quoted.replace('"\n', "\n") + more)
        self.assertFails(never, "--agg", "a:sum", message=f"{never}:{n + 2}:3: unterminated")

    def test_type_errors_name_the_columns(self):
        # `amount + flag` is arithmetic on a bool: True counts as 1 (NumPy and pandas do so);
        # a string in arithmetic or a number in and/or is an error naming both sides.
        line = self.assertFails(self.main, "--assign", "x=amount + name", message="'amount'")
        self.assertIn("string 'name'", line)
        self.assertFails(self.main, "--where", "flag and qty", message="'qty'")
        self.assertFails(self.main, "--where", "name > 3", message="'name'")


if __name__ == "__main__":
    main()
