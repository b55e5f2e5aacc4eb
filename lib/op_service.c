/* op_service.c - ListBuckets, and the helpers every operation shares (ops.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>


#include "access.h"
#include "config.h"
#include "hash.h"
#include "ops.h"
#include "store.h"
#include "uri.h"
#include "util.h"

void op_xml_begin(struct s3_ctx *c, struct xmlw *w, const char *root)
{
    resp_header(c->resp, "Content-Type", "application/xml");
    xmlw_init(w, resp_xml_sink, c->resp);
    xmlw_decl(w);
    xmlw_open_ns(w, root);
}

enum s3_err op_xml_end(struct s3_ctx *c, struct xmlw *w, const char *root)
{
    xmlw_close(w, root);
    xmlw_flush(w);
    if (xmlw_error(w) || resp_finish(c->resp) < 0) {
        c->resp->err = 1;
        return S3E_OK;          /* the client is gone: nothing more can be said */
    }
    return S3E_OK;
}

void op_anonymous_owner(struct s3_owner *o)
{
    static const char ak[] = "anonymous";
    unsigned char md[HASH_SHA256_LEN];
    hash_once(HASH_SHA256, ak, sizeof ak - 1, md);
    hex_encode(md, 32, o->id);
    o->display_name = "anonymous";
}

/* The requester as an owner. */
static void requester_owner(const struct s3_ctx *c, struct s3_owner *o)
{
    const struct s3_credential *cred = c->req->auth.cred;
    if (!cred) {
        op_anonymous_owner(o);
        return;
    }
    snprintf(o->id, sizeof o->id, "%s", cred->id);
    o->display_name = cred->display_name;
}

void op_owner_id(const struct s3_ctx *c, char out[S3_OWNER_ID_MAX + 1])
{
    struct s3_owner o;
    requester_owner(c, &o);
    memcpy(out, o.id, sizeof o.id);
}

void op_owner_xml_of(struct xmlw *w, const char *element, const struct s3_owner *o)
{
    xmlw_open(w, element);
    xmlw_text(w, "ID", o->id);
    xmlw_text(w, "DisplayName", o->display_name);
    xmlw_close(w, element);
}

void op_owner_xml(struct s3_ctx *c, struct xmlw *w, const char *element)
{
    struct s3_owner o;
    requester_owner(c, &o);
    op_owner_xml_of(w, element, &o);
}

enum s3_err op_query_count(const struct s3_request *req, const char *name, long dflt, long cap,
                           long *out)
{
    const char *v = s3_req_query(req, name);
    unsigned long long n;
    if (!v) {
        *out = dflt;
        return S3E_OK;
    }
    if (parse_u64(v, strlen(v), 1ULL << 31, &n) < 0)
        return S3E_INVALID_ARGUMENT;
    *out = (long)n > cap ? cap : (long)n;
    return S3E_OK;
}

enum s3_err op_encoding_type(const struct s3_request *req, int *url)
{
    const char *v = s3_req_query(req, "encoding-type");
    *url = 0;
    if (!v)
        return S3E_OK;
    if (strcmp(v, "url") != 0)
        return S3E_INVALID_ARGUMENT;
    *url = 1;
    return S3E_OK;
}

void op_xml_key(struct xmlw *w, const char *name, const char *key, size_t len, int url)
{
    if (!url) {
        xmlw_textn(w, name, key, len);
        return;
    }
    /* encoding-type=url: everything but unreserved characters and '/' escaped, so
     * clients that decode with form rules ('+' = space) get '+' back as %2B */
    struct buf b;
    buf_init(&b, 4 * len + 16);
    uri_encode(&b, key, len, 1);
    xmlw_textn(w, name, buf_str(&b), b.len);
    if (b.failed)
        w->err = 1;
    buf_free(&b);
}

#define MAX_USER_META 2048      /* S3: user-defined metadata is limited to 2 KB */

static const char *const stored_headers[] = {
    "content-type", "content-encoding", "content-disposition", "content-language",
    "cache-control", "expires",
};

int op_is_stored_header(const char *name)
{
    for (size_t i = 0; i < sizeof stored_headers / sizeof *stored_headers; i++)
        if (strcmp(name, stored_headers[i]) == 0)
            return 1;
    return strncmp(name, "x-amz-meta-", 11) == 0;
}

enum s3_err op_acl_header(const struct s3_request *req, struct s3_meta_kv *kv, int *have)
{
    const char *v = s3_req_header(req, "x-amz-acl"), *msg;
    enum s3_acl acl = S3_ACL_PRIVATE;
    *have = 0;
    if (!v)
        return S3E_OK;
    enum s3_err err = access_canned_acl(v, ACLT_OBJECT, &acl, &msg);
    if (err || acl == S3_ACL_PRIVATE)
        return err;
    kv->name = S3_OBJECT_ACL_HDR;
    kv->value = (char *)bucketmeta_acl_name(acl);
    *have = 1;
    return S3E_OK;
}

enum s3_err op_collect_headers(struct s3_request *req, size_t extra, struct s3_meta_kv **out,
                               size_t *n)
{
    size_t user = 0, k = 0;
    int have_type = 0, have_acl;
    /* the stored headers, Content-Type's default, the ACL, the caller's extra */
    struct s3_meta_kv *h = arena_alloc(req->arena, (req->nheaders + 2 + extra) * sizeof *h);
    if (!h)
        return S3E_INTERNAL;
    enum s3_err err = op_acl_header(req, &h[0], &have_acl);
    if (err)
        return err;
    k = (size_t)have_acl;
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct s3_header *rh = &req->headers[i];
        const char *value = rh->value;
        if (!op_is_stored_header(rh->name))
            continue;
        if (strcmp(rh->name, "content-encoding") == 0) {
            if (strcasecmp(value, "aws-chunked") == 0)
                continue;
            if (strncasecmp(value, "aws-chunked,", 12) == 0)
                value += value[12] == ' ' ? 13 : 12;
        }
        if (strncmp(rh->name, "x-amz-meta-", 11) == 0) {
            /* stored names are sent back as header names: they must be tokens */
            if (!http_token_valid(rh->name, strlen(rh->name)))
                return S3E_INVALID_ARGUMENT;
            user += strlen(rh->name) - 11 + strlen(value);
        }
        have_type |= strcmp(rh->name, "content-type") == 0;
        h[k].name = rh->name;
        h[k].value = (char *)value;
        k++;
    }
    if (user > MAX_USER_META)
        return S3E_METADATA_TOO_LARGE;
    if (!have_type) {
        h[k].name = "content-type";
        h[k].value = "binary/octet-stream";
        k++;
    }
    *out = h;
    *n = k;
    return S3E_OK;
}

char *op_unquote_etag(struct arena *a, const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
        return arena_strndup(a, v + 1, n - 2);
    return arena_strdup(a, v);
}

/* ---- ListBuckets ---- */

struct list_buckets_state {
    struct s3_ctx *c;
    struct xmlw *w;
    const char *prefix;
    const char *after;          /* continuation token: the last name already returned */
    long max, count;
    char last[64];
    int truncated;
};

static int list_buckets_cb(void *ctx, const char *name, time_t created)
{
    struct list_buckets_state *st = ctx;
    if (st->after && strcmp(name, st->after) <= 0)
        return 0;
    if (st->prefix && strncmp(name, st->prefix, strlen(st->prefix)) != 0)
        return 0;
    if (!access_lists_bucket(st->c->req, name))
        return 0;       /* a user sees the buckets it owns or is granted (admins: all) */
    if (st->count == st->max) {
        st->truncated = 1;
        return 1;
    }
    char date[25];
    time_iso8601(created, date);
    xmlw_open(st->w, "Bucket");
    xmlw_text(st->w, "Name", name);
    xmlw_text(st->w, "CreationDate", date);
    xmlw_text(st->w, "BucketRegion", st->c->req->cfg->region);
    xmlw_close(st->w, "Bucket");
    snprintf(st->last, sizeof st->last, "%s", name);
    st->count++;
    return xmlw_error(st->w) ? -1 : 0;
}

enum s3_err op_list_buckets(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct list_buckets_state st = { .c = c };
    enum s3_err err = op_query_count(req, "max-buckets", 10000, 10000, &st.max);
    if (err)
        return err;
    if (s3_req_query(req, "max-buckets") && st.max < 1)
        return S3E_INVALID_ARGUMENT;
    st.prefix = s3_req_query(req, "prefix");
    st.after = s3_req_query(req, "continuation-token");
    struct xmlw w;
    st.w = &w;
    op_xml_begin(c, &w, "ListAllMyBucketsResult");
    op_owner_xml(c, &w, "Owner");
    xmlw_open(&w, "Buckets");
    err = store_bucket_list(req->cfg, list_buckets_cb, &st);
    if (err)
        return resp_error(c->resp, req, err, NULL), S3E_OK;
    xmlw_close(&w, "Buckets");
    if (st.truncated)
        xmlw_text(&w, "ContinuationToken", st.last);
    if (st.prefix)
        xmlw_text(&w, "Prefix", st.prefix);
    return op_xml_end(c, &w, "ListAllMyBucketsResult");
}
