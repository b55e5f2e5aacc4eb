#!/usr/bin/python3
"""Multipart checks with boto3, for tests/integration/client_multipart.sh.

Run with Debian's /usr/bin/python3 (python3-boto3). Prints one line per check ("ok
NAME", "FAIL NAME: detail", "skip NAME: reason") like s3_boto3.py, whose helpers it
uses; exits 0 unless the script itself could not run.

usage: s3_multipart.py --endpoint URL --access-key AK --secret-key SK [--region R]
                       --bucket PREFIX --big FILE
  --bucket PREFIX  buckets PREFIX, PREFIX-lp and PREFIX-lmu are created and removed
  --big FILE       a file of at least 15 MiB + 1 byte (run.sh's 20 MiB file)

Checks:
  - upload_file with TransferConfig(multipart_threshold=5 MiB, multipart_chunksize=5 MiB):
    ETag is the MD5 of the part MD5s "-N"; downloaded whole and with ranged GETs,
    compared by sha256.
  - GET/HEAD ?partNumber=N: the bytes and length of part N, Content-Range,
    x-amz-mp-parts-count; a part number past the last is refused.
  - ListParts over 5 parts by pages of 2 (max-parts, part-number-marker): exact parts,
    ETags, sizes, markers and IsTruncated on every page; a re-uploaded part replaces
    the old one; Abort then NoSuchUpload.
  - ListMultipartUploads over 3 uploads by pages of 1 (max-uploads, key-marker,
    upload-id-marker), then with prefix and delimiter: exact contents of every page.
"""
import argparse
import hashlib
import sys
import traceback

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from s3_boto3 import check, expect_error, no_expect_on_empty_body

MiB = 1024 * 1024


def md5hex(b):
    return hashlib.md5(b).hexdigest()


def mp_etag(data, part_size):
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    return "%s-%d" % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(),
                      len(parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--big", required=True)
    a = ap.parse_args()

    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                 retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=300,
                 max_pool_connections=16)
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=a.endpoint, aws_access_key_id=a.access_key,
        aws_secret_access_key=a.secret_key, region_name=a.region, config=cfg)
    s3.meta.events.register("before-send.s3", no_expect_on_empty_body)
    big = open(a.big, "rb").read()
    B, LP, LMU = a.bucket, a.bucket + "-lp", a.bucket + "-lmu"
    for b in (B, LP, LMU):
        check("create_bucket " + b, lambda b=b: s3.create_bucket(Bucket=b) and None)

    # ---- upload_file in 5 MiB parts ------------------------------------------------------
    tc = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    nparts = (len(big) + 5 * MiB - 1) // (5 * MiB)

    def upload():
        s3.upload_file(a.big, B, "mp.bin", Config=tc)
        h = s3.head_object(Bucket=B, Key="mp.bin")
        want = mp_etag(big, 5 * MiB)
        if h["ETag"].strip('"') != want:
            return "ETag %s, expected %s" % (h["ETag"], want)
        if h["ContentLength"] != len(big):
            return "ContentLength %r" % h["ContentLength"]
        return None

    check("upload_file %d MiB in %d parts of 5 MiB, ETag md5-of-md5s-%d" % (len(big) // MiB, nparts, nparts),
          upload)

    def get_whole():
        r = s3.get_object(Bucket=B, Key="mp.bin")
        h = hashlib.sha256()
        for chunk in iter(lambda: r["Body"].read(MiB), b""):
            h.update(chunk)
        return None if h.hexdigest() == hashlib.sha256(big).hexdigest() else "sha256 differs"

    check("GET whole multipart object, sha256 equal", get_whole)

    def download_file():
        out = a.big + ".mp.down"
        s3.download_file(B, "mp.bin", out, Config=tc)
        return None if open(out, "rb").read() == big else "downloaded bytes differ"

    check("download_file (ranged GETs of 5 MiB), bytes equal", download_file)

    # ---- GET/HEAD ?partNumber -------------------------------------------------------------
    def part_get(n):
        r = s3.get_object(Bucket=B, Key="mp.bin", PartNumber=n)
        got = r["Body"].read()
        lo = (n - 1) * 5 * MiB
        want = big[lo:lo + 5 * MiB]
        if got != want:
            return "%d bytes, expected %d (bytes differ)" % (len(got), len(want))
        st = r["ResponseMetadata"]["HTTPStatusCode"]
        if st != 206:
            return "status %d != 206" % st
        if r.get("PartsCount") != nparts:
            return "x-amz-mp-parts-count %r != %d" % (r.get("PartsCount"), nparts)
        cr = "bytes %d-%d/%d" % (lo, lo + len(want) - 1, len(big))
        if r.get("ContentRange") != cr:
            return "Content-Range %r != %r" % (r.get("ContentRange"), cr)
        if r["ContentLength"] != len(want):
            return "Content-Length %r" % r["ContentLength"]
        return None

    check("GET partNumber=2 -> the bytes of part 2, 206, Content-Range, parts count", lambda: part_get(2))
    check("GET partNumber=%d (the last) -> the bytes of the last part" % nparts, lambda: part_get(nparts))

    def part_head():
        h = s3.head_object(Bucket=B, Key="mp.bin", PartNumber=nparts)
        want = len(big) - (nparts - 1) * 5 * MiB
        if h["ContentLength"] != want or h.get("PartsCount") != nparts:
            return "ContentLength %r PartsCount %r, expected %d %d" % (
                h["ContentLength"], h.get("PartsCount"), want, nparts)
        return None

    check("HEAD partNumber=%d -> the length of that part, parts count" % nparts, part_head)
    check("GET partNumber=%d (past the last) -> 416 InvalidPartNumber" % (nparts + 1),
          lambda: expect_error(lambda: s3.get_object(Bucket=B, Key="mp.bin", PartNumber=nparts + 1),
                               416, "InvalidPartNumber"))
    check("GET partNumber=0 -> 400 InvalidArgument",
          lambda: expect_error(lambda: s3.get_object(Bucket=B, Key="mp.bin", PartNumber=0),
                               400, "InvalidArgument"))

    # ---- ListParts pagination -------------------------------------------------------------
    key = "lp/obj"
    state = {}

    def lp_setup():
        up = s3.create_multipart_upload(Bucket=LP, Key=key)["UploadId"]
        state["id"] = up
        state["bodies"] = {}
        for n in range(1, 6):
            body = (("part %d " % n) * 1000).encode()[:n * 1000 + 7]
            r = s3.upload_part(Bucket=LP, Key=key, UploadId=up, PartNumber=n, Body=body)
            if r["ETag"].strip('"') != md5hex(body):
                return "part %d ETag %s != md5 %s" % (n, r["ETag"], md5hex(body))
            state["bodies"][n] = body
        return None

    check("ListParts setup, upload 5 parts", lp_setup)

    def lp_page(marker, want_nums, want_trunc, want_next):
        kw = {"MaxParts": 2}
        if marker is not None:
            kw["PartNumberMarker"] = marker
        r = s3.list_parts(Bucket=LP, Key=key, UploadId=state["id"], **kw)
        parts = [(p["PartNumber"], p["ETag"].strip('"'), p["Size"]) for p in r.get("Parts", [])]
        want = [(n, md5hex(state["bodies"][n]), len(state["bodies"][n])) for n in want_nums]
        if parts != want:
            return "parts %r, expected %r" % (parts, want)
        if r.get("IsTruncated") != want_trunc:
            return "IsTruncated %r" % r.get("IsTruncated")
        if want_next is not None and r.get("NextPartNumberMarker") != want_next:
            return "NextPartNumberMarker %r != %r" % (r.get("NextPartNumberMarker"), want_next)
        if r.get("MaxParts") != 2:
            return "MaxParts %r" % r.get("MaxParts")
        if r.get("PartNumberMarker", 0) != (marker or 0):
            return "PartNumberMarker %r != %r" % (r.get("PartNumberMarker"), marker)
        if r.get("Key") != key or r.get("UploadId") != state["id"]:
            return "Key %r UploadId %r" % (r.get("Key"), r.get("UploadId"))
        return None

    if "id" in state:
        check("ListParts max-parts=2 page 1 = parts 1,2, truncated, next marker 2",
              lambda: lp_page(None, [1, 2], True, 2))
        check("ListParts part-number-marker=2 page 2 = parts 3,4, truncated, next marker 4",
              lambda: lp_page(2, [3, 4], True, 4))
        check("ListParts part-number-marker=4 page 3 = part 5, not truncated",
              lambda: lp_page(4, [5], False, 5))
        check("ListParts part-number-marker=5 = no parts, not truncated",
              lambda: lp_page(5, [], False, None))

        def lp_paginator():
            nums = []
            pages = 0
            for page in s3.get_paginator("list_parts").paginate(
                    Bucket=LP, Key=key, UploadId=state["id"], PaginationConfig={"PageSize": 2}):
                pages += 1
                nums += [p["PartNumber"] for p in page.get("Parts", [])]
                if pages > 10:
                    return "more than 10 pages"
            return None if nums == [1, 2, 3, 4, 5] and pages == 3 else "parts %r in %d pages" % (nums, pages)

        check("ListParts paginator (PageSize 2) = 5 parts in 3 pages", lp_paginator)

        def lp_replace():
            body = b"replaced part three" * 100
            s3.upload_part(Bucket=LP, Key=key, UploadId=state["id"], PartNumber=3, Body=body)
            state["bodies"][3] = body
            return lp_page(2, [3, 4], True, 4)

        check("ListParts after re-uploading part 3 shows the new ETag and size", lp_replace)

        def lp_abort():
            s3.abort_multipart_upload(Bucket=LP, Key=key, UploadId=state["id"])
            r = expect_error(lambda: s3.list_parts(Bucket=LP, Key=key, UploadId=state["id"]),
                             404, "NoSuchUpload")
            if r:
                return "ListParts after Abort: " + r
            r = expect_error(lambda: s3.upload_part(Bucket=LP, Key=key, UploadId=state["id"],
                                                    PartNumber=6, Body=b"late"), 404, "NoSuchUpload")
            if r:
                return "UploadPart after Abort: " + r
            if s3.list_multipart_uploads(Bucket=LP).get("Uploads"):
                return "uploads still listed"
            return expect_error(lambda: s3.head_object(Bucket=LP, Key=key), 404, None)

        check("Abort, then ListParts and UploadPart -> NoSuchUpload, nothing listed or published", lp_abort)

    # ---- ListMultipartUploads pagination ------------------------------------------------
    ids = {}

    def create(k):
        up = s3.create_multipart_upload(Bucket=LMU, Key=k)["UploadId"]
        ids.setdefault(k, []).append(up)
        return up

    def lmu_setup():
        # created in this order: ids of one key sort by initiation (S3 order)
        for k in ["lmu/a", "lmu/a", "lmu/b"]:
            create(k)
        a_ids = ids["lmu/a"]
        return None if a_ids[0] < a_ids[1] else "upload ids not in initiation order: %r" % a_ids

    check("ListMultipartUploads setup, create 3 uploads (2 of one key)", lmu_setup)

    def uploads(r):
        return [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]

    def lmu_page(want, trunc, next_key, next_id, **kw):
        r = s3.list_multipart_uploads(Bucket=LMU, MaxUploads=1, **kw)
        if uploads(r) != want:
            return "uploads %r, expected %r" % (uploads(r), want)
        if r.get("IsTruncated") != trunc:
            return "IsTruncated %r" % r.get("IsTruncated")
        if trunc and (r.get("NextKeyMarker") != next_key or r.get("NextUploadIdMarker") != next_id):
            return "NextKeyMarker %r NextUploadIdMarker %r, expected %r %r" % (
                r.get("NextKeyMarker"), r.get("NextUploadIdMarker"), next_key, next_id)
        if r.get("MaxUploads") != 1:
            return "MaxUploads %r" % r.get("MaxUploads")
        return None

    if len(ids.get("lmu/a", [])) == 2 and ids.get("lmu/b"):
        a1, a2 = ids["lmu/a"]
        b1 = ids["lmu/b"][0]
        check("ListMultipartUploads max-uploads=1 page 1 = (lmu/a, first id), truncated",
              lambda: lmu_page([("lmu/a", a1)], True, "lmu/a", a1))
        check("ListMultipartUploads key-marker+upload-id-marker page 2 = (lmu/a, second id)",
              lambda: lmu_page([("lmu/a", a2)], True, "lmu/a", a2, KeyMarker="lmu/a", UploadIdMarker=a1))
        check("ListMultipartUploads page 3 = (lmu/b), not truncated",
              lambda: lmu_page([("lmu/b", b1)], False, None, None, KeyMarker="lmu/a", UploadIdMarker=a2))
        check("ListMultipartUploads key-marker alone skips every upload of that key",
              lambda: lmu_page([("lmu/b", b1)], False, None, None, KeyMarker="lmu/a"))

        def lmu_paginator():
            got = []
            pages = 0
            for page in s3.get_paginator("list_multipart_uploads").paginate(
                    Bucket=LMU, PaginationConfig={"PageSize": 1}):
                pages += 1
                got += uploads(page)
                if pages > 10:
                    return "more than 10 pages"
            want = [("lmu/a", a1), ("lmu/a", a2), ("lmu/b", b1)]
            return None if got == want and pages == 3 else "%r in %d pages" % (got, pages)

        check("ListMultipartUploads paginator (PageSize 1) = 3 uploads in 3 pages, S3 order", lmu_paginator)

        def lmu_delim():
            for k in ["lmu/x/1", "lmu/x/2", "lmu/c", "other"]:
                create(k)
            c1, o1 = ids["lmu/c"][0], ids["other"][0]
            r = s3.list_multipart_uploads(Bucket=LMU, Prefix="lmu/", Delimiter="/")
            want = [("lmu/a", a1), ("lmu/a", a2), ("lmu/b", b1), ("lmu/c", c1)]
            cps = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
            if uploads(r) != want or cps != ["lmu/x/"] or r.get("IsTruncated"):
                return "prefix lmu/ delimiter /: uploads %r prefixes %r truncated %r" % (
                    uploads(r), cps, r.get("IsTruncated"))
            r = s3.list_multipart_uploads(Bucket=LMU, Prefix="lmu/x/")
            want = [("lmu/x/1", ids["lmu/x/1"][0]), ("lmu/x/2", ids["lmu/x/2"][0])]
            if uploads(r) != want or r.get("CommonPrefixes"):
                return "prefix lmu/x/: uploads %r prefixes %r" % (uploads(r), r.get("CommonPrefixes"))
            r = s3.list_multipart_uploads(Bucket=LMU, Delimiter="/")
            cps = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
            if uploads(r) != [("other", o1)] or cps != ["lmu/"]:
                return "delimiter / at the root: uploads %r prefixes %r" % (uploads(r), cps)
            # pages of 2 with prefix and delimiter: a common prefix takes one place
            pages = []
            kw = {}
            for _ in range(5):
                r = s3.list_multipart_uploads(Bucket=LMU, Prefix="lmu/", Delimiter="/", MaxUploads=2, **kw)
                pages.append((uploads(r), [p["Prefix"] for p in r.get("CommonPrefixes", [])],
                              r.get("IsTruncated")))
                if not r.get("IsTruncated"):
                    break
                kw = {"KeyMarker": r["NextKeyMarker"], "UploadIdMarker": r.get("NextUploadIdMarker", "")}
            want = [([("lmu/a", a1), ("lmu/a", a2)], [], True),
                    ([("lmu/b", b1), ("lmu/c", c1)], [], True),
                    ([], ["lmu/x/"], False)]
            return None if pages == want else "pages %r, expected %r" % (pages, want)

        check("ListMultipartUploads prefix+delimiter = exact uploads and common prefixes, also by pages of 2",
              lmu_delim)

    # ---- clean up -----------------------------------------------------------------------
    def cleanup():
        for k, lst in ids.items():
            for up in lst:
                s3.abort_multipart_upload(Bucket=LMU, Key=k, UploadId=up)
        left = s3.list_multipart_uploads(Bucket=LMU).get("Uploads", [])
        if left:
            return "uploads left after Abort: %r" % uploads({"Uploads": left})
        s3.delete_object(Bucket=B, Key="mp.bin")
        for b in (B, LP, LMU):
            s3.delete_bucket(Bucket=b)
        return None

    check("abort every upload, delete the buckets", cleanup)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - the script itself broke: one failure, with the trace
        traceback.print_exc()
        print("FAIL s3_multipart.py crashed", flush=True)
    sys.exit(0)
