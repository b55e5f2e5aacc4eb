/* fuzz_request.c - libFuzzer target for the request parser s3_request_parse and the
 * dispatch table s3_route_find.
 *
 * Build and run (from the source root; or `make -f fuzz/Makefile.fuzz`):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       fuzz/fuzz_request.c lib/[a-z]*.c $(pkg-config --cflags --libs expat libcrypto) \
 *       -o fuzz_request
 *   ./fuzz_request -dict=fuzz/request.dict -max_total_time=60 fuzz/corpus/request
 *
 * Input: byte 0 picks the configuration (bits 0-1 the mount prefix "", "/s3",
 * "/a/b" or "/S3", which is case-sensitive; bit 2 the virtual-host domains
 * s3.example.org and localhost); the rest is the CGI
 * environment, "NAME=value" entries separated by '\n' or NUL (fuzz_common.h;
 * REQUEST_METHOD=GET and REQUEST_URI=/ are added when absent).
 *
 * Checks beyond "no crash": a parsed request is consistent with its environment
 * (raw path/query split REQUEST_URI exactly; the prefix was there and was stripped;
 * method enum matches the string; header names are lowercase with '-', within the
 * cap; a vhost bucket is the host's first labels; lengths are -1 or >= 0; a
 * sha256 payload is 64 lowercase hex); failures are one of the documented errors;
 * a route found matches the request's method, target and sub-resource.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "config.h"
#include "fuzz_common.h"
#include "request.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[4] = { "", "/s3", "/a/b", "/S3" };
static const char *const method_names[] = { "", "GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS" };

static void check_parsed(const struct s3_request *req, const struct s3_config *cfg,
                         const char *uri)
{
    /* REQUEST_URI = raw_path ['?' raw_query] */
    size_t ulen = strlen(uri);
    FZ_CHECK(strcmp(req->raw_uri, uri) == 0, "raw_uri");
    FZ_CHECK(req->raw_path_len <= ulen && strlen(req->raw_path) == req->raw_path_len &&
             memcmp(req->raw_path, uri, req->raw_path_len) == 0, "raw_path");
    FZ_CHECK(!memchr(req->raw_path, '?', req->raw_path_len), "'?' in raw_path");
    if (req->raw_path_len < ulen)
        FZ_CHECK(uri[req->raw_path_len] == '?' &&
                 strcmp(req->raw_query, uri + req->raw_path_len + 1) == 0, "raw_query");
    else
        FZ_CHECK(req->raw_query_len == 0, "query without '?'");
    FZ_CHECK(strlen(req->raw_query) == req->raw_query_len, "raw_query_len");

    /* the mount prefix was present, followed by '/' or the end */
    if (cfg->prefix_len)
        FZ_CHECK(req->raw_path_len >= cfg->prefix_len &&
                 memcmp(req->raw_path, cfg->prefix, cfg->prefix_len) == 0 &&
                 (req->raw_path_len == cfg->prefix_len || req->raw_path[cfg->prefix_len] == '/'),
                 "prefix not honoured: %s", req->raw_path);

    FZ_CHECK(req->method == M_OTHER || strcmp(req->method_str, method_names[req->method]) == 0,
             "method %d vs %s", (int)req->method, req->method_str);

    FZ_CHECK(req->nheaders <= 256, "too many headers: %zu", req->nheaders);
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *n = req->headers[i].name;
        FZ_CHECK(*n && req->headers[i].value, "empty header name");
        for (; *n; n++)
            FZ_CHECK(!(*n >= 'A' && *n <= 'Z') && *n != '_', "header name %s",
                     req->headers[i].name);
    }
    FZ_CHECK(req->nquery <= 128, "too many query parameters");
    for (size_t i = 0; i < req->nquery; i++)
        FZ_CHECK(req->query[i].name && req->query[i].value &&
                 (req->query[i].has_value || !*req->query[i].value), "query param %zu", i);

    if (req->bucket)
        FZ_CHECK(*req->bucket, "empty bucket");
    /* A key comes with a bucket, except after an empty first segment ("//k"): the
     * parser then leaves bucket NULL and routes to the service (harmless: no
     * service operation reads the key). */
    if (req->key)
        FZ_CHECK(req->key_len > 0 && req->key[req->key_len] == '\0' &&
                 (req->bucket || req->raw_path[cfg->prefix_len + 1] == '/'),
                 "key without bucket, or empty");
    else
        FZ_CHECK(req->key_len == 0, "key_len without key");

    /* a configured domain matched: the bucket is the labels before it */
    if (req->host && req->bucket) {
        size_t hl = strlen(req->host);
        for (size_t i = 0; i < cfg->ndomains; i++) {
            size_t dl = strlen(cfg->domains[i]);
            if (hl > dl + 1 && req->host[hl - dl - 1] == '.' &&
                strcasecmp(req->host + hl - dl, cfg->domains[i]) == 0) {
                FZ_CHECK(strlen(req->bucket) == hl - dl - 1 &&
                         memcmp(req->bucket, req->host, hl - dl - 1) == 0, "vhost bucket");
                break;
            }
        }
    }

    FZ_CHECK(req->content_length >= -1 && req->decoded_length >= -1, "lengths");
    if (req->payload_mode == PAYLOAD_SHA256) {
        FZ_CHECK(strlen(req->payload_sha256) == 64, "sha256 length");
        for (int i = 0; i < 64; i++)
            FZ_CHECK((req->payload_sha256[i] >= '0' && req->payload_sha256[i] <= '9') ||
                     (req->payload_sha256[i] >= 'a' && req->payload_sha256[i] <= 'f'), "sha256 hex");
    }
}

static void check_route(const struct s3_request *req)
{
    enum s3_err err = S3E_OK;
    const struct s3_route *r = s3_route_find(req, &err);
    if (!r) {
        FZ_CHECK(err == S3E_METHOD_NOT_ALLOWED || err == S3E_NOT_IMPLEMENTED, "route err %d",
                 (int)err);
        return;
    }
    enum s3_target t = !req->bucket ? T_SERVICE : !req->key ? T_BUCKET : T_OBJECT;
    FZ_CHECK(r->method == req->method && r->target == t, "route mismatch");
    FZ_CHECK(!r->subresource || s3_req_qparam(req, r->subresource), "sub-resource absent");
    FZ_CHECK(t == T_SERVICE || r->needs_bucket || r->fn, "bucket route");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static char dom1[] = "s3.example.org", dom2[] = "localhost";
    struct s3_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.root = "/nonexistent";
    cfg.root_fd = -1;
    cfg.region = "us-east-1";
    cfg.prefix = (char *)prefixes[data[0] & 3];
    cfg.prefix_len = strlen(cfg.prefix);
    cfg.max_skew = 900;
    cfg.sigv2 = 1;
    if (data[0] & 4) {
        cfg.domains[0] = dom1;
        cfg.domains[1] = dom2;
        cfg.ndomains = 2;
    }

    struct fz_env env;
    fz_env_build(&env, data + 1, size - 1);
    struct s3_io io = { NULL, env.env, NULL, NULL, NULL, NULL };
    struct arena a;
    struct s3_request req;
    arena_init(&a, 64u << 20);
    enum s3_err err = s3_request_parse(&req, &a, &io, &cfg, 1700000000);
    FZ_CHECK(strlen(req.request_id) == 16, "request id");
    if (err == S3E_OK) {
        check_parsed(&req, &cfg, s3_io_getenv(&io, "REQUEST_URI"));
        check_route(&req);
        (void)s3_req_header(&req, "authorization");
        (void)s3_req_query(&req, "uploadId");
    } else {
        FZ_CHECK(err == S3E_INVALID_URI || err == S3E_HEADERS_TOO_LARGE ||
                 err == S3E_INVALID_ARGUMENT || err == S3E_SHA256_MISMATCH,
                 "unexpected parse error %d", (int)err);
    }
    arena_free(&a);
    fz_env_free(&env);
    return 0;
}
