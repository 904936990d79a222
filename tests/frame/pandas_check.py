"""The pandas side of the frame tests (run with Debian's /usr/bin/python3, which has pandas).

  pandas_check.py corpus LIST DIR      tokenization and types of the CSV corpus vs pandas.read_csv
  pandas_check.py doubles FILE         format_double vs repr(float)  (lines: hexbits text)
  pandas_check.py floats FILE          format_float vs str(np.float32)
  pandas_check.py timestamps FILE      column-level timestamp text vs DataFrame.to_csv
  pandas_check.py parse-timestamps FILE  parse_timestamp vs pandas.Timestamp
  pandas_check.py roundtrip LIST       CSVs we wrote (lines: csv<TAB>spec.json), read by pandas,
                                       vs the values we wrote

Prints what differs and exits 1; exits 0 when everything agrees.
"""

import csv
import io
import json
import math
import re
import struct
import sys

import numpy as np
import pandas as pd

failures = []


def fail(msg):
    failures.append(msg)


def done():
    for f in failures[:30]:
        print(f)
    if failures:
        print(f"{len(failures)} difference(s)")
        sys.exit(1)
    sys.exit(0)


# ---- the corpus ----

def pandas_kwargs(options_line):
    kw = {}
    opts = {}
    if options_line.startswith("options:"):
        for kv in options_line[len("options:"):].split():
            k, _, v = kv.partition("=")
            opts[k] = v
    if "delimiter" in opts:
        kw["sep"] = "\t" if opts["delimiter"] == "tab" else opts["delimiter"]
    if opts.get("quote") == "none":
        kw["quoting"] = csv.QUOTE_NONE
    if "escape" in opts:
        kw["escapechar"] = opts["escape"]
    if opts.get("header") == "no":
        kw["header"] = None
    if "usecols" in opts:
        kw["usecols"] = opts["usecols"].split("|")
    if opts.get("on_bad_lines") in ("skip", "warn"):
        kw["on_bad_lines"] = "skip"
    return kw, opts


def parse_rendered(text):
    """Our rendering (frame_test_util.hpp): ('error', msg) or (names, types, rows, bad)."""
    lines = text.split("\n")
    if lines[0].startswith("error: "):
        return ("error", lines[0][7:])
    head = lines[0][len("schema:"):]
    names, types = [], []
    for m in re.finditer(r'("(?:[^"\\]|\\.)*"):(\w+)', head):
        names.append(json.loads(m.group(1)))
        types.append(m.group(2))
    rows = []
    for line in lines[1:]:
        if line.startswith("["):
            # timestamps render as t"..."; make them JSON strings tagged for later
            line = re.sub(r't("(?:[^"\\]|\\.)*")', r'{"t": \1}', line)
            rows.append(json.loads(line))
    return (names, types, rows)


def cell(v):
    """A pandas cell as a plain Python value (None for missing)."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return {"t": v.value}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def ours_value(v, typ):
    if v is None:
        return None
    if typ == "timestamp":
        return {"t": pd.Timestamp(v["t"]).value}
    return v


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b and isinstance(a, bool) == isinstance(b, bool)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b) or (math.isnan(float(a)) and math.isnan(float(b)))
    return a == b


# Where we differ from pandas 1.5 on purpose (see lib/pando/frame/csv/infer.hpp).
def expected_pandas_dtype(ours, has_null, name, file):
    if ours == "int64":
        return {"int64"} if not has_null else {"float64"}
    if ours == "float64":
        # pandas gives up on a column holding an integer beyond uint64 (object); we read the
        # column as float64 when it also holds non-integral numbers.
        return {"float64", "object"} if file == "int_overflow.csv" else {"float64"}
    if ours == "bool":
        return {"bool"} if not has_null else {"object"}
    if ours == "timestamp":
        return {"datetime64[ns]"}
    if ours == "string":
        if file == "int_overflow.csv":
            return {"object", "uint64", "float64"}
        return {"object"}
    return {ours}


def corpus(listing, tmp):
    for line in open(listing, encoding="utf-8"):
        name, path, options_line = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        kw, opts = pandas_kwargs(options_line)
        raw = parse_rendered(open(f"{tmp}/{name}.raw", encoding="utf-8").read())
        typed = parse_rendered(open(f"{tmp}/{name}.typed", encoding="utf-8").read())
        # 1. raw fields
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, **kw)
            perr = None
        except Exception as e:  # noqa: BLE001 - any pandas failure is "an error"
            perr = f"{type(e).__name__}: {e}"
        if raw[0] == "error":
            if perr is None:
                fail(f"{name}: we fail ({raw[1]}) where pandas reads it")
            continue
        if perr is not None:
            fail(f"{name}: pandas fails ({perr}) where we read it")
            continue
        names, types, rows = raw
        pnames = [str(c) for c in df.columns]
        if pnames != names:
            fail(f"{name}: columns {names} vs pandas {pnames}")
            continue
        prow = [[cell(v) for v in r] for r in df.itertuples(index=False)]
        # Missing trailing fields: null here, '' in pandas when na_filter is off.
        rows = [["" if v is None else v for v in r] for r in rows]
        if prow != rows:
            fail(f"{name}: fields differ\n  ours   {rows}\n  pandas {prow}")
            continue
        # 2. types and values, when the typed read succeeds and used no sample tricks
        if typed[0] == "error" or "sample_bytes" in opts:
            continue
        names, types, rows = typed
        tkw = dict(kw)
        tkw["na_values"] = ["None"]  # pandas 2's defaults include it; Debian's 1.5 lacks it
        if "na_values" in opts:
            tkw["keep_default_na"] = False
            tkw["na_values"] = [v for v in opts["na_values"].split("|") if v] if opts["na_values"] else []
        if "na_values+" in opts:
            tkw["na_values"] += opts["na_values+"].split("|")
        ts_cols = [n for n, t in zip(names, types) if t == "timestamp"]
        if ts_cols:
            tkw["parse_dates"] = ts_cols
        if "dtype" in opts:
            continue
        df = pd.read_csv(path, **tkw)
        for j, (n, t) in enumerate(zip(names, types)):
            col = [r[j] for r in rows]
            has_null = any(v is None for v in col)
            pdt = str(df.iloc[:, j].dtype)
            if pdt not in expected_pandas_dtype(t, has_null, n, name):
                fail(f"{name}: column {n!r} is {t} here and {pdt} in pandas")
                continue
            pcol = [cell(v) for v in df.iloc[:, j]]
            ocol = [ours_value(v, t) for v in col]
            if t == "float64" and pdt == "object":
                pcol = [None if v is None else float(v) for v in pcol]
            if t == "string" and pdt != "object":
                pcol = [None if v is None else str(v) for v in pcol]
                ocol = [None if v is None else str(int(v)) if re.fullmatch(r"\d+", v or "") else v for v in ocol]
            if len(pcol) != len(ocol) or not all(same(a, b) for a, b in zip(ocol, pcol)):
                fail(f"{name}: values of {n!r} differ\n  ours   {ocol}\n  pandas {pcol}")
    done()


# ---- value formatting ----

def doubles(path):
    for line in open(path, encoding="utf-8"):
        bits, text = line.rstrip("\n").split(" ", 1)
        v = struct.unpack("<d", bytes.fromhex(bits))[0]
        if repr(v) != text:
            fail(f"{bits}: ours {text!r}, Python {repr(v)!r}")
    done()


def floats(path):
    for line in open(path, encoding="utf-8"):
        bits, text = line.rstrip("\n").split(" ", 1)
        v = np.frombuffer(bytes.fromhex(bits), dtype="<f4")[0]
        want = str(v)
        if want != text:
            fail(f"{bits}: ours {text!r}, numpy {want!r}")
    # pandas writes float32 columns the same way
    done()


def timestamps(path):
    """Blocks separated by blank lines: 'ns text' lines of one column."""
    block = []
    blocks = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if block:
                blocks.append(block)
            block = []
            continue
        block.append(line.split(" ", 1))
    if block:
        blocks.append(block)
    for b in blocks:
        ns = [None if v == "null" else int(v) for v, _ in b]
        ours = [t for _, t in b]
        s = pd.Series(pd.to_datetime([pd.NaT if v is None else v for v in ns], unit="ns"))
        text = s.to_csv(index=False, header=False).split("\n")[:-1]
        text = ["" if t == '""' else t for t in text]
        if text != ours:
            fail(f"column {ns[:4]}...: ours {ours[:4]}..., pandas {text[:4]}...")
    done()


def parse_timestamps(path):
    for line in open(path, encoding="utf-8"):
        text, ours = line.rstrip("\n").rsplit("\t", 1)
        try:
            t = pd.Timestamp(text)
            want = str(t.value) if t is not pd.NaT else "none"
        except Exception:  # noqa: BLE001
            want = "none"
        if want != ours:
            fail(f"{text!r}: ours {ours}, pandas {want}")
    done()


# ---- writer round trip ----

def roundtrip_one(csv_path, spec_path):
    spec = json.load(open(spec_path, encoding="utf-8"))
    names = [c["name"] for c in spec["columns"]]
    types = {c["name"]: c["type"] for c in spec["columns"]}
    dtype = {n: str for n in names if types[n] == "string"}
    dates = [n for n in names if types[n] == "timestamp"]
    # pandas' default float parser is not correctly rounded (about 1 value in 10 of 17 digits
    # reads back one ulp off, for pandas' own files too); round_trip is.
    df = pd.read_csv(csv_path, dtype=dtype, parse_dates=dates, float_precision="round_trip")
    if [str(c) for c in df.columns] != names:
        fail(f"{csv_path}: columns {names} read back as {list(df.columns)}")
        return
    for c in spec["columns"]:
        n, t, values = c["name"], c["type"], c["values"]
        has_null = any(v is None for v in values)
        pdt = str(df[n].dtype)
        allowed = expected_pandas_dtype(t, has_null, n, "")
        if t == "float32":
            allowed = {"float64"}  # pandas reads every float column as float64
        if all(v is None for v in values):
            allowed = {"float64", "object", "datetime64[ns]"}
        if pdt not in allowed:
            fail(f"{csv_path}: column {n!r} ({t}) reads back as {pdt}")
            continue
        got = [cell(v) for v in df[n]]
        if t == "timestamp":
            values = [None if v is None else {"t": v} for v in values]
        if t in ("float64", "float32"):
            values = [None if v is None else float(v) for v in values]
        if t == "float32":
            got = [None if v is None else float(np.float32(v)) for v in got]
        if len(got) != len(values):
            fail(f"{csv_path}: column {n!r}: {len(values)} rows written, {len(got)} read")
            continue
        for i, (a, b) in enumerate(zip(values, got)):
            if not same(a, b):
                fail(f"{csv_path}: column {n!r} row {i}: wrote {a!r}, pandas read {b!r}")
                break
    # pandas writes the same text back, except where documented (int64 with nulls prints as
    # float in pandas; strings holding '\r' pandas leaves unquoted).
    if spec.get("compare_text"):
        ours = open(csv_path, encoding="utf-8", newline="").read()
        theirs = df.to_csv(index=False)
        if ours != theirs:
            for i, (a, b) in enumerate(zip(ours.split("\n"), theirs.split("\n"))):
                if a != b:
                    fail(f"{csv_path}: text differs at line {i + 1}: ours {a!r}, pandas {b!r}")
                    break
            else:
                fail(f"{csv_path}: text differs in length")


def roundtrip(listing):
    """Lines 'CSV SPEC'."""
    for line in open(listing, encoding="utf-8"):
        if line.strip():
            roundtrip_one(*line.rstrip("\n").split("\t"))
    done()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "corpus":
        corpus(sys.argv[2], sys.argv[3])
    elif cmd == "doubles":
        doubles(sys.argv[2])
    elif cmd == "floats":
        floats(sys.argv[2])
    elif cmd == "timestamps":
        timestamps(sys.argv[2])
    elif cmd == "parse-timestamps":
        parse_timestamps(sys.argv[2])
    elif cmd == "roundtrip":
        roundtrip(sys.argv[2])
    else:
        print(f"unknown command {cmd}")
        sys.exit(2)
