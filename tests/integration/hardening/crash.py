#!/usr/bin/python3
"""crash.py - SIGKILL the s3cgi-fcgi processes at random moments while boto3 clients
write, then check that nothing acknowledged was lost and nothing partial is visible.

    crash.py --endpoint URL --access-key AK --secret-key SK --region R --root DIR
             --fcgi-bin PATH --state DIR [--kills 200] [--seconds 200] [--rounds 8]
             [--clients 4] [--workers N] [--config FILE] [--admin PATH] [--resume]

Rounds. In each round CLIENTS boto3 worker processes (retries off, short timeouts)
run PutObject, multipart uploads (CreateMultipartUpload, UploadPart x2, Complete,
retried once or twice when the answer is lost), CopyObject, DeleteObjects and
DeleteObject on keys of their own (flat and nested a/b/c), while a reader process
lists the bucket and GETs what it lists, and this process sends SIGKILL to one or all
s3cgi-fcgi processes (found by /proc/PID/exe == --fcgi-bin, killed by PID) at random
moments. Each worker keeps, per key, the set of states the key may be in: an
acknowledged write sets it to exactly that body's sha256 (an acknowledged delete to
"absent"); a write or delete whose answer was lost (connection dropped, 5xx) adds its
outcome to the set. Bodies are self-describing (length and sha256 in a header), so the
reader can tell a partial object from a whole one without shared state.

After each round (traffic stopped, killed processes respawned by lighttpd): every key
is fetched and must be in one of its allowed states (acknowledged ones exactly); the
listing must hold exactly the keys that may exist, each GETting whole; a fresh
PUT/GET/DELETE must succeed at the first attempt. At the end: leftovers (staging, temp
files) are counted, `s3cgi-admin purge` removes them, root/.s3cgi/tmp holds no file,
no ".s3cgi-tmp-*" is left in the bucket, and every object is still intact.

Exit status 3 (state saved in --state) when the killed processes did not come back
(lighttpd respawns its bin-path processes; spawn-fcgi behind nginx/Apache does not):
the caller restarts s3cgi-serve and runs again with --resume, which checks the
interrupted round first. With --expect-respawn that is also a failure.
"""
import argparse
import itertools
import json
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3h import Endpoint, bad, body_whole, make_body, note, ok, sha, skip  # noqa: E402

ABSENT = None


# ---- processes under test ------------------------------------------------------------
def fcgi_pids(exe):
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink("/proc/%s/exe" % d) == exe:
                    pids.append(int(d))
            except OSError:
                pass
    return pids


def wait_pids(exe, want, timeout):
    t = time.time() + timeout
    while time.time() < t:
        p = fcgi_pids(exe)
        if len(p) >= want:
            return p
        time.sleep(0.05)
    return fcgi_pids(exe)


# ---- the client workers ---------------------------------------------------------------
def boto_client(a):
    import boto3
    from botocore.config import Config
    import logging
    logging.getLogger("botocore").setLevel(logging.CRITICAL)
    return boto3.client("s3", endpoint_url=a["endpoint"], aws_access_key_id=a["ak"],
                        aws_secret_access_key=a["sk"], region_name=a["region"],
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                      connect_timeout=3, read_timeout=30,
                                      s3={"addressing_style": "path"}))


def classify(e):
    """'clean' when the server answered with a 4xx (nothing happened), else
    'ambiguous' (connection dropped, timeout, 5xx: it may or may not have happened)."""
    from botocore.exceptions import ClientError
    if isinstance(e, ClientError):
        st = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if 400 <= st < 500:
            return "clean", "%s %s" % (st, e.response.get("Error", {}).get("Code"))
        return "ambiguous", "%s %s" % (st, e.response.get("Error", {}).get("Code"))
    return "ambiguous", type(e).__name__


def worker_main(idx, a, keys_state, until, outq, acklog, in_complete):
    random.seed(os.getpid() ^ int(time.time() * 1000))
    c = boto_client(a)
    B = a["bucket"]
    st = {k: set(v) for k, v in keys_state.items()}
    keys = sorted(st)
    cnt = {"ack": 0, "ambiguous": 0, "clean": 0, "mpu_ack": 0, "mpu_retried_ok": 0, "errors": []}
    log = open(acklog, "a")

    def ack(op, key, digest):
        cnt["ack"] += 1
        log.write(json.dumps({"t": time.time(), "op": op, "key": key, "sha256": digest}) + "\n")
        log.flush()

    def present(k):
        return [s for s in st[k] if s is not ABSENT]

    while time.time() < until:
        op = random.choices(["put", "mpu", "copy", "delete", "delete_objects"], [40, 12, 16, 16, 16])[0]
        k = random.choice(keys)
        try:
            if op == "put":
                size = random.choice([random.randint(100, 65536)] * 6 + [random.randint(65536, 1 << 20)] * 3 +
                                     [random.randint(1 << 20, 4 << 20)])
                body = make_body(size)
                d = sha(body)
                try:
                    r = c.put_object(Bucket=B, Key=k, Body=body)
                    import hashlib
                    if r["ETag"].strip('"') != hashlib.md5(body).hexdigest():
                        cnt["errors"].append("PUT %s: ETag %s is not the MD5" % (k, r["ETag"]))
                    st[k] = {d}
                    ack("put", k, d)
                except Exception as e:
                    kind, why = classify(e)
                    cnt[kind] += 1
                    if kind == "ambiguous":
                        st[k].add(d)
            elif op == "mpu":
                import hashlib
                body = make_body((5 << 20) + random.randint(1000, 1 << 20))
                d = sha(body)
                parts = [body[:5 << 20], body[5 << 20:]]
                want_etag = "%s-2" % hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
                try:
                    uid = c.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
                except Exception as e:
                    cnt[classify(e)[0]] += 1
                    continue
                etags, failed = [], False
                for n, p in enumerate(parts, 1):
                    for attempt in range(3):
                        try:
                            etags.append(c.upload_part(Bucket=B, Key=k, UploadId=uid, PartNumber=n,
                                                       Body=p)["ETag"])
                            break
                        except Exception as e:
                            cnt[classify(e)[0]] += 1
                            time.sleep(0.3)
                    else:
                        failed = True
                        break
                if failed:
                    try:
                        c.abort_multipart_upload(Bucket=B, Key=k, UploadId=uid)
                    except Exception:
                        pass
                    continue
                mpu = {"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]}
                done = None
                for attempt in range(3):
                    try:
                        with in_complete.get_lock():
                            in_complete.value += 1
                        try:
                            r = c.complete_multipart_upload(Bucket=B, Key=k, UploadId=uid, MultipartUpload=mpu)
                        finally:
                            with in_complete.get_lock():
                                in_complete.value -= 1
                        done = r
                        break
                    except Exception as e:
                        kind, why = classify(e)
                        cnt[kind] += 1
                        if kind == "clean" and attempt == 0:
                            cnt["errors"].append("Complete %s: refused at the first attempt: %s" % (k, why))
                            break
                        if kind == "clean":     # the retry was refused: outcome unknown
                            break
                        st[k].add(d)
                        time.sleep(0.3)
                if done is not None:
                    if done["ETag"].strip('"') != want_etag:
                        cnt["errors"].append("Complete %s: ETag %s, want %s" % (k, done["ETag"], want_etag))
                    if attempt > 0:
                        cnt["mpu_retried_ok"] += 1
                    st[k] = {d}
                    cnt["mpu_ack"] += 1
                    ack("complete", k, d)
            elif op == "copy":
                srcs = [s for s in keys if s != k and present(s)]
                if not srcs:
                    continue
                src = random.choice(srcs)
                poss = set(present(src))
                try:
                    c.copy_object(Bucket=B, Key=k, CopySource={"Bucket": B, "Key": src})
                    st[k] = poss
                    ack("copy", k, sorted(poss) if len(poss) > 1 else next(iter(poss)))
                except Exception as e:
                    kind, why = classify(e)
                    cnt[kind] += 1
                    if kind == "ambiguous":
                        st[k] |= poss
            elif op == "delete":
                try:
                    c.delete_object(Bucket=B, Key=k)
                    st[k] = {ABSENT}
                    ack("delete", k, None)
                except Exception as e:
                    kind, why = classify(e)
                    cnt[kind] += 1
                    if kind == "ambiguous":
                        st[k].add(ABSENT)
            else:
                ks = random.sample(keys, random.randint(1, 3))
                try:
                    r = c.delete_objects(Bucket=B, Delete={"Objects": [{"Key": x} for x in ks]})
                    deleted = {x["Key"] for x in r.get("Deleted", [])}
                    for x in ks:
                        if x in deleted:
                            st[x] = {ABSENT}
                            ack("delete_objects", x, None)
                        else:
                            st[x].add(ABSENT)
                except Exception as e:
                    kind, why = classify(e)
                    cnt[kind] += 1
                    if kind == "ambiguous":
                        for x in ks:
                            st[x].add(ABSENT)
        except Exception as e:          # a bug in this script: report, keep going
            cnt["errors"].append("worker exception %r" % e)
    log.close()
    outq.put((idx, {k: sorted(v, key=lambda s: s or "") for k, v in st.items()}, cnt))


def reader_main(a, until, outq):
    ep = Endpoint(a["endpoint"], a["ak"], a["sk"], a["region"])
    B = a["bucket"]
    res = {"lists": 0, "gets": 0, "whole": 0, "violations": []}
    while time.time() < until:
        r = ep.request("GET", "/" + B, query="list-type=2&max-keys=1000", timeout=20)
        if r.status != 200:
            time.sleep(0.05)
            continue
        res["lists"] += 1
        import re
        keys = [k.decode() for k in re.findall(rb"<Key>(.*?)</Key>", r.body)]
        for k in keys:
            if not re.match(r"^w\d+/", k):
                res["violations"].append("listing shows %r" % k)
        for k in random.sample(keys, min(4, len(keys))):
            g = ep.get(B, k, timeout=20)
            if g.status == 200:
                res["gets"] += 1
                if body_whole(g.body):
                    res["whole"] += 1
                else:
                    res["violations"].append("GET %s returned %d bytes that are not a whole body" % (k, len(g.body)))
    outq.put(("reader", res))


# ---- the driver -------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--root", required=True)
    ap.add_argument("--fcgi-bin", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--bucket", default="hard-crash")
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=200, help="traffic time over all rounds")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=0, help="s3cgi-fcgi processes to expect (0: as found)")
    ap.add_argument("--config", default="")
    ap.add_argument("--admin", default="")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--expect-respawn", action="store_true",
                    help="the web server must bring killed processes back (lighttpd bin-path)")
    a = ap.parse_args()
    exe = os.path.realpath(a.fcgi_bin)
    ep = Endpoint(a.endpoint, a.access_key, a.secret_key, a.region)
    B = a.bucket
    os.makedirs(a.state, exist_ok=True)
    sfile = os.path.join(a.state, "crash-state.json")
    cargs = {"endpoint": a.endpoint, "ak": a.access_key, "sk": a.secret_key, "region": a.region, "bucket": B}

    if a.resume and os.path.exists(sfile):
        S = json.load(open(sfile))
        note("crash: resuming after a server restart: round %d, %d kills so far" % (S["round"], S["kills"]))
    else:
        pids = fcgi_pids(exe)
        if not pids:
            skip("crash: SIGKILL s3cgi-fcgi", "no process runs %s (not a FastCGI setup?)" % exe)
            return 0
        r = ep.request("PUT", "/" + B)
        if r.status != 200:
            bad("crash: create bucket", r)
            return 1
        keys = {}
        for w in range(a.clients):
            ks = ["w%d/k%d" % (w, i) for i in range(8)] + ["w%d/n/%s/k%d" % (w, d, i) for d in ("a", "a/b/c")
                                                             for i in range(2)]
            keys[str(w)] = {k: [ABSENT] for k in ks}
        S = {"round": 0, "kills": 0, "events": 0, "respawn_waits": [], "checked": 0, "acks": 0,
             "ambiguous": 0, "mpu_ack": 0, "mpu_retried_ok": 0, "reads": 0, "restarts": 0,
             "workers": a.workers or len(pids), "keys": keys, "t_traffic": 0.0}
    if a.resume:
        S["restarts"] = S.get("restarts", 0) + 1
    nworkers = S["workers"]
    round_len = a.seconds / a.rounds

    def lost(why):
        """The processes did not come back: the caller restarts the server and runs us
        again with --resume; the round's checks run then."""
        S["pending"] = True
        json.dump(S, open(sfile, "w"))
        if a.expect_respawn:
            bad("crash: the web server respawns killed s3cgi-fcgi processes", why)
        else:
            note("crash: %s: s3cgi-serve must be restarted (this web server does not respawn)" % why)
        return 3

    if S.get("pending"):
        back = wait_pids(exe, nworkers, 30)
        if not back:
            bad("crash: after the restart", "no s3cgi-fcgi process")
            return 1
        after_round(ep, B, S, "crash round %d (after a server restart)" % S["round"], a.root)
        S["pending"] = False
        json.dump(S, open(sfile, "w"))
    while S["round"] < a.rounds:
        S["round"] += 1
        rnd = S["round"]
        left_kills = max(0, a.kills - S["kills"])
        left_rounds = a.rounds - rnd + 1
        # this round's share of the kills still owed; an event kills one process, or
        # all of them, so it is planned at 2 kills an event, and events are added
        # after the planned ones until the share is met (a shortfall used to be left
        # to later rounds, and the last round could miss the target by one)
        round_target = -(-left_kills // left_rounds)
        n_events = max(6, -(-round_target // 2))
        times = sorted(random.uniform(0.4, round_len - 0.8) for _ in range(n_events))
        t0 = time.time()
        until = t0 + round_len
        outq = mp.Queue()
        in_complete = mp.Value("i", 0)
        procs = []
        for w in range(a.clients):
            p = mp.Process(target=worker_main, args=(w, cargs, S["keys"][str(w)], until, outq,
                                                    os.path.join(a.state, "acks-w%d.jsonl" % w), in_complete))
            p.start()
            procs.append(p)
        rp = mp.Process(target=reader_main, args=(cargs, until, outq))
        rp.start()
        procs.append(rp)
        kills = events = 0
        gone = None
        for ev in itertools.count():
            if ev < len(times):
                delay = t0 + times[ev] - time.time()
            elif kills < round_target and time.time() < until - 0.4:
                delay = random.uniform(0.05, 0.2)
            else:
                break
            if delay > 0:
                time.sleep(delay)
            # one event in three aims at a CompleteMultipartUpload in flight (the
            # assembly and publish take tens of ms): wait up to 1.5 s for one
            aimed = False
            if random.random() < 0.33:
                tw = time.time() + 1.5
                while time.time() < tw and in_complete.value == 0:
                    time.sleep(0.005)
                if in_complete.value > 0:
                    time.sleep(random.uniform(0, 0.03))
                    aimed = True
            pids = fcgi_pids(exe)
            if not pids:
                tw = time.time()
                pids = wait_pids(exe, 1, 10 if a.expect_respawn else 1)
                S["respawn_waits"].append(time.time() - tw)
                if not pids:
                    gone = "no s3cgi-fcgi process %.0f s after a kill" % (time.time() - tw)
                    break
            victims = pids if aimed or random.random() < 0.25 else [random.choice(pids)]
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass
            events += 1
            S["aimed"] = S.get("aimed", 0) + aimed
        # traffic ends at `until`; workers finish their last operation
        results, reader = {}, None
        deadline = until + 120
        while len(results) + (reader is not None) < len(procs) and time.time() < deadline:
            try:
                item = outq.get(timeout=max(0.1, min(5, deadline - time.time())))
            except Exception:
                continue
            if item[0] == "reader":
                reader = item[1]
            else:
                results[item[0]] = item
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()       # our own child, by PID
                p.join(timeout=5)
        S["t_traffic"] += time.time() - t0
        S["kills"] += kills
        S["events"] += events
        name = "crash round %d" % rnd
        hung = [w for w in range(a.clients) if w not in results]
        if hung:
            bad(name + ": client workers report", "workers %s did not finish within 120 s" % hung)
            for w in hung:          # their keys' states are unknown now: accept anything
                S["keys"][str(w)] = {k: ["*"] for k in S["keys"][str(w)]}
        errors = []
        for w, (_, st, cnt) in results.items():
            S["keys"][str(w)] = st
            S["acks"] += cnt["ack"]
            S["ambiguous"] += cnt["ambiguous"]
            S["mpu_ack"] += cnt["mpu_ack"]
            S["mpu_retried_ok"] += cnt["mpu_retried_ok"]
            errors += cnt["errors"]
        if errors:
            bad(name + ": acknowledged answers consistent (ETags, first Complete accepted)",
                "; ".join(errors[:4]))
        if reader is None:
            bad(name + ": reader reports", "the reader did not finish")
        elif reader["violations"]:
            bad(name + ": during the kills, every listed object GETs whole",
                "; ".join(reader["violations"][:4]))
        else:
            S["reads"] += reader["gets"]
            ok(name + ": during %d kills, %d listings and %d GETs saw only whole objects" % (
                kills, reader["lists"], reader["gets"]))
        if gone:
            return lost(gone)
        # the processes are back and the next requests succeed
        tw = time.time()
        back = wait_pids(exe, nworkers, 10)
        S["respawn_waits"].append(time.time() - tw)
        if len(back) < nworkers:
            if a.expect_respawn or not back:
                return lost("%d of %d s3cgi-fcgi processes 10 s after round %d" % (len(back), nworkers, rnd))
        after_round(ep, B, S, name, a.root)
        json.dump(S, open(sfile, "w"))
    waits = S["respawn_waits"]
    note("crash: %d kill events (%d of them while a Complete was in flight), %d processes killed (SIGKILL), "
         "%d server restarts; traffic %.0f s; respawn waits max %.2f s" % (
             S["events"], S.get("aimed", 0), S["kills"], S["restarts"], S["t_traffic"], max(waits) if waits else 0))
    note("crash: %d acknowledged operations (%d multipart Completes, %d of them after a lost answer), "
         "%d operations with a lost answer, %d objects checked after rounds, %d GETs during kills" % (
             S["acks"], S["mpu_ack"], S["mpu_retried_ok"], S["ambiguous"], S["checked"], S["reads"]))
    if S["kills"] >= a.kills:
        ok("crash: %d SIGKILLs survived (target %d)" % (S["kills"], a.kills))
    else:
        bad("crash: kill target", "%d kills, target %d" % (S["kills"], a.kills))
    if S["acks"] > 0 and S["ambiguous"] > 0:
        ok("crash: kills interrupted operations (%d) and others were acknowledged (%d)" % (S["ambiguous"], S["acks"]))
    else:
        bad("crash: kills interrupted operations", "acks %d, interrupted %d" % (S["acks"], S["ambiguous"]))
    purge_check(a, ep, B, S)
    # clean up the bucket
    for k in ep.list_keys(B) or []:
        ep.delete(B, k)
    r = ep.request("DELETE", "/" + B)
    if r.status == 204:
        ok("crash: bucket emptied and deleted")
    else:
        bad("crash: bucket emptied and deleted", "%r; left on disk: %s" % (r, sorted(walk_files(
            os.path.join(a.root, B)))[:5]))
    return 0


def after_round(ep, B, S, name, root):
    """The next requests succeed at the first attempt; then verify."""
    probe = make_body(5000)
    pk = "probe/round-%d" % S["round"]
    r1 = ep.put(B, pk, probe)
    r2 = ep.get(B, pk)
    r3 = ep.delete(B, pk)
    if r1.status == 200 and r2.status == 200 and r2.body == probe and r3.status == 204:
        ok(name + ": the next requests succeed (PUT, GET, DELETE at the first attempt)")
    else:
        bad(name + ": the next requests succeed", "PUT %r, GET %r, DELETE %r" % (r1, r2, r3))
    verify(ep, B, S, name, root)


def verify(ep, B, S, name, root):
    """Every key in an allowed state; the listing holds exactly the keys that may exist;
    on disk, every file of the bucket (temp files aside) is such an object; states
    collapse to what was observed."""
    problems, checked = [], 0
    allowed = {}
    for w, st in S["keys"].items():
        for k, poss in st.items():
            allowed[k] = poss
    observed = {}
    for k, poss in sorted(allowed.items()):
        g = ep.get(B, k, timeout=60)
        if g.status == 404 and g.code() == "NoSuchKey":
            obs = ABSENT
        elif g.status == 200:
            obs = sha(g.body)
            checked += 1
            if not body_whole(g.body):
                problems.append("%s: %d bytes, not a whole body" % (k, len(g.body)))
        else:
            problems.append("%s: GET %r" % (k, g))
            continue
        observed[k] = obs
        if "*" not in poss and obs not in poss:
            problems.append("%s: %s, allowed %s" % (k, (obs or "absent")[:12],
                                                   [(p or "absent")[:12] for p in poss]))
    listed = ep.list_keys(B)
    if listed is None:
        problems.append("ListObjectsV2 failed")
        listed = []
    for k in listed:
        if k.startswith("probe/"):
            problems.append("listing shows the deleted probe %s" % k)
        elif k not in allowed:
            problems.append("listing shows %r, which no client wrote" % k)
        elif observed.get(k, "x") is ABSENT:
            problems.append("listing shows %s, which GETs 404" % k)
    for k, obs in observed.items():
        if obs is not ABSENT and k not in listed:
            problems.append("%s GETs 200 but is not listed" % k)
    empty_dirs = 0
    for dp, dn, fn in os.walk(os.path.join(root, B)):
        if dp != os.path.join(root, B) and not dn and not fn:
            empty_dirs += 1
        for f in fn:
            rel = os.path.relpath(os.path.join(dp, f), os.path.join(root, B))
            if f.startswith(".s3cgi-tmp-"):
                continue
            if observed.get(rel, ABSENT) is ABSENT:
                problems.append("on disk %s is a file that no GET or listing shows" % rel)
    if empty_dirs:
        note("%s: %d empty directories left in the bucket (a delete killed before pruning)" % (name, empty_dirs))
    S["checked"] += checked
    if problems:
        bad(name + ": every acknowledged object intact, nothing partial visible",
            "%d problems: %s" % (len(problems), "; ".join(problems[:5])))
    else:
        acked = sum(1 for p in allowed.values() if len(p) == 1 and p[0] not in ("*",))
        ok(name + ": %d keys checked (%d with one allowed state), %d objects GET whole, listing exact" % (
            len(allowed), acked, checked))
    for w, st in S["keys"].items():
        for k in st:
            if k in observed:
                st[k] = [observed[k]]


def walk_files(top):
    for dp, dn, fn in os.walk(top):
        for f in fn:
            yield os.path.relpath(os.path.join(dp, f), top)


def leftovers(root, B):
    tmp = list(walk_files(os.path.join(root, ".s3cgi", "tmp"))) if os.path.isdir(
        os.path.join(root, ".s3cgi", "tmp")) else []
    stray = [f for f in walk_files(os.path.join(root, B)) if os.path.basename(f).startswith(".s3cgi-tmp-")]
    mpdir = os.path.join(root, ".s3cgi", "multipart", B)
    uploads = sorted(os.listdir(mpdir)) if os.path.isdir(mpdir) else []
    done = [u for u in uploads if os.path.exists(os.path.join(mpdir, u, "done"))]
    parttmp = [f for f in walk_files(mpdir)] if os.path.isdir(mpdir) else []
    parttmp = [f for f in parttmp if os.path.basename(f).startswith(".tmp-")]
    return tmp, stray, uploads, done, parttmp


def purge_check(a, ep, B, S):
    root = a.root
    tmp, stray, uploads, done, parttmp = leftovers(root, B)
    note("crash: leftovers before purge: %d files in .s3cgi/tmp, %d .s3cgi-tmp-* in the bucket, "
         "%d staged uploads (%d completed), %d part temp files" % (len(tmp), len(stray), len(uploads), len(done),
                                                                  len(parttmp)))
    admin = a.admin
    cfg = a.config
    if not cfg:
        for pid in fcgi_pids(os.path.realpath(a.fcgi_bin)):
            try:
                env = open("/proc/%d/environ" % pid, "rb").read().split(b"\0")
                cfg = next((e[13:].decode() for e in env if e.startswith(b"S3CGI_CONFIG=")), "")
            except OSError:
                pass
            if cfg:
                break
    if not admin or not os.access(admin, os.X_OK) or not cfg:
        bad("crash: purge", "no s3cgi-admin (%r) or no configuration (%r)" % (admin, cfg))
        return
    p = subprocess.run([admin, "purge", "--config", cfg, "--max-age", "0"], capture_output=True, text=True,
                       timeout=120)
    if p.returncode == 0:
        ok("crash: s3cgi-admin purge --max-age 0 runs: %s" % p.stdout.strip())
    else:
        skip("crash: s3cgi-admin purge --max-age 0",
             "refused (exit %d: %s); purging with a positive age after ageing the leftovers instead" % (
                 p.returncode, (p.stderr or p.stdout).strip()))
    # Temp files and finished uploads are purged only once MP_TMP_MAX_AGE (a day) old:
    # age every leftover by two days, as if the purge ran from cron the next day.
    old = time.time() - 2 * 86400
    for top in [os.path.join(root, ".s3cgi", "tmp"), os.path.join(root, ".s3cgi", "multipart")]:
        for dp, dn, fn in os.walk(top, topdown=False):
            for n in fn + dn:
                try:
                    os.utime(os.path.join(dp, n), (old, old), follow_symlinks=False)
                except OSError:
                    pass
    for f in stray:
        os.utime(os.path.join(root, B, f), (old, old), follow_symlinks=False)
    p = subprocess.run([admin, "purge", "--config", cfg, "--max-age", "3600"], capture_output=True, text=True,
                       timeout=120)
    if p.returncode == 0:
        ok("crash: s3cgi-admin purge --max-age 3600 (leftovers aged 2 days): %s" % p.stdout.strip())
    else:
        bad("crash: s3cgi-admin purge --max-age 3600", "exit %d: %s %s" % (p.returncode, p.stdout, p.stderr))
    tmp, stray, uploads, done, parttmp = leftovers(root, B)
    if not tmp and not stray and not uploads and not parttmp:
        ok("crash: after purge: root/.s3cgi/tmp holds no file, no .s3cgi-tmp-* and no staged upload is left")
    else:
        bad("crash: after purge nothing is left", "tmp %s; stray %s; uploads %s; part temps %s" % (
            tmp[:3], stray[:3], uploads[:3], parttmp[:3]))
    verify(ep, B, S, "crash: after purge", root)


if __name__ == "__main__":
    mp.set_start_method("fork")
    sys.exit(main())
