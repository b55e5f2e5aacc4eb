#!/usr/bin/python3
"""fullfs.py - s3cgi on a full filesystem (a small tmpfs or loop-mounted ext4 data root).

    fullfs.py --endpoint URL --access-key AK --secret-key SK --region R --root DIR
              [--log-dir DIR] [--bucket B]

DIR is the data root as this process can reach it (the harness mounts the filesystem
in a private mount namespace and passes /proc/PID/root/...). Uploads that run out of
space (PutObject, UploadPart, CompleteMultipartUpload, CopyObject) must get a clean S3
error (507 InsufficientStorage, or 500 with a line in the server log), leave nothing
visible (GET 404, not listed) and give their space back; deleting works on a full disk;
after space is freed the same upload completes and everything works again.
Prints ok/FAIL lines (lib.sh count_results).
"""
import argparse
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3h import Endpoint, bad, note, ok  # noqa: E402

MiB = 1 << 20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--root", required=True)
    ap.add_argument("--log-dir", default="")
    ap.add_argument("--bucket", default="hard-full")
    a = ap.parse_args()
    ep = Endpoint(a.endpoint, a.access_key, a.secret_key, a.region)
    B, root = a.bucket, a.root
    ballast = os.path.join(root, "ballast.bin")      # files in the root are not objects

    def fs():
        s = os.statvfs(root)
        return s.f_blocks * s.f_frsize, (s.f_blocks - s.f_bfree) * s.f_frsize, s.f_bavail * s.f_frsize

    def logged_enospc():
        for f in glob.glob(os.path.join(a.log_dir, "*.log")) if a.log_dir else []:
            try:
                if re.search(r"No space|ENOSPC|InsufficientStorage|storage is full", open(f, errors="replace").read()):
                    return True
            except OSError:
                pass
        return False

    def clean_error(name, r):
        if r.status == 507 and r.code() == "InsufficientStorage":
            return True
        if r.status == 500 and r.code() == "InternalError" and logged_enospc():
            return True
        bad(name, "expected 507 InsufficientStorage (or 500 with a log line), got %r" % r)
        return False

    def not_visible(name, key):
        g = ep.get(B, key)
        keys = ep.list_keys(B) or []
        if g.status == 404 and key not in keys:
            return True
        bad(name + ": nothing visible", "GET %r; listed %s" % (g, key in keys))
        return False

    def no_temp(name):
        tmp = []
        t = os.path.join(root, ".s3cgi", "tmp")
        if os.path.isdir(t):
            tmp = os.listdir(t)
        stray = [os.path.join(dp, f) for dp, _, fn in os.walk(os.path.join(root, B)) for f in fn
                 if f.startswith(".s3cgi-tmp-")]
        if tmp or stray:
            bad(name + ": no temp file left", "%s %s" % (tmp[:3], stray[:3]))
            return False
        return True

    def fill(leave):
        """Ballast so that about `leave` bytes stay free."""
        if os.path.exists(ballast):
            os.unlink(ballast)
        free = fs()[2]
        n = max(0, free - leave)
        with open(ballast, "wb") as f:
            chunk = b"\0" * MiB
            while n > 0:
                try:
                    f.write(chunk[:min(n, MiB)])
                    f.flush()
                except OSError:
                    break
                n -= min(n, MiB)
        return fs()[2]

    total, used0, free0 = fs()
    note("fullfs: data root %s: %d KiB, %d KiB free" % (root, total >> 10, free0 >> 10))
    if ep.request("PUT", "/" + B).status != 200:
        bad("fullfs: create bucket", "failed")
        return 1
    keep = os.urandom(1000)
    mid = os.urandom(MiB)
    if ep.put(B, "keep", keep).status != 200 or ep.put(B, "mid", mid).status != 200:
        bad("fullfs: first PUTs", "failed")
        return 1
    ok("fullfs: bucket and two objects on the small filesystem")

    # 1. a single PUT larger than the filesystem
    before = fs()[1]
    big = os.urandom(total + MiB)
    r = ep.put(B, "too-big", big)
    name = "fullfs: PUT of %d KiB on a %d KiB filesystem" % (len(big) >> 10, total >> 10)
    if clean_error(name, r) and not_visible(name, "too-big") and no_temp(name):
        ok(name + " -> %r, nothing visible, no temp file" % r)
    after = fs()[1]
    if after <= before + 256 * 1024:
        ok("fullfs: the failed PUT gave its space back (%d KiB used before, %d after)" % (before >> 10, after >> 10))
    else:
        bad("fullfs: the failed PUT gave its space back", "%d KiB used before, %d after" % (before >> 10,
                                                                                             after >> 10))

    # 2. multipart: a part that does not fit, a Complete that does not fit
    free = fill(int(2.2 * MiB))
    note("fullfs: ballast leaves %d KiB free" % (free >> 10))
    r = ep.request("POST", "/%s/mp" % B, query="uploads")
    m = re.search(rb"<UploadId>(.*?)</UploadId>", r.body or b"")
    if not m:
        bad("fullfs: CreateMultipartUpload with 2 MiB free", r)
        return 1
    uid = m.group(1).decode()
    p1 = os.urandom(int(1.5 * MiB))
    r = ep.request("PUT", "/%s/mp" % B, query="partNumber=1&uploadId=" + uid, body=p1)
    etag1 = r.headers.get("etag")
    if r.status == 200 and etag1:
        ok("fullfs: UploadPart 1 (1.5 MiB) fits")
    else:
        bad("fullfs: UploadPart 1 (1.5 MiB) fits", r)
        return 1
    before = fs()[1]
    r = ep.request("PUT", "/%s/mp" % B, query="partNumber=2&uploadId=" + uid, body=os.urandom(3 * MiB))
    name = "fullfs: UploadPart 2 (3 MiB) with %d KiB free" % (fs()[2] >> 10)
    if clean_error(name, r):
        lp = ep.request("GET", "/%s/mp" % B, query="uploadId=" + uid)
        nums = re.findall(rb"<PartNumber>(\d+)</PartNumber>", lp.body or b"")
        sizes = re.findall(rb"<Size>(\d+)</Size>", lp.body or b"")
        if lp.status == 200 and nums == [b"1"] and sizes == [str(len(p1)).encode()]:
            ok(name + " -> %r; ListParts shows part 1 only, whole" % r)
        else:
            bad(name + ": ListParts shows part 1 only", "%r %s %s" % (lp, nums, sizes))
    if fs()[1] <= before + 256 * 1024:
        ok("fullfs: the failed part gave its space back")
    else:
        bad("fullfs: the failed part gave its space back", "%d KiB used before, %d after" % (
            before >> 10, fs()[1] >> 10))
    free = fill(int(0.5 * MiB))
    complete = (b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
                b"</CompleteMultipartUpload>" % etag1.encode())
    r = ep.request("POST", "/%s/mp" % B, query="uploadId=" + uid, body=complete)
    name = "fullfs: CompleteMultipartUpload of 1.5 MiB with %d KiB free" % (free >> 10)
    if clean_error(name, r) and not_visible(name, "mp") and no_temp(name):
        ok(name + " -> %r, nothing visible" % r)

    # 3. PUT and CopyObject with too little room
    r = ep.put(B, "nospace", os.urandom(MiB))
    name = "fullfs: PUT of 1 MiB with %d KiB free" % (fs()[2] >> 10)
    if clean_error(name, r) and not_visible(name, "nospace") and no_temp(name):
        ok(name + " -> %r, nothing visible" % r)
    r = ep.request("PUT", "/%s/mid-copy" % B, headers={"x-amz-copy-source": "/%s/mid" % B})
    name = "fullfs: CopyObject of 1 MiB with %d KiB free" % (fs()[2] >> 10)
    if clean_error(name, r) and not_visible(name, "mid-copy") and no_temp(name):
        ok(name + " -> %r, nothing visible" % r)

    # 4. completely full: small PUT refused, DELETE still works
    fill(0)
    r = ep.put(B, "tiny", b"x" * 5000)
    name = "fullfs: PUT of 5000 bytes with %d KiB free" % (fs()[2] >> 10)
    if clean_error(name, r) and not_visible(name, "tiny"):
        ok(name + " -> %r" % r)
    r = ep.delete(B, "keep")
    if r.status == 204 and ep.get(B, "keep").status == 404:
        ok("fullfs: DELETE works on a full filesystem")
    else:
        bad("fullfs: DELETE works on a full filesystem", r)
    g = ep.get(B, "mid")
    if g.status == 200 and g.body == mid:
        ok("fullfs: GET works on a full filesystem and the old object is intact")
    else:
        bad("fullfs: GET on a full filesystem", g)

    # 5. space freed: the same upload completes, everything works
    os.unlink(ballast)
    note("fullfs: ballast removed, %d KiB free" % (fs()[2] >> 10))
    r = ep.request("POST", "/%s/mp" % B, query="uploadId=" + uid, body=complete)
    g = ep.get(B, "mp")
    if r.status == 200 and g.status == 200 and g.body == p1:
        ok("fullfs: after freeing space, the same upload completes and reads back")
    else:
        bad("fullfs: after freeing space, the same upload completes", "Complete %r, GET %r" % (r, g))
    for key, body in [("nospace", os.urandom(MiB)), ("tiny", b"x" * 5000), ("keep", keep)]:
        r = ep.put(B, key, body)
        g = ep.get(B, key)
        if r.status == 200 and g.body == body:
            ok("fullfs: after freeing space, PUT %s works" % key)
        else:
            bad("fullfs: after freeing space, PUT %s works" % key, "%r / %r" % (r, g))
    r = ep.request("PUT", "/%s/mid-copy" % B, headers={"x-amz-copy-source": "/%s/mid" % B})
    g = ep.get(B, "mid-copy")
    if r.status == 200 and g.body == mid:
        ok("fullfs: after freeing space, CopyObject works")
    else:
        bad("fullfs: after freeing space, CopyObject works", "%r / %r" % (r, g))
    keys = sorted(ep.list_keys(B) or [])
    want = sorted(["keep", "mid", "mid-copy", "mp", "nospace", "tiny"])
    if keys == want:
        ok("fullfs: listing holds exactly the objects that were acknowledged")
    else:
        bad("fullfs: listing holds exactly the acknowledged objects", "%s, want %s" % (keys, want))
    if no_temp("fullfs: at the end"):
        ok("fullfs: no temp file anywhere at the end")
    for k in want:
        ep.delete(B, k)
    r = ep.request("DELETE", "/" + B)
    if r.status == 204:
        ok("fullfs: bucket deleted at the end")
    else:
        bad("fullfs: bucket deleted at the end", r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
