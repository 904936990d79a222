"""pando-array end to end: every subcommand and option against NumPy / h5py, the same output
at PANDO_TEST_RANKS ranks as at 1, and bad input (one line on stderr, non-zero exit, nothing
left behind).

The datasets are small and awkward (prime sizes, chunks that do not divide the shape, 1 element,
float32/int32/int64, a contiguous one); --chunks cuts them into many blocks so that every rank
count runs the parallel paths.
"""
import csv
import io
import os
import shutil
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apptest import RANKS, AppTest, main  # noqa: E402

ARRAY = "pando-array"
OPS = ["sum", "prod", "mean", "var", "std", "min", "max"]
# mpirun waits odls_base_sigkill_timeout (1 s, 2 s in practice) after a rank exits with an error
# before it exits itself: 0 keeps the many failing runs quick.
QUICK_EXIT = {"OMPI_MCA_odls_base_sigkill_timeout": "0"}


def make_data(path):
    """The test datasets, and their values as NumPy arrays."""
    rng = np.random.default_rng(20240611)
    d = {
        "x": rng.standard_normal((13, 7)),
        "sq": rng.standard_normal((11, 11)),
        "pos": rng.uniform(0.5, 3.0, (13, 7)),
        "row": rng.standard_normal((1, 7)),
        "col": rng.standard_normal((13, 1)),
        "vec7": rng.standard_normal(7),
        "f32": rng.standard_normal((17, 3)).astype(np.float32),
        "i64": rng.integers(-1000, 1000, (11, 5), dtype=np.int64),
        "i32": rng.integers(-50, 50, (19, 4), dtype=np.int32),
        "i17": rng.integers(-50, 50, (17, 3), dtype=np.int32),
        "one": np.array([[3.25]]),
        "v": rng.standard_normal(29),
        "cube": rng.standard_normal((4, 5, 3)),
        "contig": rng.standard_normal((23, 6)),
        "small": rng.uniform(0.9, 1.1, (13, 7)),  # a product that stays finite
    }
    chunks = {"x": (5, 3), "sq": (4, 3), "pos": (5, 3), "row": (1, 3), "col": (5, 1),
              "vec7": (3,), "f32": (4, 2), "i64": (4, 2), "i32": (5, 3), "i17": (4, 2), "one": (1, 1),
              "v": (7,), "cube": (3, 2, 2), "contig": None, "small": (5, 3)}
    with h5py.File(path, "w") as f:
        for name, values in d.items():
            ds = f.create_dataset(name, data=values, chunks=chunks[name])
            if name == "x":
                ds.attrs["units"] = "metres"
                ds.attrs["scale"] = 2.5
                ds.attrs["count"] = np.int64(7)
                ds.attrs["axes"] = np.array([1.0, 2.0, 3.0])
        f.create_group("grp")
        f.create_dataset("grp/inner", data=np.arange(10.0), chunks=(3,))
    d["grp/inner"] = np.arange(10.0)
    return d


INT_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def make_int_data(path):
    """One 9 x 5 dataset per integer type, named after it: odd values over the type's whole
    range (products wrap without collapsing to 0) with its min and max, and values above 2**63
    for uint64; then float16 and compound datasets, which Pando does not read, and strings,
    which arrays do not hold."""
    d = {}
    with h5py.File(path, "w") as f:
        for k, name in enumerate(INT_TYPES):
            t = np.dtype(name).type
            info = np.iinfo(t)
            v = np.random.default_rng(77 + k).integers(info.min, info.max, (9, 5), dtype=t,
                                                       endpoint=True) | t(1)
            v[0, 0], v[1, 1], v[2, 2] = info.max, info.min, 1
            if t == np.uint64:
                v[3, 3], v[4, 4] = 2**63, 2**63 + 5
            f.create_dataset(name, data=v, chunks=(4, 2))
            d[name] = v
        f.create_dataset("f16", data=np.arange(6, dtype=np.float16))
        f.create_dataset("pairs", data=np.zeros(3, dtype=[("x", "<f8"), ("y", "<i4")]))
        f.create_dataset("words", data=np.array([b"ab", b"cd"]))
    return d


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def reduce_ref(a, op, axis=None, ddof=0):
    if op in ("var", "std"):
        return getattr(np, op)(a, axis=axis, ddof=ddof)
    return getattr(np, op)(a, axis=axis)


class ArrayTest(AppTest):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="pando-apptest-array-")
        cls.h5 = os.path.join(cls.data_dir, "in.h5")
        cls.d = make_data(cls.h5)
        cls.ints_h5 = os.path.join(cls.data_dir, "ints.h5")
        cls.ints = make_int_data(cls.ints_h5)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def ref(self, name):
        return f"{self.h5}:/{name}"

    # ---- helpers ----

    def reduce_rows(self, out):
        """{op text: value or [values]} from reduce's CSV."""
        r = rows(out)
        header, body = r[0], r[1:]
        got = {}
        if header == ["op", "value"]:
            for op, v in body:
                got[op] = float(v)
            return got
        self.assertEqual(header, ["op", "index", "value"])
        for op, index, v in body:
            if index == "":
                got[op] = float(v)
            else:
                got.setdefault(op, []).append((int(index), float(v)))
        for op, vs in got.items():
            if isinstance(vs, list):
                self.assertEqual([i for i, _ in vs], list(range(len(vs))), op)
                got[op] = np.array([v for _, v in vs])
        return got

    def matrix(self, out):
        """A result matrix (header = column numbers) or vector (index,value) as NumPy."""
        r = rows(out)
        if r[0] == ["index", "value"]:
            return np.array([float(v) for _, v in r[1:]])
        if r[0] == ["value"]:
            return np.array(float(r[1][0]))
        self.assertEqual(r[0], [str(j) for j in range(len(r[0]))])
        return np.array([[float(v) for v in row] for row in r[1:]])

    def assertClose(self, got, want, rtol=1e-12, atol=1e-12, msg=None):
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        self.assertEqual(got.shape, want.shape, msg)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=str(msg or ""))

    def same_at_one_rank(self, out, *args):
        """At more than one rank: the output is the same text as at 1 rank."""
        self.assertSameAtOneRank(out, ARRAY, *args)

    # ---- reduce ----

    def test_reduce_every_op_in_one_pass(self):
        # Every op, scalar and along both axes (and a negative axis), with awkward read blocks.
        for name, chunks, rtol in [("x", "4,3", 1e-12), ("x", None, 1e-12), ("small", "3,2", 1e-12),
                                   ("contig", "5,4", 1e-12), ("f32", "5,2", 2e-6)]:
            with self.subTest(name=name, chunks=chunks):
                a = self.d[name]
                args = ["reduce", self.ref(name)]
                for op in OPS:
                    if name != "small" and op == "prod":
                        continue
                    args += ["--op", op, "--op", f"{op}:0", "--op", f"{op}:1"]
                args += ["--op", "mean:-1"]
                if chunks:
                    args += ["--chunks", chunks]
                out = self.ok(ARRAY, *args)
                got = self.reduce_rows(out)
                for op in OPS:
                    if name != "small" and op == "prod":
                        continue
                    exact = op in ("min", "max")
                    tol = 0 if exact else rtol
                    for key, axis in [(op, None), (f"{op}:0", 0), (f"{op}:1", 1)]:
                        value = got[key]
                        if exact:  # printed in the dataset's type: read back in it
                            value = np.asarray(value).astype(a.dtype)
                        self.assertClose(value, reduce_ref(a, op, axis), rtol=tol, atol=tol,
                                         msg=key)
                self.assertClose(got["mean:-1"], a.mean(axis=-1), rtol=rtol, atol=rtol)
                # Ops in the order given.
                self.assertEqual([r[0] for r in rows(out)[1:]][:1], ["sum"])
                self.same_at_one_rank(out, *args)

    def test_reduce_integers_exact(self):
        for name in ["i64", "i32"]:
            with self.subTest(name=name):
                a = self.d[name]
                args = ["reduce", self.ref(name), "--chunks", "4,3"]
                for op in ["sum", "prod", "min", "max", "mean", "var"]:
                    args += ["--op", op, "--op", f"{op}:0", "--op", f"{op}:1"]
                out = self.ok(ARRAY, *args)
                r = rows(out)[1:]
                text = {}
                for op, index, v in r:
                    text.setdefault(op, []).append(v)
                # Integer results print as integers, exactly as NumPy computes them (products
                # wrap around in int64 as in NumPy).
                for op in ["sum", "prod", "min", "max"]:
                    for axis in [None, 0, 1]:
                        key = op if axis is None else f"{op}:{axis}"
                        want = np.atleast_1d(reduce_ref(a, op, axis))
                        if op in ("sum", "prod"):
                            want = want.astype(np.int64)
                        self.assertEqual(text[key], [str(int(w)) for w in want], key)
                got = self.reduce_rows(out)
                for op in ["mean", "var"]:
                    for axis in [None, 0, 1]:
                        key = op if axis is None else f"{op}:{axis}"
                        self.assertClose(got[key], reduce_ref(a, op, axis), rtol=1e-13, msg=key)
                self.same_at_one_rank(out, *args)

    def test_reduce_shapes(self):
        # 1-D (an axis reduction of a vector is a scalar row), 3-D, one element, a dataset in
        # a group.
        v = self.d["v"]
        out = self.ok(ARRAY, "reduce", self.ref("v"), "--op", "sum:0", "--op", "max",
                      "--op", "std", "--chunks", "6")
        got = self.reduce_rows(out)
        self.assertClose(got["sum:0"], v.sum())
        self.assertEqual(got["max"], v.max())
        self.assertClose(got["std"], v.std())
        self.assertEqual(rows(out)[1][:2], ["sum:0", ""])

        cube = self.d["cube"]
        args = ["reduce", self.ref("cube"), "--op", "mean", "--op", "sum:0", "--op", "max:2",
                "--op", "var:1", "--chunks", "3,2,2"]
        out = self.ok(ARRAY, *args)
        got = self.reduce_rows(out)
        self.assertClose(got["mean"], cube.mean())
        # Index: the row-major position in the result.
        self.assertClose(got["sum:0"], cube.sum(axis=0).ravel())
        self.assertClose(got["max:2"], cube.max(axis=2).ravel(), rtol=0, atol=0)
        self.assertClose(got["var:1"], cube.var(axis=1).ravel())
        self.same_at_one_rank(out, *args)

        out = self.ok(ARRAY, "reduce", self.ref("one"), *sum([["--op", o] for o in OPS], []))
        self.assertEqual(rows(out), [["op", "value"]] + [[o, v] for o, v in zip(
            OPS, ["3.25", "3.25", "3.25", "0.0", "0.0", "3.25", "3.25"])])

        out = self.ok(ARRAY, "reduce", self.ref("grp/inner"), "--op", "sum")
        self.assertEqual(rows(out), [["op", "value"], ["sum", "45.0"]])

    def test_reduce_text_is_shortest_round_trip(self):
        # Floats print in the shortest form that reads back to the same double (repr).
        a = self.d["x"]
        out = self.ok(ARRAY, "reduce", self.ref("x"), "--op", "min:0", "--op", "max")
        r = rows(out)[1:]
        self.assertEqual([v for _, _, v in r[:-1]], [repr(float(m)) for m in a.min(axis=0)])
        self.assertEqual(r[-1], ["max", "", repr(float(a.max()))])
        # float32 as NumPy prints float32.
        f = self.d["f32"]
        out = self.ok(ARRAY, "reduce", self.ref("f32"), "--op", "min", "--op", "max:1")
        r = rows(out)[1:]
        self.assertEqual(r[0], ["min", "", str(f.min())])
        self.assertEqual([v for _, _, v in r[1:]], [str(m) for m in f.max(axis=1)])

    def test_ddof(self):
        a = self.d["x"]
        for ddof in [0, 1, 3]:
            with self.subTest(ddof=ddof):
                args = ["reduce", self.ref("x"), "--op", "var", "--op", "std:0", "--op", "var:1",
                        "--chunks", "4,4"]
                if ddof:
                    args += ["--ddof", str(ddof)]
                got = self.reduce_rows(self.ok(ARRAY, *args))
                self.assertClose(got["var"], a.var(ddof=ddof))
                self.assertClose(got["std:0"], a.std(axis=0, ddof=ddof))
                self.assertClose(got["var:1"], a.var(axis=1, ddof=ddof))
        # Before the subcommand too.
        got = self.reduce_rows(self.ok(ARRAY, "--ddof", "1", "reduce", self.ref("x"), "--op", "std"))
        self.assertClose(got["std"], a.std(ddof=1))

    def test_reduce_out(self):
        a = self.d["x"]
        out_file = self.path("out.h5")
        self.assertEqual(self.ok(ARRAY, "reduce", self.ref("x"), "--op", "mean:0",
                                 "--out", out_file + ":/m", "--chunks", "4,3"), "")
        self.ok(ARRAY, "reduce", self.ref("x"), "--op", "sum", "--out", out_file + ":/s",
                "--chunks", "4,3")
        self.ok(ARRAY, "reduce", self.ref("i64"), "--op", "max:1", "--out",
                out_file + ":/grp/imax", "--chunks", "4,3")
        with h5py.File(out_file, "r") as f:
            self.assertEqual(sorted(f.keys()), ["grp", "m", "s"])
            self.assertClose(f["m"][()], a.mean(axis=0))
            self.assertEqual(f["s"].shape, ())
            self.assertClose(f["s"][()], a.sum())
            self.assertEqual(f["grp/imax"].dtype, np.int64)
            np.testing.assert_array_equal(f["grp/imax"][()], self.d["i64"].max(axis=1))
        self.assertEqual(sorted(os.listdir(self.tmp)), ["out.h5"])

    def test_special_values(self):
        # NaN and inf propagate as in NumPy; an empty dataset sums to 0; a scalar dataset and a
        # bool dataset read too.
        f = self.path("special.h5")
        a = np.arange(35.0).reshape(5, 7)
        a[1, 2] = np.nan
        b = np.arange(35.0).reshape(5, 7)
        b[0, 1], b[3, 4] = np.inf, -np.inf
        with h5py.File(f, "w") as h:
            h.create_dataset("nan", data=a, chunks=(2, 3))
            h.create_dataset("inf", data=b, chunks=(2, 3))
            h.create_dataset("empty", data=np.zeros((0, 5)))
            h.create_dataset("scalar", data=np.float64(2.5))
            h.create_dataset("flags", data=np.array([[True, False, True], [True, True, False]]))
            h.create_dataset("text", data=np.array([b"ab", b"cd"]))
        with np.errstate(invalid="ignore"):
            for name, arr in [("nan", a), ("inf", b)]:
                got = self.reduce_rows(self.ok(ARRAY, "reduce", f"{f}:/{name}", "--op", "sum",
                                               "--op", "max", "--op", "min:0", "--op", "var:1",
                                               "--chunks", "2,2"))
                for key, want in [("sum", arr.sum()), ("max", arr.max()),
                                  ("min:0", arr.min(axis=0)), ("var:1", arr.var(axis=1))]:
                    np.testing.assert_allclose(got[key], want, rtol=1e-13, err_msg=key)
        got = self.reduce_rows(self.ok(ARRAY, "reduce", f"{f}:/empty", "--op", "sum",
                                       "--op", "sum:0"))
        self.assertEqual(got["sum"], 0.0)
        self.assertClose(got["sum:0"], np.zeros(5))
        self.assertEqual(self.ok(ARRAY, "stats", f"{f}:/scalar"),
                         "stat,value\ncount,1\nmean,2.5\nstd,0.0\nmin,2.5\nmax,2.5\n")
        out = self.ok(ARRAY, "reduce", f"{f}:/flags", "--op", "sum", "--op", "max:1")
        self.assertEqual(rows(out)[1:], [["sum", "", "4"], ["max:1", "0", "True"],
                                         ["max:1", "1", "True"]])
        self.assertFails("reduce", f"{f}:/empty", "--op", "min", message="zero-size")
        self.assertFails("reduce", f"{f}:/text", "--op", "sum", message="string")

    # ---- integer types ----

    def test_reduce_integer_types_as_numpy(self):
        # Every integer type h5py writes, reduced as NumPy reduces it: sums and products of
        # signed types in int64, of unsigned ones in uint64 (wrapping as in NumPy, printed as
        # unsigned), min and max in the type itself, mean, var and std in float64.
        for name in INT_TYPES:
            with self.subTest(name=name):
                a = self.ints[name]
                args = ["reduce", f"{self.ints_h5}:/{name}", "--chunks", "4,3"]
                for op in OPS:
                    args += ["--op", op, "--op", f"{op}:0", "--op", f"{op}:1"]
                out = self.ok(ARRAY, *args)
                text = {}
                for op, _, v in rows(out)[1:]:
                    text.setdefault(op, []).append(v)
                got = self.reduce_rows(out)
                scale = float(np.abs(a.astype(np.float64)).max())
                for op in OPS:
                    for axis in [None, 0, 1]:
                        key = op if axis is None else f"{op}:{axis}"
                        want = np.atleast_1d(reduce_ref(a, op, axis))
                        if op in ("mean", "var", "std"):
                            self.assertEqual(want.dtype, np.float64)
                            tol = 1e-13 * (scale * scale if op == "var" else scale)
                            self.assertClose(got[key], want.reshape(np.shape(got[key])),
                                             rtol=0, atol=tol, msg=key)
                        else:
                            self.assertEqual(text[key], [str(w) for w in want.tolist()], key)
                self.same_at_one_rank(out, *args)

    def test_integer_types_stats_rechunk_and_out(self):
        for name in INT_TYPES:
            with self.subTest(name=name):
                a = self.ints[name]
                src = f"{self.ints_h5}:/{name}"
                got = dict(rows(self.ok(ARRAY, "stats", src, "--chunks", "2,3"))[1:])
                self.assertEqual(got["count"], str(a.size))
                self.assertEqual(got["min"], str(a.min()))
                self.assertEqual(got["max"], str(a.max()))
                self.assertClose(float(got["mean"]), a.mean(), rtol=1e-14)
                self.assertClose(float(got["std"]), a.std(), rtol=1e-13)
                # Rechunked (compressed), and reduced into a file: the types NumPy gives, as h5py
                # reads them.
                out_file = self.path(f"{name}.h5")
                self.ok(ARRAY, "--gzip", "1", "rechunk", src, "--to", "3,2", "--out",
                        f"{out_file}:/r")
                self.ok(ARRAY, "reduce", src, "--op", "sum", "--out", f"{out_file}:/sum",
                        "--chunks", "4,3")
                self.ok(ARRAY, "reduce", src, "--op", "max:0", "--out", f"{out_file}:/max0",
                        "--chunks", "4,3")
                with h5py.File(out_file, "r") as f:
                    self.assertEqual(f["r"].dtype, a.dtype)
                    self.assertEqual(f["r"].chunks, (3, 2))
                    self.assertEqual(f["r"].compression, "gzip")
                    np.testing.assert_array_equal(f["r"][()], a)
                    self.assertEqual(f["sum"].dtype, a.sum().dtype)
                    self.assertEqual(f["sum"][()], a.sum())
                    self.assertEqual(f["max0"].dtype, a.dtype)
                    np.testing.assert_array_equal(f["max0"][()], a.max(axis=0))

    def test_eval_integer_types(self):
        # Narrow types compute in the type that holds them (int32, int64 for uint32): exact
        # values, and floating results as NumPy's.
        u8, u64 = self.ints["uint8"], self.ints["uint64"]
        out = self.ok(ARRAY, "eval", "x / 4 + 1", "--bind", f"x={self.ints_h5}:/uint8",
                      "--chunks", "4,3")
        self.assertClose(self.matrix(out), u8 / 4 + 1, rtol=0, atol=0)
        out = self.ok(ARRAY, "eval", "x * 2", "--bind", f"x={self.ints_h5}:/uint16",
                      "--reduce", "max")
        self.assertEqual(rows(out)[1:], [["max", str(2 * int(self.ints["uint16"].max()))]])
        # uint64 is not computed with; --dtype reads it converted (by HDF5), as astype would.
        self.assertFails("eval", "x + 1", "--bind", f"x={self.ints_h5}:/uint64",
                         message="'x' is uint64, which element-wise expressions do not take")
        out = self.ok(ARRAY, "--dtype", "float64", "eval", "x / 2", "--bind",
                      f"x={self.ints_h5}:/uint64", "--chunks", "4,3")
        self.assertClose(self.matrix(out), u64.astype(np.float64) / 2, rtol=0, atol=0)
        got = self.reduce_rows(self.ok(ARRAY, "reduce", f"{self.ints_h5}:/uint64", "--dtype",
                                       "float64", "--op", "sum"))
        self.assertClose(got["sum"], u64.astype(np.float64).sum(), rtol=1e-15)

    def test_unreadable_types_are_named(self):
        for name, type_name in [("f16", "float16"), ("pairs", "compound")]:
            with self.subTest(name=name):
                self.assertFails("reduce", f"{self.ints_h5}:/{name}", "--op", "sum",
                                 message=f"{self.ints_h5}:/{name} has type {type_name}, which "
                                         "Pando does not read")
        self.assertFails("reduce", f"{self.ints_h5}:/words", "--op", "sum",
                         message=f"{self.ints_h5}:/words holds strings: arrays hold numbers and "
                                 "bools")
        self.assertFails("reduce", f"{self.ints_h5}:/uint8", "--dtype", "int8", "--op", "sum",
                         message="--dtype")

    # ---- eval ----

    def test_eval_expressions(self):
        x, pos, sq = self.d["x"], self.d["pos"], self.d["sq"]
        cases = [
            ("sin(x)**2 + cos(x)**2", {"x": "x"}, lambda: np.sin(x) ** 2 + np.cos(x) ** 2),
            ("x * 2.5 - 1 / (1 + x * x)", {"x": "x"}, lambda: x * 2.5 - 1 / (1 + x * x)),
            ("3 * -x ** 2 + (-x) - -1", {"x": "x"}, lambda: 3 * -x ** 2 + (-x) - -1),
            ("exp(x) - log(p) + sqrt(p) + abs(x) + tan(x) * tanh(x)", {"x": "x", "p": "pos"},
             lambda: np.exp(x) - np.log(pos) + np.sqrt(pos) + np.abs(x) + np.tan(x) * np.tanh(x)),
            ("where(x > 0.5 and not (p < 1), x, p / 2)", {"x": "x", "p": "pos"},
             lambda: np.where((x > 0.5) & ~(pos < 1), x, pos / 2)),
            ("where(x <= -1 or x >= 1, 1.5e1, .5)", {"x": "x"},
             lambda: np.where((x <= -1) | (x >= 1), 15.0, 0.5)),
            ("x + x.T", {"x": "sq"}, lambda: sq + sq.T),
            ("x.T * 2 - x", {"x": "sq"}, lambda: sq.T * 2 - sq),
            ("x ** 3", {"x": "x"}, lambda: x ** 3),
        ]
        for text, binds, want in cases:
            with self.subTest(expr=text):
                args = ["eval", text] + sum([["--bind", f"{k}={self.ref(v)}"]
                                             for k, v in binds.items()], []) + ["--chunks", "4,3"]
                out = self.ok(ARRAY, *args)
                self.assertClose(self.matrix(out), want(), rtol=1e-13, atol=1e-13)
                self.same_at_one_rank(out, *args)

    def test_eval_comparisons_print_booleans(self):
        x = self.d["x"]
        out = self.ok(ARRAY, "eval", "x > 0", "--bind", f"x={self.ref('x')}", "--chunks", "4,3")
        r = rows(out)
        self.assertEqual(r[1:], [["True" if v > 0 else "False" for v in row] for row in x])
        for op, f in [("==", np.equal), ("!=", np.not_equal), ("<", np.less),
                      (">=", np.greater_equal)]:
            out = self.ok(ARRAY, "eval", f"i {op} 3", "--bind", f"i={self.ref('i32')}",
                          "--chunks", "5,2")
            want = f(self.d["i32"], 3)
            self.assertEqual(rows(out)[1:], [["True" if v else "False" for v in row] for row in want])

    def test_eval_broadcasting(self):
        x, row, col, vec = self.d["x"], self.d["row"], self.d["col"], self.d["vec7"]
        cases = [
            ("x * r + 2", {"x": "x", "r": "row"}, lambda: x * row + 2),
            ("r - x", {"x": "x", "r": "row"}, lambda: row - x),
            ("x / c", {"x": "x", "c": "col"}, lambda: x / col),
            ("c + r", {"c": "col", "r": "row"}, lambda: col + row),  # (13,1) + (1,7)
            ("x - v", {"x": "x", "v": "vec7"}, lambda: x - vec),      # (13,7) - (7,)
            ("x * o", {"x": "x", "o": "one"}, lambda: x * self.d["one"]),
            ("r.T * v", {"r": "row", "v": "vec7"}, lambda: row.T * vec),  # (7,1) * (7,)
        ]
        for text, binds, want in cases:
            for chunks in ["4,3", None]:
                with self.subTest(expr=text, chunks=chunks):
                    args = ["eval", text] + sum([["--bind", f"{k}={self.ref(v)}"]
                                                 for k, v in binds.items()], [])
                    if chunks:
                        args += ["--chunks", chunks]
                    out = self.ok(ARRAY, *args)
                    self.assertClose(self.matrix(out), want(), rtol=1e-15, atol=0)
                    self.same_at_one_rank(out, *args)

    def test_eval_dtypes(self):
        i64, i32, f32 = self.d["i64"], self.d["i32"], self.d["f32"]
        # Integer arithmetic stays integral and exact; int / int is a float.
        out = self.ok(ARRAY, "eval", "i * 3 - 7 + i * i", "--bind", f"i={self.ref('i64')}",
                      "--chunks", "4,3")
        self.assertEqual(rows(out)[1:], [[str(v) for v in row] for row in i64 * 3 - 7 + i64 * i64])
        out = self.ok(ARRAY, "eval", "i + 1", "--bind", f"i={self.ref('i32')}")
        self.assertEqual(rows(out)[1:], [[str(v) for v in row] for row in i32 + 1])
        out = self.ok(ARRAY, "eval", "i / 4", "--bind", f"i={self.ref('i32')}")
        self.assertClose(self.matrix(out), i32 / 4, rtol=0, atol=0)
        # float32 stays float32 (printed as NumPy prints float32).
        out = self.ok(ARRAY, "eval", "f * 2 + 1", "--bind", f"f={self.ref('f32')}", "--chunks", "4,2")
        self.assertEqual(rows(out)[1:], [[str(v) for v in row] for row in f32 * 2 + 1])
        # int32 with float32: float64, as documented (NumPy gives float64 too).
        out = self.ok(ARRAY, "eval", "f + i", "--bind", f"f={self.ref('f32')}",
                      "--bind", f"i={self.ref('i17')}")
        want = f32 + self.d["i17"]
        self.assertEqual(want.dtype, np.float64)
        self.assertEqual(rows(out)[1:], [[repr(float(v)) for v in row] for row in want])

    def test_eval_reduce(self):
        x, pos, row = self.d["x"], self.d["pos"], self.d["row"]
        specs = ["sum", "prod:0", "mean", "mean:1", "var", "std:0", "min:1", "max", "var:0"]
        for spec in specs:
            op, _, axis = spec.partition(":")
            axis = int(axis) if axis else None
            with self.subTest(op=spec):
                args = ["eval", "x * r + log(p)", "--bind", f"x={self.ref('x')}",
                        "--bind", f"r={self.ref('row')}", "--bind", f"p={self.ref('pos')}",
                        "--reduce", spec, "--chunks", "4,3"]
                out = self.ok(ARRAY, *args)
                got = self.reduce_rows(out)
                want = reduce_ref(x * row + np.log(pos), op, axis)
                self.assertClose(got[spec], want, rtol=1e-12, atol=1e-12)
                if op in ("mean", "prod"):
                    self.same_at_one_rank(out, *args)
        # The documented example: sin**2 + cos**2 is one.
        out = self.ok(ARRAY, "eval", "sin(x)**2 + cos(x)**2", "--bind", f"x={self.ref('x')}",
                      "--reduce", "mean")
        self.assertClose(self.reduce_rows(out)["mean"], 1.0, rtol=1e-15)

    def test_eval_out(self):
        x, row, sq = self.d["x"], self.d["row"], self.d["sq"]
        out_file = self.path("res.h5")
        self.assertEqual(self.ok(ARRAY, "eval", "x * r", "--bind", f"x={self.ref('x')}",
                                 "--bind", f"r={self.ref('row')}", "--chunks", "4,3",
                                 "--out", out_file + ":/prod"), "")
        self.ok(ARRAY, "eval", "x + x.T", "--bind", f"x={self.ref('sq')}", "--out",
                out_file + ":/sym", "--chunks", "4,3")
        self.ok(ARRAY, "eval", "x > 0", "--bind", f"x={self.ref('x')}", "--out", out_file + ":/mask")
        self.ok(ARRAY, "eval", "x - 1", "--bind", f"x={self.ref('x')}", "--reduce", "std:1",
                "--out", out_file + ":/std1", "--chunks", "4,3")
        self.ok(ARRAY, "--gzip", "4", "eval", "i * 2", "--bind", f"i={self.ref('i32')}",
                "--out", out_file + ":/g/i2", "--chunks", "5,3")
        with h5py.File(out_file, "r") as f:
            self.assertClose(f["prod"][()], x * row, rtol=0, atol=0)
            np.testing.assert_array_equal(f["sym"][()], sq + sq.T)
            np.testing.assert_array_equal(f["mask"][()], x > 0)
            self.assertClose(f["std1"][()], (x - 1).std(axis=1))
            g = f["g/i2"]
            self.assertEqual(g.dtype, np.int32)
            self.assertEqual(g.compression, "gzip")
            np.testing.assert_array_equal(g[()], self.d["i32"] * 2)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["res.h5"])

    # ---- rechunk ----

    def test_rechunk(self):
        x = self.d["x"]
        out_file = self.path("re.h5")
        for to, chunks in [("4,4", None), ("13,1", "5,3"), ("2,7", "3,2"), ("40,40", None)]:
            with self.subTest(to=to, chunks=chunks):
                name = "r" + to.replace(",", "_")
                args = ["rechunk", self.ref("x"), "--to", to, "--out", f"{out_file}:/{name}"]
                if chunks:
                    args += ["--chunks", chunks]
                self.assertEqual(self.ok(ARRAY, *args), "")
                with h5py.File(out_file, "r") as f:
                    ds = f[name]
                    np.testing.assert_array_equal(ds[()], x)
                    want = tuple(min(int(c), s) for c, s in zip(to.split(","), x.shape))
                    self.assertEqual(ds.chunks, want)
                    # Attributes preserved, with their types.
                    self.assertEqual(ds.attrs["units"], "metres")
                    self.assertEqual(ds.attrs["scale"], 2.5)
                    self.assertEqual(ds.attrs["count"], 7)
                    np.testing.assert_array_equal(ds.attrs["axes"], [1.0, 2.0, 3.0])
                    self.assertEqual(sorted(ds.attrs.keys()), ["axes", "count", "scale", "units"])
        # Other types and shapes; into the input file itself (a new dataset).
        for name, to in [("i32", "7,4"), ("f32", "5,1"), ("v", "10"), ("cube", "2,5,1"),
                         ("contig", "6,6")]:
            with self.subTest(name=name):
                copy = self.path(f"{name}.h5")
                shutil.copy(self.h5, copy)
                self.ok(ARRAY, "rechunk", f"{copy}:/{name}", "--to", to, "--out",
                        f"{copy}:/again/{name}")
                with h5py.File(copy, "r") as f:
                    ds = f[f"again/{name}"]
                    self.assertEqual(ds.dtype, self.d[name].dtype)
                    np.testing.assert_array_equal(ds[()], self.d[name])
                    self.assertEqual(ds.chunks, tuple(int(c) for c in to.split(",")))
                    np.testing.assert_array_equal(f[name][()], self.d[name])  # untouched

    # ---- stats ----

    def test_stats(self):
        for name, chunks, rtol in [("x", "4,3", 1e-13), ("i64", "4,2", 1e-13), ("f32", "3,2", 1e-6),
                                   ("i32", None, 1e-13), ("one", None, 0), ("v", "5", 1e-13),
                                   ("cube", "3,3,2", 1e-13)]:
            with self.subTest(name=name):
                a = self.d[name]
                args = ["stats", self.ref(name)]
                if chunks:
                    args += ["--chunks", chunks]
                out = self.ok(ARRAY, *args)
                r = rows(out)
                self.assertEqual(r[0], ["stat", "value"])
                self.assertEqual([s for s, _ in r[1:]], ["count", "mean", "std", "min", "max"])
                got = dict(r[1:])
                self.assertEqual(got["count"], str(a.size))
                self.assertClose(float(got["mean"]), a.mean(), rtol=rtol, atol=rtol)
                self.assertClose(float(got["std"]), a.std(), rtol=max(rtol, 1e-12), atol=rtol)
                self.assertEqual(a.dtype.type(float(got["min"])), a.min())
                self.assertEqual(a.dtype.type(float(got["max"])), a.max())
                if a.dtype.kind == "i":
                    self.assertEqual(got["min"], str(a.min()))
                self.same_at_one_rank(out, *args)
        got = dict(rows(self.ok(ARRAY, "stats", self.ref("x"), "--ddof", "1"))[1:])
        self.assertClose(float(got["std"]), self.d["x"].std(ddof=1))

    # ---- help ----

    def test_help(self):
        for args in [["--help"], ["reduce", "--help"], ["eval", "--help"], ["rechunk", "--help"],
                     ["stats", "--help"]]:
            r = self.app(ARRAY, *args)
            self.assertEqual(r.code, 0, r)
            self.assertIn("pando-array", r.out)
            self.assertIn("Examples", r.out)
            self.assertEqual(r.err, "")
        # The examples run (on a dataset of our own).
        src = self.path("data.h5")
        shutil.copy(self.h5, src)
        x = self.d["sq"]
        out = self.ok(ARRAY, "reduce", f"{src}:/sq", "--op", "sum", "--op", "mean:0", "--op", "std:1")
        got = self.reduce_rows(out)
        self.assertClose(got["mean:0"], x.mean(axis=0))
        self.ok(ARRAY, "eval", "x + x.T", "--bind", f"x={src}:/sq", "--out", f"{src}:/sym")
        self.ok(ARRAY, "rechunk", f"{src}:/sq", "--to", "11,2", "--out", f"{src}:/cols")

    # ---- bad input ----

    def assertFails(self, *args, message, leaves=()):
        """Fails in one line naming `message`, well within seconds, leaving none of `leaves`."""
        line = self.fails(ARRAY, *args, message=message, timeout=60, env=QUICK_EXIT)
        for path in leaves:
            self.assertFalse(os.path.exists(path), f"{path} left behind by {args}")
        # No temporary files left in the test's folder either.
        self.assertEqual([f for f in os.listdir(self.tmp) if "tmp" in f], [], args)
        return line

    def test_bad_input(self):
        x = self.ref("x")
        out_file = self.path("o.h5")
        out = out_file + ":/y"
        text_file = self.path("text.h5")
        with open(text_file, "w") as f:
            f.write("not hdf5\n")
        cases = [
            # files and dataset references
            (["reduce", self.path("missing.h5") + ":/x", "--op", "sum"], "missing.h5"),
            (["reduce", self.h5, "--op", "sum"], "FILE.h5:/DATASET"),
            (["reduce", self.h5 + ":/", "--op", "sum"], "FILE.h5:/DATASET"),
            (["reduce", ":/x", "--op", "sum"], "FILE.h5:/DATASET"),
            (["reduce", self.ref("nope"), "--op", "sum"], "/nope"),
            (["reduce", self.ref("grp"), "--op", "sum"], "/grp"),
            (["reduce", text_file + ":/x", "--op", "sum"], "not an HDF5 file"),
            (["stats", self.ref("nope")], "/nope"),
            (["eval", "x + 1", "--bind", f"x={self.ref('nope')}"], "/nope"),
            (["eval", "x + 1", "--bind", "x=" + self.h5], "FILE.h5:/DATASET"),
            # ops and axes
            (["reduce", x, "--op", "median"], "median"),
            (["reduce", x, "--op", "sum:2"], "axis 2"),
            (["reduce", x, "--op", "sum:-3"], "axis -3"),
            (["reduce", x, "--op", "sum:one"], "sum:one"),
            (["reduce", x, "--op", "sum", "--op", "mean", "--out", out], "--out"),
            (["reduce", x], "--op"),
            (["eval", "x", "--bind", f"x={x}", "--reduce", "avg"], "avg"),
            # expressions
            (["eval", "x +", "--bind", f"x={x}"], "EXPR:1:"),
            (["eval", "x + (y * 2", "--bind", f"x={x}", "--bind", f"y={x}"], "EXPR:1:"),
            (["eval", "x + y", "--bind", f"x={x}"], "'y'"),
            (["eval", "foo(x)", "--bind", f"x={x}"], "foo"),
            (["eval", "sin(x, x)", "--bind", f"x={x}"], "sin"),
            (["eval", "x + 'a'", "--bind", f"x={x}"], "'x'"),
            (["eval", "x and x", "--bind", f"x={x}"], "'x'"),
            (["eval", "x", "--bind", f"x{x}"], "NAME=FILE.h5:/DATASET"),
            (["eval", "x + x.T", "--bind", f"x={x}"], "(13, 7) (7, 13)"),
            (["eval", "x + r.T", "--bind", f"x={x}", "--bind", f"r={self.ref('row')}"],
             "broadcast"),
            (["eval", "x + y", "--bind", f"x={x}", "--bind", f"y={self.ref('v')}"], "broadcast"),
            # option values
            (["reduce", x, "--op", "sum", "--chunks", "0,3"], "--chunks"),
            (["reduce", x, "--op", "sum", "--chunks", "a,b"], "--chunks"),
            (["reduce", x, "--op", "sum", "--chunks", "4,4,4"], "axes"),
            (["rechunk", x, "--to", "3", "--out", out], "axes"),
            (["rechunk", x, "--to", "-1,3", "--out", out], "--to"),
            (["rechunk", x, "--to", "3,3"], "--out"),
            (["rechunk", x, "--to", "3,3", "--out", out_file], "FILE.h5:/DATASET"),
            (["reduce", x, "--op", "sum", "--ddof", "x"], "--ddof"),
            (["--gzip", "12", "eval", "x", "--bind", f"x={x}", "--out", out], "--gzip"),
            (["frobnicate", x], "subcommand"),
            ([], "subcommand"),
            # outputs that cannot be made
            (["eval", "x * 2", "--bind", f"x={x}", "--out", x], "exists already"),
            (["rechunk", x, "--to", "3,3", "--out", self.path("no", "such", "dir.h5") + ":/y"],
             "no such directory"),
        ]
        usage = {"FILE.h5:/DATASET", "median", "sum:one", "--op", "avg", "EXPR:1:",
                 "NAME=FILE.h5:/DATASET", "--chunks", "--to", "--out", "--ddof", "--gzip",
                 "subcommand"}
        for args, message in self.usage_cases(cases, usage):
            with self.subTest(args=args):
                self.assertFails(*args, message=message, leaves=[out_file])
        # The input is untouched by the failed attempt to write into it.
        with h5py.File(self.h5, "r") as f:
            self.assertEqual(sorted(f.keys()), sorted([k for k in self.d if "/" not in k] + ["grp"]))

    def test_failed_write_leaves_existing_file_as_it_was(self):
        # A failure while writing into an existing file leaves it with its old datasets only.
        copy = self.path("keep.h5")
        shutil.copy(self.h5, copy)
        before = os.path.getsize(copy)
        self.assertFails("eval", "x + y", "--bind", f"x={self.ref('x')}",
                         "--bind", f"y={self.ref('v')}", "--out", copy + ":/z", message="broadcast")
        self.assertFails("rechunk", f"{copy}:/x", "--to", "3,3", "--out", f"{copy}:/sq",
                         message="exists already")
        with h5py.File(copy, "r") as f:
            self.assertNotIn("z", f)
            np.testing.assert_array_equal(f["sq"][()], self.d["sq"])
        self.assertEqual(os.path.getsize(copy), before)


if __name__ == "__main__":
    main()
