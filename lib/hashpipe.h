/* hashpipe.h - one digest computed on a helper thread while the request thread goes on
 * reading, decoding and writing the body.
 *
 * Why: a large PUT is CPU-bound on MD5 (about 0.75 GB/s, and MD5 cannot be split), and
 * with aws-chunked signing the request thread also hashes every chunk with SHA-256.
 * Run side by side, the body costs max(MD5, everything else) instead of the sum.
 *
 * Contract:
 *   - hashpipe_start takes over a hash_ctx that may already hold data (a body starts
 *     inline and moves here once it proves large). The caller must not touch that
 *     context again; hashpipe_finish hands back the digest of everything fed.
 *   - hashpipe_feed copies the bytes (the caller may reuse its buffer at once) into a
 *     fixed ring of HASHPIPE_RING bytes, waiting while the ring is full. Memory never
 *     grows with the body.
 *   - One producer (the thread that started the pipe) and one consumer; a pipe is used
 *     by one request only. hashpipe_free stops and joins the thread in every state, so
 *     an error path never leaks it.
 */
#ifndef S3CGI_HASHPIPE_H
#define S3CGI_HASHPIPE_H

#include <stddef.h>
#include "hash.h"

#define HASHPIPE_RING (512u << 10)      /* bytes in flight between the two threads */

struct hashpipe;

/* Starts the thread over *ctx (copied in). NULL when a thread or memory cannot be had:
 * the caller then keeps hashing inline. */
struct hashpipe *hashpipe_start(const struct hash_ctx *ctx);
void hashpipe_feed(struct hashpipe *p, const void *data, size_t len);
/* Waits until every byte fed is hashed, writes the digest to out and returns its
 * length; the thread has ended. Then only hashpipe_free may be called. */
size_t hashpipe_finish(struct hashpipe *p, unsigned char *out);
/* Stops the thread (unfinished digests are dropped) and frees p. NULL is fine. */
void hashpipe_free(struct hashpipe *p);

#endif
