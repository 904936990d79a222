#!/usr/bin/env python3
"""The S3 server of Pando's tests, on loopback: s3rver behind a proxy of our own.

    s3_fixture.py start --state FILE --dir DIR --s3rver PATH   start both, write FILE, return
    s3_fixture.py stop --state FILE                              stop both (by PID)
    s3_fixture.py proxy --port P --upstream Q --region R ...     the proxy (start runs it)

s3rver is lenient where S3 is strict, so the proxy in front of it:
  - verifies every request's SigV4 signature (canonical request rebuilt from what arrives: a
    query that is not sorted and percent-encoded, or a path that is not canonically encoded,
    fails as on S3) and answers 403 SignatureDoesNotMatch otherwise;
  - refuses to complete a multipart upload whose parts (all but the last) are under 5 MiB
    (400 EntityTooSmall), and implements Abort (s3rver answers 405): an aborted upload's parts
    are forgotten and completing it is 404 NoSuchUpload;
  - injects faults that tests ask for (POST /__pando__/faults, a JSON list of rules):
        {"match": "np2-77/", "method": "GET", "kind": "drop"|"500"|"503"|"slowdown"|"429"|
         "truncate"|"short"|"drop_after"|"403", "times": 2, "skip": 0}
    a rule applies to requests whose path holds `match` (and of that method, if given), after
    `skip` of them, `times` times;
    ("truncate" announces the whole length, sends half and closes; "short" announces half;
    "drop_after" forwards the request, then closes without answering)
  - counts requests: GET /__pando__/count?match=TEXT&method=M gives the number of requests so
    far whose path holds TEXT, and over how many connections they came.
"""

import argparse
import hashlib
import hmac
import http.client
import http.server
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

MIN_PART = 5 * 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, seconds=20.0):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# ---- SigV4 (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html) ----

def _enc(text, safe):
    return urllib.parse.quote(text, safe=safe)


def canonical_request(method, raw_path, raw_query, headers, signed):
    """The canonical request S3 builds from what it receives. `headers`: lower-case name ->
    value."""
    uri = _enc(urllib.parse.unquote(raw_path), "/-_.~")
    pairs = []
    if raw_query:
        for item in raw_query.split("&"):
            k, _, v = item.partition("=")
            pairs.append((_enc(urllib.parse.unquote(k), "-_.~"),
                          _enc(urllib.parse.unquote(v), "-_.~")))
    query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    canon = "".join(f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed)
    payload = headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
    return "\n".join([method, uri, query, canon, ";".join(signed), payload])


def signature(secret, amz_date, scope, creq):
    date, region, service, _ = scope.split("/")
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, f"{scope}",
                         hashlib.sha256(creq.encode()).hexdigest()])
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/([^,]+), ?SignedHeaders=([^,]+), ?"
                  r"Signature=([0-9a-f]+)")


def check_signature(method, raw_path, raw_query, headers, access_key, secret, region):
    """None when the request is signed right, else why not."""
    m = AUTH.fullmatch(headers.get("authorization", "").strip())
    if not m:
        return "no SigV4 Authorization header"
    key_id, scope, signed, got = m.groups()
    if key_id != access_key:
        return "unknown access key"
    if scope.split("/")[1] != region or not scope.endswith("/s3/aws4_request"):
        return f"wrong scope {scope}"
    if "x-amz-content-sha256" not in headers:
        return "no x-amz-content-sha256 header"
    creq = canonical_request(method, raw_path, raw_query, headers, signed.split(";"))
    want = signature(secret, headers.get("x-amz-date", ""), scope, creq)
    return None if hmac.compare_digest(want, got) else "signature mismatch"


# ---- the proxy ----

class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.log = []  # (method, path, connection) of every S3 request
        self.connections = itertools.count(1)
        self.parts = {}  # upload id -> {part number: size}
        self.aborted = set()
        self.completed = set()  # as on S3, a completed upload is gone


def error_xml(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()


def make_handler(state, upstream, access_key, secret, region):
    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()
            self.connection_id = next(state.connections)

        def reply(self, status, body=b"", headers=(), length=None, close=False):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            if close:
                self.wfile.flush()
                self.close_connection = True

        def fault_for(self, path):
            with state.lock:
                for rule in state.rules:
                    if rule["match"] not in path:
                        continue
                    if rule.get("method") and rule["method"] != self.command:
                        continue
                    if rule.get("skip", 0) > 0:
                        rule["skip"] -= 1
                        continue
                    if rule.get("times", 1) <= 0:
                        continue
                    rule["times"] = rule.get("times", 1) - 1
                    return rule["kind"]
            return None

        def control(self, parsed, body):
            if parsed.path == "/__pando__/faults" and self.command == "POST":
                with state.lock:
                    state.rules.extend(json.loads(body or b"[]"))
                return self.reply(200, b"{}")
            if parsed.path == "/__pando__/clear" and self.command == "POST":
                q = urllib.parse.parse_qs(parsed.query)
                match = q.get("match", [""])[0]
                with state.lock:
                    state.rules = [r for r in state.rules if match not in r["match"]]
                return self.reply(200, b"{}")
            if parsed.path == "/__pando__/count":
                q = urllib.parse.parse_qs(parsed.query)
                match = q.get("match", [""])[0]
                method = q.get("method", [""])[0]
                with state.lock:
                    hits = [c for m, p, c in state.log
                            if match in p and (not method or m == method)]
                return self.reply(200, json.dumps({"count": len(hits),
                                                   "connections": len(set(hits))}).encode())
            return self.reply(404, b"")

        def handle_any(self):
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if parsed.path.startswith("/__pando__/"):
                return self.control(parsed, body)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with state.lock:
                state.log.append((self.command, self.path, self.connection_id))
            why = check_signature(self.command, parsed.path, parsed.query, headers, access_key,
                                  secret, region)
            if why:
                return self.reply(403, error_xml("SignatureDoesNotMatch", why))
            query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
            upload = query.get("uploadId", [None])[0]
            fault = self.fault_for(self.path)
            if fault == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return None
            if fault in ("500", "503", "slowdown", "429", "403"):
                status, code = {"500": (500, "InternalError"), "503": (503, "ServiceUnavailable"),
                                "slowdown": (503, "SlowDown"), "429": (429, "TooManyRequests"),
                                "403": (403, "AccessDenied")}[fault]
                return self.reply(status, error_xml(code, "injected by the test proxy"))
            if upload is not None and (upload in state.aborted or upload in state.completed):
                return self.reply(404, error_xml("NoSuchUpload", "the upload is over"))
            if upload is not None and self.command == "DELETE":
                with state.lock:
                    state.aborted.add(upload)
                    state.parts.pop(upload, None)
                return self.reply(204)
            if upload is not None and self.command == "POST":
                numbers = [int(n) for n in re.findall(rb"<PartNumber>(\d+)</PartNumber>", body)]
                with state.lock:
                    sizes = dict(state.parts.get(upload, {}))
                if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
                    return self.reply(400, error_xml("InvalidPartOrder", "parts out of order"))
                for n in numbers[:-1]:
                    if sizes.get(n, 0) < MIN_PART:
                        return self.reply(400, error_xml(
                            "EntityTooSmall", f"part {n} has {sizes.get(n, 0)} bytes"))
                if len(numbers) > 10000:
                    return self.reply(400, error_xml("InvalidArgument", "over 10,000 parts"))
            if upload is not None and self.command == "PUT" and "partNumber" in query:
                with state.lock:
                    state.parts.setdefault(upload, {})[int(query["partNumber"][0])] = len(body)
            return self.forward(body, fault, upload)

        def forward(self, body, fault, upload=None):
            conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
            skip = {"host", "connection", "content-length", "transfer-encoding", "expect"}
            out = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            out["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=out)
            r = conn.getresponse()
            data = r.read()
            conn.close()
            if upload is not None and self.command == "POST" and r.status == 200 \
                    and b"<Error>" not in data:
                with state.lock:
                    state.completed.add(upload)
            headers = [(k, v) for k, v in r.getheaders()
                       if k.lower() not in ("content-length", "transfer-encoding", "connection")]
            if self.command == "HEAD":
                length = r.getheader("Content-Length", "0")
                return self.reply(r.status, b"", headers, length=int(length))
            if fault == "truncate" and len(data) > 1:
                # The announced length, half the bytes, then the connection ends.
                return self.reply(r.status, data[: len(data) // 2], headers, length=len(data),
                                  close=True)
            if fault == "drop_after":
                # The request took effect; its answer is lost.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return None
            if fault == "short" and len(data) > 1:
                # A well-formed answer with half the bytes asked for (a server that cut it).
                return self.reply(r.status, data[: len(data) // 2], headers)
            return self.reply(r.status, data, headers)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    return Proxy


def run_proxy(args):
    state = State()
    handler = make_handler(state, args.upstream, args.access_key, args.secret, args.region)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()


# ---- start and stop ----

def create_buckets(port, names):
    for name in names:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("PUT", f"/{name}", body=b"", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        r = conn.getresponse()
        r.read()
        conn.close()
        if r.status not in (200, 409):
            raise RuntimeError(f"creating bucket {name}: HTTP {r.status}")


def start(args):
    if not os.path.exists(args.s3rver):
        sys.exit(f"s3_fixture: no s3rver at {args.s3rver}; run `make deps` (it installs it)")
    # A fresh store each run: what an earlier run left must not answer this one's listings.
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir, exist_ok=True)
    log = open(os.path.join(args.dir, "..", "s3-fixture.log"), "ab")
    s3port, proxyport = free_port(), free_port()
    s3 = subprocess.Popen(["node", "--openssl-legacy-provider", args.s3rver, "-d", args.dir,
                           "-a", "127.0.0.1", "-p", str(s3port), "-s"],
                          stdout=log, stderr=log, start_new_session=True)
    proxy = subprocess.Popen([sys.executable, os.path.abspath(__file__), "proxy",
                              "--port", str(proxyport), "--upstream", str(s3port),
                              "--region", args.region, "--access-key", args.access_key,
                              "--secret", args.secret],
                             stdout=log, stderr=log, start_new_session=True)
    if not (wait_for(s3port) and wait_for(proxyport)):
        for p in (s3, proxy):
            p.kill()
        sys.exit("s3_fixture: the servers did not start (see s3-fixture.log)")
    create_buckets(s3port, args.bucket)
    with open(args.state, "w") as f:
        json.dump({"endpoint": f"http://127.0.0.1:{proxyport}",
                   "direct": f"http://127.0.0.1:{s3port}", "region": args.region,
                   "access_key": args.access_key, "secret": args.secret,
                   "pids": [s3.pid, proxy.pid]}, f)
    print(f"s3_fixture: s3rver on {s3port}, proxy on {proxyport}")


def stop(args):
    try:
        with open(args.state) as f:
            pids = json.load(f)["pids"]
    except FileNotFoundError:
        return
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid in pids:
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    os.remove(args.state)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("start")
    st.add_argument("--state", required=True)
    st.add_argument("--dir", required=True)
    st.add_argument("--s3rver", required=True)
    st.add_argument("--bucket", action="append", default=[])
    sp = sub.add_parser("stop")
    sp.add_argument("--state", required=True)
    px = sub.add_parser("proxy")
    px.add_argument("--port", type=int, required=True)
    px.add_argument("--upstream", type=int, required=True)
    for p in (st, px):
        p.add_argument("--region", default="us-east-1")
        p.add_argument("--access-key", default="S3RVER")
        p.add_argument("--secret", default="S3RVER")
    args = ap.parse_args()
    {"start": start, "stop": stop, "proxy": run_proxy}[args.cmd](args)


if __name__ == "__main__":
    main()
