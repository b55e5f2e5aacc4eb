/* op_list.c - ListObjects (V1), ListObjectsV2 and ListObjectVersions.
 *
 * Entries stream into the XML as the walk finds them (walk.h gives S3 order and
 * resumes by descending straight to the marker). The summary elements that depend
 * on the end of the page (IsTruncated, NextMarker, KeyCount, ...) are therefore
 * written after the entries; S3 clients read elements by name, not position.
 */
#include <string.h>

#include "config.h"
#include "ops.h"
#include "store.h"
#include "util.h"
#include "walk.h"

enum list_kind { LIST_V1, LIST_V2, LIST_VERSIONS };

struct list_state {
    struct s3_ctx *c;
    struct xmlw *w;
    enum list_kind kind;
    int url;                    /* encoding-type=url */
    int owner;                  /* emit Owner in entries */
    long max, count;
    int truncated;
    char last[S3_MAX_KEY_LEN + 1];      /* last key or prefix emitted */
    size_t last_len;
};

static int list_cb(void *ctx, const struct walk_entry *e)
{
    struct list_state *st = ctx;
    struct xmlw *w = st->w;
    if (st->count == st->max) {
        st->truncated = 1;
        return 1;
    }
    if (e->is_prefix) {
        xmlw_open(w, "CommonPrefixes");
        op_xml_key(w, "Prefix", e->key, e->key_len, st->url);
        xmlw_close(w, "CommonPrefixes");
    } else {
        const char *el = st->kind == LIST_VERSIONS ? "Version" : "Contents";
        char date[25];
        /* milliseconds, not S3's ".000": "aws s3 sync" compares them with local
         * mtimes, and a file written in the second of its upload would look newer */
        time_iso8601_ms(&e->mtime, date);
        xmlw_open(w, el);
        op_xml_key(w, "Key", e->key, e->key_len, st->url);
        if (st->kind == LIST_VERSIONS) {
            xmlw_text(w, "VersionId", "null");
            xmlw_bool(w, "IsLatest", 1);
        }
        xmlw_text(w, "LastModified", date);
        xmlw_textf(w, "ETag", "\"%s\"", e->etag ? e->etag : "");
        xmlw_int(w, "Size", e->size);
        if (st->owner)
            op_owner_xml(st->c, w, "Owner");
        xmlw_text(w, "StorageClass", "STANDARD");
        xmlw_close(w, el);
    }
    size_t n = e->key_len < sizeof st->last - 1 ? e->key_len : sizeof st->last - 1;
    memcpy(st->last, e->key, n);
    st->last[n] = '\0';
    st->last_len = n;
    st->count++;
    return xmlw_error(w) ? -1 : 0;
}

/* Optional string parameter with its length. */
static const char *param(const struct s3_request *req, const char *name, size_t *len)
{
    const char *v = s3_req_query(req, name);
    *len = v ? strlen(v) : 0;
    return v;
}

/* V2 continuation tokens are base64 of the last key or prefix returned. */
static enum s3_err decode_token(struct s3_request *req, const char *tok, const char **after,
                                size_t *after_len)
{
    size_t n = strlen(tok);
    unsigned char *out = arena_alloc(req->arena, n + 1);
    long len = out ? base64_decode(tok, n, out, n) : -1;
    if (len <= 0 || len > S3_MAX_KEY_LEN)
        return S3E_INVALID_ARGUMENT;
    *after = (const char *)out;
    *after_len = (size_t)len;
    return S3E_OK;
}

static void write_token(struct xmlw *w, const char *name, const char *s, size_t n)
{
    char tok[4 * (S3_MAX_KEY_LEN + 2) / 3 + 8];
    base64_encode((const unsigned char *)s, n, tok);
    xmlw_text(w, name, tok);
}

static enum s3_err list(struct s3_ctx *c, enum list_kind kind)
{
    struct s3_request *req = c->req;
    struct list_state st = { .c = c, .kind = kind };
    struct walk_params wp = { .want_etag = 1 };
    const char *token = NULL, *marker;
    size_t marker_len;
    enum s3_err err;
    if ((err = op_encoding_type(req, &st.url)) ||
        (err = op_query_count(req, "max-keys", 1000, 1000, &st.max)))
        return err;
    wp.prefix = param(req, "prefix", &wp.prefix_len);
    wp.delimiter = param(req, "delimiter", &wp.delim_len);
    if (kind == LIST_V2) {
        const char *fo = s3_req_query(req, "fetch-owner");
        st.owner = fo && strcmp(fo, "true") == 0;
        marker = param(req, "start-after", &marker_len);
        token = s3_req_query(req, "continuation-token");
        if (token && (err = decode_token(req, token, &wp.after, &wp.after_len)))
            return err;
        if (!token) {
            wp.after = marker;
            wp.after_len = marker_len;
        }
    } else {
        st.owner = 1;
        marker = param(req, kind == LIST_V1 ? "marker" : "key-marker", &marker_len);
        wp.after = marker;
        wp.after_len = marker_len;
    }
    if (wp.prefix_len > S3_MAX_KEY_LEN || wp.after_len > S3_MAX_KEY_LEN)
        return S3E_INVALID_ARGUMENT;

    static const char *const roots[] = { "ListBucketResult", "ListBucketResult", "ListVersionsResult" };
    struct xmlw w;
    st.w = &w;
    op_xml_begin(c, &w, roots[kind]);
    xmlw_text(&w, "Name", req->bucket);
    op_xml_key(&w, "Prefix", wp.prefix ? wp.prefix : "", wp.prefix_len, st.url);
    if (kind == LIST_V1)
        op_xml_key(&w, "Marker", marker ? marker : "", marker_len, st.url);
    if (kind == LIST_VERSIONS) {
        op_xml_key(&w, "KeyMarker", marker ? marker : "", marker_len, st.url);
        xmlw_text(&w, "VersionIdMarker", s3_req_query(req, "version-id-marker") ? "null" : "");
    }
    if (kind == LIST_V2 && token)
        xmlw_text(&w, "ContinuationToken", token);
    if (kind == LIST_V2 && marker)
        op_xml_key(&w, "StartAfter", marker, marker_len, st.url);
    xmlw_int(&w, "MaxKeys", st.max);
    if (wp.delimiter)
        op_xml_key(&w, "Delimiter", wp.delimiter, wp.delim_len, st.url);
    if (st.url)
        xmlw_text(&w, "EncodingType", "url");
    if (st.max > 0 && (err = store_walk(req->cfg, c->bucketfd, &wp, list_cb, &st))) {
        if (xmlw_error(&w))
            return c->resp->err = 1, S3E_OK;
        return resp_error(c->resp, req, err, NULL), S3E_OK;
    }
    xmlw_bool(&w, "IsTruncated", st.truncated);
    if (kind == LIST_V2)
        xmlw_int(&w, "KeyCount", st.count);
    if (st.truncated) {
        if (kind == LIST_V1)
            op_xml_key(&w, "NextMarker", st.last, st.last_len, st.url);
        else if (kind == LIST_V2)
            write_token(&w, "NextContinuationToken", st.last, st.last_len);
        else {
            op_xml_key(&w, "NextKeyMarker", st.last, st.last_len, st.url);
            xmlw_text(&w, "NextVersionIdMarker", "null");
        }
    }
    return op_xml_end(c, &w, roots[kind]);
}

enum s3_err op_list_objects(struct s3_ctx *c)
{
    const char *lt = s3_req_query(c->req, "list-type");
    if (lt && strcmp(lt, "2") != 0)
        return S3E_INVALID_ARGUMENT;
    return list(c, lt ? LIST_V2 : LIST_V1);
}

enum s3_err op_list_object_versions(struct s3_ctx *c)
{
    return list(c, LIST_VERSIONS);
}
