#!/usr/bin/python3
"""conc.py - concurrency checks against an s3cgi endpoint.

    conc.py --endpoint URL --access-key AK --secret-key SK --region R --root DIR [--bucket B]
            [--seconds S]

1. 16 writers PUT different self-describing bodies to one key, 4 times each, while 4
   readers GET it: every 200 is exactly one whole body a writer (or the initial PUT)
   sent, with an ETag that is the MD5 of those bytes and a matching Content-Length; the
   final object is one of the acknowledged bodies; the listing shows one key of its size.
2. 16 clients race If-None-Match: * creates of one fresh key (5 keys): exactly one
   200, every other 412 PreconditionFailed, and the stored body is the winner's.
3. PUT/GET/DELETE cycles of many keys in one directory a/b/c (and a/b/c/d/e) from 8
   threads while 8 more delete there (keys of their own, and keys that never existed):
   never a 5xx, every PUT is 200 and its object reads back whole right after (the
   parents were not removed under it), and at the end nothing is left: no keys, no
   directories on disk.
Prints ok/FAIL lines (lib.sh count_results).
"""
import argparse
import hashlib
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3h import Endpoint, bad, body_whole, make_body, note, ok, sha  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--root", required=True)
    ap.add_argument("--bucket", default="hard-conc")
    ap.add_argument("--seconds", type=float, default=25, help="bound of each phase")
    a = ap.parse_args()
    ep = Endpoint(a.endpoint, a.access_key, a.secret_key, a.region)
    B = a.bucket
    r = ep.request("PUT", "/" + B)
    if r.status != 200:
        bad("conc: create bucket", r)
        return 1
    one_key(ep, B, a.seconds)
    cond_create(ep, B)
    dir_race(ep, B, a.root, a.seconds)
    # clean up
    for k in ep.list_keys(B) or []:
        ep.delete(B, k)
    r = ep.request("DELETE", "/" + B)
    if r.status == 204:
        ok("conc: bucket empty and deleted at the end")
    else:
        bad("conc: bucket deleted at the end", r)
    return 0


def one_key(ep, B, seconds):
    K = "one/key"
    init = make_body(300000)
    if ep.put(B, K, init).status != 200:
        bad("conc 1: initial PUT", "failed")
        return
    bodies = [make_body(random.randint(200000, 2000000)) for _ in range(16)]
    known = {sha(b): b for b in bodies + [init]}
    md5s = {sha(b): hashlib.md5(b).hexdigest() for b in known.values()}
    acked, put_errors, read_errors = set([sha(init)]), [], []
    reads = {"n": 0, "200": 0}
    done = threading.Event()
    lock = threading.Lock()
    deadline = time.time() + seconds * 2

    def writer(i):
        for _ in range(4):
            if time.time() > deadline:
                return
            r = ep.put(B, K, bodies[i])
            with lock:
                if r.status == 200:
                    acked.add(sha(bodies[i]))
                    if r.headers.get("etag", "").strip('"') != md5s[sha(bodies[i])]:
                        put_errors.append("writer %d: ETag %s" % (i, r.headers.get("etag")))
                else:
                    put_errors.append("writer %d: %r" % (i, r))

    def reader():
        while not done.is_set() and time.time() < deadline:
            r = ep.get(B, K)
            with lock:
                reads["n"] += 1
                if r.status != 200:
                    read_errors.append(repr(r))
                    continue
                reads["200"] += 1
                s = sha(r.body)
                if s not in known or not body_whole(r.body):
                    read_errors.append("GET returned %d bytes that no writer sent (whole: %s)" % (
                        len(r.body), body_whole(r.body)))
                elif r.headers.get("etag", "").strip('"') != md5s[s]:
                    read_errors.append("ETag %s does not belong to the bytes returned" % r.headers.get("etag"))
                elif int(r.headers.get("content-length", -1)) != len(r.body):
                    read_errors.append("Content-Length %s for %d bytes" % (r.headers.get("content-length"),
                                                                           len(r.body)))
    ws = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    rs = [threading.Thread(target=reader) for _ in range(4)]
    for t in rs + ws:
        t.start()
    for t in ws:
        t.join()
    done.set()
    for t in rs:
        t.join()
    name = "conc 1: 16 writers x4 PUT one key, 4 readers"
    if put_errors:
        bad(name + ": every PUT 200 with its MD5 ETag", "; ".join(put_errors[:5]))
    else:
        ok(name + ": all 64 PUTs answered 200 with the body's MD5 as ETag")
    if read_errors:
        bad(name + ": every read is one whole body a writer sent", "%d of %d reads: %s" % (
            len(read_errors), reads["n"], "; ".join(read_errors[:4])))
    else:
        ok(name + ": %d reads, each one whole body a writer sent (ETag and length consistent)" % reads["n"])
    r = ep.get(B, K)
    if r.status == 200 and sha(r.body) in acked and sha(r.body) != sha(init):
        ok(name + ": final object is one writer's acknowledged body")
    else:
        bad(name + ": final object is one writer's acknowledged body", "%r, %d bytes" % (r, len(r.body)))
    keys = ep.list_keys(B, "one/")
    if keys == [K]:
        ok(name + ": listing shows exactly the one key")
    else:
        bad(name + ": listing shows exactly the one key", keys)
    ep.delete(B, K)


def cond_create(ep, B):
    for round_ in range(5):
        K = "cond/key-%d-%d" % (round_, random.randint(0, 1 << 30))
        bodies = [make_body(random.randint(1000, 300000)) for _ in range(16)]
        results = [None] * 16
        barrier = threading.Barrier(16)

        def client(i):
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            results[i] = ep.put(B, K, bodies[i], headers={"if-none-match": "*"})
        ts = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wins = [i for i, r in enumerate(results) if r.status == 200]
        lost = [i for i, r in enumerate(results) if r.status == 412 and r.code() == "PreconditionFailed"]
        other = [repr(r) for r in results if r.status not in (200, 412)]
        name = "conc 2: 16 racing If-None-Match:* creates (round %d)" % (round_ + 1)
        if len(wins) == 1 and len(lost) == 15:
            g = ep.get(B, K)
            if g.status == 200 and g.body == bodies[wins[0]]:
                ok(name + ": one 200, fifteen 412, the winner's body stored")
            else:
                bad(name + ": the winner's body stored", "%r" % g)
        else:
            bad(name + ": exactly one 200 and fifteen 412", "200 x%d, 412 x%d, other: %s" % (
                len(wins), len(lost), other[:4]))
        ep.delete(B, K)


def dir_race(ep, B, root, seconds):
    lock = threading.Lock()
    stats = {"put": 0, "get": 0, "del": 0, "5xx": [], "put_fail": [], "lost": [], "del_fail": []}
    deadline = time.time() + seconds
    dirs = ["a/b/c", "a/b/c/d/e", "a/b/x"]

    def putter(t):
        n = 0
        while time.time() < deadline and n < 150:
            n += 1
            d = dirs[n % len(dirs)]
            k = "%s/p%d-%d" % (d, t, n)
            body = make_body(random.randint(100, 20000))
            r = ep.put(B, k, body)
            with lock:
                stats["put"] += 1
                if r.status is None or r.status >= 500:
                    stats["5xx"].append("PUT %s: %r" % (k, r))
                if r.status != 200:
                    stats["put_fail"].append("PUT %s: %r" % (k, r))
                    continue
            g = ep.get(B, k)
            with lock:
                stats["get"] += 1
                if g.status is None or g.status >= 500:
                    stats["5xx"].append("GET %s: %r" % (k, g))
                if g.status != 200 or g.body != body:
                    stats["lost"].append("PUT %s answered 200, then GET %r" % (k, g))
            r = ep.delete(B, k)
            with lock:
                stats["del"] += 1
                if r.status is None or r.status >= 500:
                    stats["5xx"].append("DELETE %s: %r" % (k, r))
                elif r.status != 204:
                    stats["del_fail"].append("DELETE %s: %r" % (k, r))

    def deleter(t):
        n = 0
        while time.time() < deadline and n < 300:
            n += 1
            d = dirs[n % len(dirs)]
            if n % 2:
                k = "%s/d%d-%d" % (d, t, n)
                r = ep.put(B, k, b"short-lived")
                with lock:
                    stats["put"] += 1
                    if r.status is None or r.status >= 500:
                        stats["5xx"].append("PUT %s: %r" % (k, r))
                    elif r.status != 200:
                        stats["put_fail"].append("PUT %s: %r" % (k, r))
            else:
                k = "%s/never-%d-%d" % (d, t, n)
            r = ep.delete(B, k)
            with lock:
                stats["del"] += 1
                if r.status is None or r.status >= 500:
                    stats["5xx"].append("DELETE %s: %r" % (k, r))
                elif r.status != 204:
                    stats["del_fail"].append("DELETE %s: %r" % (k, r))
    ts = [threading.Thread(target=putter, args=(i,)) for i in range(8)] + \
         [threading.Thread(target=deleter, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    name = "conc 3: PUT/GET/DELETE races in a/b/c"
    note("%s: %d PUTs, %d GETs, %d DELETEs" % (name, stats["put"], stats["get"], stats["del"]))
    for what, label in [("5xx", "never a 5xx or a dropped connection"), ("put_fail", "every PUT answered 200"),
                        ("lost", "every acknowledged PUT reads back whole at once"),
                        ("del_fail", "every DELETE answered 204")]:
        if stats[what]:
            bad("%s: %s" % (name, label), "%d: %s" % (len(stats[what]), "; ".join(stats[what][:4])))
        else:
            ok("%s: %s" % (name, label))
    keys = ep.list_keys(B, "a/")
    left = []
    for dp, dn, fn in os.walk(os.path.join(root, B, "a")):
        left += [os.path.join(dp, f) for f in fn] + [os.path.join(dp, d) for d in dn]
    if keys == [] and not os.path.exists(os.path.join(root, B, "a")):
        ok("%s: nothing left afterwards (no keys, empty parents removed)" % name)
    else:
        bad("%s: nothing left afterwards" % name, "keys %s; on disk %s (a/ exists: %s)" % (
            (keys or [])[:5], left[:5], os.path.exists(os.path.join(root, B, "a"))))


if __name__ == "__main__":
    sys.exit(main())
