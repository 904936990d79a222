#!/usr/bin/env python3
"""The proxy's SigV4 check (s3_fixture.py) against AWS's published example for S3 (GET Object
with a Range header, "Signature Calculations for the Authorization Header"), so that a request
it accepts is one S3 would accept."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3_fixture import canonical_request, check_signature, signature  # noqa: E402

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
headers = {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
           "x-amz-content-sha256": EMPTY, "x-amz-date": "20130524T000000Z"}
signed = ["host", "range", "x-amz-content-sha256", "x-amz-date"]
creq = canonical_request("GET", "/test.txt", "", headers, signed)
got = signature(SECRET, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", creq)
want = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
assert got == want, f"GET Object example: {got} != {want}"

# The same request as it arrives, with its Authorization header: accepted; with one byte of the
# signature, the secret, the range or the query changed: refused.
auth = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        f"SignedHeaders={';'.join(signed)},Signature={want}")
h = dict(headers, authorization=auth)
ok = check_signature("GET", "/test.txt", "", h, "AKIAIOSFODNN7EXAMPLE", SECRET, "us-east-1")
assert ok is None, ok
assert check_signature("GET", "/test.txt", "", h, "AKIAIOSFODNN7EXAMPLE", SECRET + "x",
                       "us-east-1") is not None
assert check_signature("GET", "/test.txt", "", dict(h, range="bytes=0-8"),
                       "AKIAIOSFODNN7EXAMPLE", SECRET, "us-east-1") is not None
assert check_signature("GET", "/test.txt", "a=1", h, "AKIAIOSFODNN7EXAMPLE", SECRET,
                       "us-east-1") is not None
# A query signed unsorted cannot match what S3 rebuilds (sorted): order is part of the check.
c1 = canonical_request("GET", "/b", "prefix=x&list-type=2", headers, signed)
c2 = canonical_request("GET", "/b", "list-type=2&prefix=x", headers, signed)
assert c1 == c2 and "list-type=2&prefix=x" in c1
# Keys are encoded once, '/' kept; a space is %20, never '+'.
assert canonical_request("GET", "/b/a%20b/c", "", headers, signed).split("\n")[1] == "/b/a%20b/c"
print("1 passed, 0 failed")
