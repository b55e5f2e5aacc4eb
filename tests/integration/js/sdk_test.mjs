// sdk_test.mjs - s3cgi against the current AWS SDK for JavaScript v3 (@aws-sdk/client-s3
// and @aws-sdk/lib-storage, pinned in package.json), with its 2025 defaults: CRC32 on
// every upload (x-amz-checksum-crc32 for a Buffer body; STREAMING-UNSIGNED-PAYLOAD-TRAILER
// with aws-chunked framing and the CRC32 in the trailer for a stream body) and
// response checksum validation on GET.
//
// Environment: EP (endpoint URL), AK, SK, REGION, BUCKET (created and removed here),
// W (scratch directory). Prints one line per check, "ok NAME" or "FAIL NAME: detail",
// the format tests/integration/lib.sh's count_results reads. Exit status 0 unless the
// script itself broke (failed checks are reported as lines).
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectsCommand, DeleteBucketCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const env = (k) => {
  const v = process.env[k];
  if (!v) { console.log(`FAIL setup: ${k} not set`); process.exit(1); }
  return v;
};
const EP = env("EP"), AK = env("AK"), SK = env("SK"), REGION = env("REGION");
const B = env("BUCKET"), W = env("W");

const ok = (name) => console.log(`ok   ${name}`);
const bad = (name, why) => console.log(`FAIL ${name}: ${String(why).replace(/\s+/g, " ").slice(0, 400)}`);
const eq = (name, want, got) => (want === got ? ok(name) : bad(name, `expected [${want}] got [${got}]`));
const errText = (e) => `${e?.name || "Error"} ${e?.$metadata?.httpStatusCode ?? ""} ${e?.message || e}`;
// check NAME async-fn: the function returns nothing (pass) or throws (fail).
async function check(name, fn) {
  try { await fn(); ok(name); return true; } catch (e) { bad(name, errText(e)); return false; }
}

const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const md5 = (b) => createHash("md5").update(b).digest("hex");
const crc32b64 = (b) => { const x = Buffer.alloc(4); x.writeUInt32BE(crc32(b) >>> 0); return x.toString("base64"); };

// Every request is recorded as sent (after signing), so the checks can assert which
// body form the SDK actually chose: the client's own request handler is wrapped.
const sent = [];
function mkClient(secret) {
  const c = new S3Client({
    endpoint: EP, region: REGION, forcePathStyle: true,
    credentials: { accessKeyId: AK, secretAccessKey: secret },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 10000, requestTimeout: 300000 },
  });
  const h = c.config.requestHandler, handle = h.handle.bind(h);
  h.handle = (request, options) => {
    sent.push({ method: request.method, path: request.path, query: { ...request.query }, headers: { ...request.headers } });
    return handle(request, options);
  };
  return c;
}
const s3 = mkClient(SK);
const lastSent = (method, key) => [...sent].reverse().find((r) => r.method === method && r.path.endsWith(`/${B}/${key}`));
const hdr = (r, h) => (r ? r.headers[Object.keys(r.headers).find((k) => k.toLowerCase() === h)] : undefined);

// A readable of unknown length that yields BUF in pieces of ODD bytes (never a file).
const piecewise = (buf, piece) => Readable.from((function* () {
  for (let i = 0; i < buf.length; i += piece) yield buf.subarray(i, Math.min(i + piece, buf.length));
})(), { objectMode: false });

async function getBytes(key, extra = {}) {
  const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: key, ChecksumMode: "ENABLED", ...extra }));
  const body = Buffer.from(await r.Body.transformToByteArray());   // validates the checksum
  return { r, body };
}

async function main() {
  const small = randomBytes(1024 * 1024 + 17);
  const mid = randomBytes(3 * 1024 * 1024 + 5);
  const odd = randomBytes(1024 * 1024 + 333);
  const big = randomBytes(12 * 1024 * 1024);
  const midFile = `${W}/sdk.mid`;
  writeFileSync(midFile, mid);

  await check("CreateBucket", () => s3.send(new CreateBucketCommand({ Bucket: B })));

  // 1. Buffer body: one signed PUT carrying x-amz-checksum-crc32.
  let put;
  if (await check("PutObject Buffer body", async () => {
    put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "buffer.bin", Body: small }));
  })) {
    const w = lastSent("PUT", "buffer.bin");
    eq("PutObject Buffer: sent x-amz-checksum-crc32", crc32b64(small), hdr(w, "x-amz-checksum-crc32"));
    eq("PutObject Buffer: signed payload hash", sha256(small), hdr(w, "x-amz-content-sha256"));
    eq("PutObject Buffer: ETag is MD5", `"${md5(small)}"`, put.ETag);
    eq("PutObject Buffer: ChecksumCRC32 echoed", crc32b64(small), put.ChecksumCRC32);
  }

  // 2. Stream body (a file stream, length known): aws-chunked + trailer.
  if (await check("PutObject stream body (file)", async () => {
    put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "stream.bin", Body: createReadStream(midFile) }));
  })) {
    const w = lastSent("PUT", "stream.bin");
    eq("PutObject stream: STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", hdr(w, "x-amz-content-sha256"));
    eq("PutObject stream: Content-Encoding aws-chunked", "aws-chunked", hdr(w, "content-encoding"));
    eq("PutObject stream: x-amz-trailer", "x-amz-checksum-crc32", hdr(w, "x-amz-trailer"));
    eq("PutObject stream: x-amz-decoded-content-length", String(mid.length), String(hdr(w, "x-amz-decoded-content-length")));
    eq("PutObject stream: ETag is MD5 of the decoded body", `"${md5(mid)}"`, put.ETag);
    eq("PutObject stream: ChecksumCRC32 from the trailer", crc32b64(mid), put.ChecksumCRC32);
  }

  // 3. Stream of unknown length with ContentLength given, in odd-sized pieces.
  if (await check("PutObject generator stream + ContentLength", async () => {
    put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "odd.bin", Body: piecewise(odd, 7777), ContentLength: odd.length }));
  })) {
    const w = lastSent("PUT", "odd.bin");
    eq("PutObject generator: aws-chunked trailer form", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", hdr(w, "x-amz-content-sha256"));
    eq("PutObject generator: ETag is MD5", `"${md5(odd)}"`, put.ETag);
  }

  // 4. Empty Buffer body.
  await check("PutObject empty body, ETag", async () => {
    const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: "empty", Body: Buffer.alloc(0) }));
    if (r.ETag !== '"d41d8cd98f00b204e9800998ecf8427e"') throw new Error(`ETag ${r.ETag}`);
  });

  // 5. HEAD and GET with checksum mode: stored CRC32 returned, bytes identical, no
  //    aws-chunked left in Content-Encoding, framing never stored.
  for (const [key, data] of [["buffer.bin", small], ["stream.bin", mid], ["odd.bin", odd]]) {
    await check(`HeadObject ${key}: length, CRC32, no aws-chunked`, async () => {
      const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: key, ChecksumMode: "ENABLED" }));
      if (h.ContentLength !== data.length) throw new Error(`ContentLength ${h.ContentLength} != ${data.length}`);
      if (h.ChecksumCRC32 !== crc32b64(data)) throw new Error(`ChecksumCRC32 ${h.ChecksumCRC32} != ${crc32b64(data)}`);
      if ((h.ContentEncoding || "").includes("aws-chunked")) throw new Error(`ContentEncoding ${h.ContentEncoding}`);
    });
    await check(`GetObject ${key} (ChecksumMode ENABLED): sha256 and CRC32`, async () => {
      const { r, body } = await getBytes(key);
      if (sha256(body) !== sha256(data)) throw new Error(`sha256 ${sha256(body)} != ${sha256(data)} (got ${body.length} bytes)`);
      if (r.ChecksumCRC32 !== crc32b64(data)) throw new Error(`ChecksumCRC32 ${r.ChecksumCRC32}`);
    });
  }
  await check("GetObject empty", async () => {
    const { body } = await getBytes("empty");
    if (body.length !== 0) throw new Error(`${body.length} bytes`);
  });
  await check("GetObject range (no validation on ranges): bytes", async () => {
    const { body } = await getBytes("stream.bin", { Range: "bytes=1000-1999" });
    if (!body.equals(mid.subarray(1000, 2000))) throw new Error(`range bytes differ (${body.length})`);
  });

  // 6. Multipart through lib-storage: 12 MiB from a stream of unknown length, 5 MiB parts.
  const before = sent.length;
  let up;
  if (await check("Upload (lib-storage) 12MiB stream, 5MiB parts", async () => {
    const u = new Upload({ client: s3, params: { Bucket: B, Key: "multi.bin", Body: piecewise(big, 65536) }, partSize: 5 * 1024 * 1024, queueSize: 2 });
    up = await u.done();
  })) {
    const reqs = sent.slice(before);
    const parts = reqs.filter((r) => r.method === "PUT" && r.query.partNumber);
    eq("Upload: 3 UploadPart requests", 3, parts.length);
    eq("Upload: every part carries x-amz-checksum-crc32", 3, parts.filter((r) => hdr(r, "x-amz-checksum-crc32")).length);
    const create = reqs.find((r) => r.method === "POST" && "uploads" in r.query);
    eq("Upload: CreateMultipartUpload asks for CRC32", "CRC32", hdr(create, "x-amz-checksum-algorithm"));
    const pm = [0, 1, 2].map((i) => createHash("md5").update(big.subarray(i * 5242880, (i + 1) * 5242880)).digest());
    eq("Upload: multipart ETag", `"${createHash("md5").update(Buffer.concat(pm)).digest("hex")}-3"`, up.ETag);
    await check("GetObject multipart object: sha256", async () => {
      const { body } = await getBytes("multi.bin");
      if (sha256(body) !== sha256(big)) throw new Error(`sha256 ${sha256(body)} (${body.length} bytes)`);
    });
  }

  // 7. A wrong secret on a stream PUT: refused, nothing stored.
  await check("PutObject stream, wrong secret -> SignatureDoesNotMatch", async () => {
    try {
      await mkClient(SK + "x").send(new PutObjectCommand({ Bucket: B, Key: "refused.bin", Body: createReadStream(midFile) }));
    } catch (e) {
      if (e.name === "SignatureDoesNotMatch" && e.$metadata?.httpStatusCode === 403) return;
      throw e;
    }
    throw new Error("succeeded");
  });

  // 8. Listing, then DeleteObjects (sends a CRC32, no Content-MD5) and DeleteBucket.
  const want = { "buffer.bin": small.length, "empty": 0, "multi.bin": big.length, "odd.bin": odd.length, "stream.bin": mid.length };
  await check("ListObjectsV2: keys and sizes", async () => {
    const l = await s3.send(new ListObjectsV2Command({ Bucket: B }));
    const got = Object.fromEntries((l.Contents || []).map((c) => [c.Key, c.Size]));
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(JSON.stringify(got));
  });
  await check("DeleteObjects (CRC32, no Content-MD5)", async () => {
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: Object.keys(want).map((Key) => ({ Key })) } }));
    if ((r.Deleted || []).length !== 5 || (r.Errors || []).length) throw new Error(JSON.stringify(r.Errors || r.Deleted));
    const w = [...sent].reverse().find((q) => q.method === "POST" && "delete" in q.query);
    if (!hdr(w, "x-amz-checksum-crc32") || hdr(w, "content-md5")) throw new Error(`sent ${JSON.stringify(w && w.headers)}`);
  });
  await check("DeleteBucket", () => s3.send(new DeleteBucketCommand({ Bucket: B })));
}

main().catch((e) => { bad("sdk_test.mjs", errText(e)); process.exit(1); });
