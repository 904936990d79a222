"""pando-frame on S3, end to end, against the tests' server on loopback (tests/io/s3: s3rver
behind a proxy that checks signatures and multipart rules): s3:// inputs (globs too), --join
and --out give what the same local files give, and bad input is one line on stderr.

Objects are put and read back straight on s3rver (it checks no signature); the app goes
through the proxy, with the credentials the proxy checks.
"""
import http.client
import json
import os
import random
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apptest import RANKS, AppTest, main  # noqa: E402

FRAME = "pando-frame"
BUCKET = "pando-app"


def state():
    with open(os.environ["PANDO_S3_TEST_STATE"]) as f:
        return json.load(f)


def s3_request(method, key, body=b""):
    """Unsigned, straight to s3rver: (status, body)."""
    direct = urllib.parse.urlsplit(state()["direct"])
    conn = http.client.HTTPConnection(direct.hostname, direct.port, timeout=30)
    conn.request(method, f"/{BUCKET}/{urllib.parse.quote(key)}", body=body,
                 headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def s3_env():
    s = state()
    return {"AWS_ENDPOINT_URL": s["endpoint"], "AWS_REGION": s["region"],
            "AWS_ACCESS_KEY_ID": s["access_key"], "AWS_SECRET_ACCESS_KEY": s["secret"],
            "PANDO_S3_BACKOFF_MS": "5", "OMPI_MCA_odls_base_sigkill_timeout": "0"}


def table(rows, seed):
    rnd = random.Random(seed)
    lines = ["id,amount,qty,name"]
    for i in range(rows):
        amount = "" if rnd.random() < 0.1 else f"{rnd.uniform(-100, 1000):.3f}"
        name = rnd.choice(["alpha", '"b,eta"', '"line\nbreak"', "dé|ta", ""])
        lines.append(f"{i},{amount},{rnd.randint(0, 9)},{name}")
    return "\n".join(lines) + "\n"


class FrameS3(AppTest):
    def setUp(self):
        super().setUp()
        self.prefix = f"np{RANKS}-{os.getpid()}-{self._testMethodName}/"
        os.makedirs(self.path("data"))
        for k, rows in enumerate([3000, 1, 2200]):
            text = table(rows, k)
            with open(self.path("data", f"t-{k}.csv"), "w", encoding="utf-8", newline="") as f:
                f.write(text)
            status, _ = s3_request("PUT", f"{self.prefix}data/t-{k}.csv", text.encode())
            self.assertEqual(status, 200)
        self.local = self.path("data", "t-*.csv")
        self.remote = f"s3://{BUCKET}/{self.prefix}data/t-*.csv"

    def run_both(self, *args):
        local = self.ok(FRAME, self.local, "--chunk-size", "4000", *args)
        remote = self.ok(FRAME, self.remote, "--chunk-size", "4000", *args, env=s3_env())
        self.assertEqual(remote, local, args)
        return remote

    def test_describe_and_steps(self):
        out = self.run_both("--describe")
        self.assertIn("amount", out.splitlines()[0])
        self.run_both("--groupby", "qty", "--agg", "amount:sum,id:count")
        self.run_both("--where", "amount > 500", "--sort", "amount", "--head", "7")

    def test_join_and_out(self):
        keys = "qty,label\n" + "".join(f"{q},q{q}\n" for q in range(10))
        s3_request("PUT", f"{self.prefix}keys.csv", keys.encode())
        with open(self.path("keys.csv"), "w") as f:
            f.write(keys)
        local_out = self.path("out.csv")
        self.ok(FRAME, self.local, "--join", self.path("keys.csv"), "--on", "qty", "--out",
                local_out)
        self.ok(FRAME, self.remote, "--join", f"s3://{BUCKET}/{self.prefix}keys.csv", "--on",
                "qty", "--out", f"s3://{BUCKET}/{self.prefix}out.csv", env=s3_env())
        status, body = s3_request("GET", f"{self.prefix}out.csv")
        self.assertEqual(status, 200)
        with open(local_out, "rb") as f:
            self.assertEqual(body, f.read())
        # One object per partition, then _SUCCESS.
        self.ok(FRAME, self.remote, "--chunk-size", "20000", "--out",
                f"s3://{BUCKET}/{self.prefix}parts/p-*.csv", env=s3_env())
        self.assertEqual(s3_request("GET", f"{self.prefix}parts/_SUCCESS"), (200, b""))

    def test_bad_input(self):
        self.fails(FRAME, f"s3://{BUCKET}/{self.prefix}none/*.csv", "--describe", env=s3_env(),
                   message=f"no objects match 's3://{BUCKET}/{self.prefix}none/*.csv'")
        self.fails(FRAME, "s3://no-such-bucket-app/x/*.csv", env=s3_env(),
                   message="no such bucket")
        env = dict(s3_env(), AWS_SECRET_ACCESS_KEY="not-the-secret-42")
        line = self.fails(FRAME, self.remote, "--describe", env=env, message="access denied")
        self.assertNotIn("not-the-secret-42", line)
        # A failed --out leaves no object.
        out = f"{self.prefix}failed.csv"
        self.fails(FRAME, self.local, "--where", "nosuch > 1", "--out", f"s3://{BUCKET}/{out}",
                   env=s3_env())
        self.assertEqual(s3_request("HEAD", out)[0], 404)


if __name__ == "__main__":
    main()
