"""pandas references for the DataFrame tests (Debian's /usr/bin/python3).

    frame_reference.py stats FILE     amount sum/mean/std, qty sum/max, describe(), null counts
    frame_reference.py same A B       prints "same" when pandas reads A and B as equal frames
"""
import sys

import pandas as pd


def read(path):
    return pd.read_csv(path, parse_dates=["ts"], float_precision="round_trip")


def stats(path):
    df = read(path)
    out = [df.amount.sum(), df.amount.mean(), df.amount.std(), df.qty.sum(), df.qty.max()]
    d = df[["id", "amount", "qty"]].describe()
    for col in d.columns:
        out += list(d[col])
    out += list(df.isna().sum())
    print(" ".join(repr(float(v)) for v in out))


def same(a, b):
    x, y = read(a), read(b)
    pd.testing.assert_frame_equal(x, y)
    print("same")


if __name__ == "__main__":
    {"stats": stats, "same": same}[sys.argv[1]](*sys.argv[2:])
