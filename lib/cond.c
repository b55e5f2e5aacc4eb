/* cond.c - conditional requests: RFC 7232 section 6 precedence with S3's documented
 * outcomes (GetObject/HeadObject "If-Match", "If-None-Match", "If-Modified-Since",
 * "If-Unmodified-Since"; CopyObject/UploadPartCopy "x-amz-copy-source-if-*").
 *
 *   1. If-Match present: false -> 412. If-Unmodified-Since is then not evaluated,
 *      which is S3's "If-Match true and If-Unmodified-Since false -> 200 OK".
 *   2. Else If-Unmodified-Since (a valid date): modified after it -> 412.
 *   3. If-None-Match present: false -> 304 for GET/HEAD, 412 otherwise.
 *      If-Modified-Since is then not evaluated: S3's "If-None-Match false and
 *      If-Modified-Since true -> 304".
 *   4. Else If-Modified-Since (a valid date), GET/HEAD only (RFC 7232 3.3): not
 *      modified after it -> 304.
 *
 * ETag lists follow RFC 7232 2.3 and 3.1/3.2: entity-tags separated by commas,
 * "*" for any current representation. If-Match uses the strong comparison (a W/
 * tag never matches), If-None-Match the weak one (W/ is ignored). Bare tokens without
 * quotes are accepted too, as S3 does. A list that does not parse matches nothing.
 * A header that is empty or only whitespace counts as absent; a date that does not
 * parse is ignored (RFC 7232 3.3 and 3.4).
 */
#include "cond.h"

#include <string.h>

#include "util.h"

enum cond_mode { MODE_WRITE, MODE_READ, MODE_COPY };

static int ows(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    const char *p = *s, *e = *s + *n;
    while (p < e && ows(*p))
        p++;
    while (e > p && ows(e[-1]))
        e--;
    *s = p;
    *n = (size_t)(e - p);
}

/* 1 when the header is present with something in it. */
static int present(const char *h)
{
    if (!h)
        return 0;
    size_t n = strlen(h);
    trim(&h, &n);
    return n > 0;
}

/* 1 when list (an If-Match / If-None-Match value) matches etag. */
static int etag_list_match(const char *list, const char *etag, int strong)
{
    const char *p = list, *e = list + strlen(list);
    size_t elen = strlen(etag);

    /* The ETag we hold may come quoted from a caller; compare the opaque part. */
    if (elen >= 2 && etag[0] == '"' && etag[elen - 1] == '"')
        etag++, elen -= 2;

    {
        const char *s = p;
        size_t n = (size_t)(e - p);
        trim(&s, &n);
        if (n == 1 && *s == '*')
            return 1;           /* the object exists: "*" matches (RFC 7232 3.1) */
    }
    while (p < e) {
        while (p < e && (ows(*p) || *p == ','))
            p++;
        if (p == e)
            break;
        int weak = 0;
        if (e - p >= 2 && p[0] == 'W' && p[1] == '/') {
            weak = 1;
            p += 2;
        }
        const char *tag, *tend;
        if (p < e && *p == '"') {
            tag = ++p;
            tend = memchr(p, '"', (size_t)(e - p));
            if (!tend)
                return 0;
            p = tend + 1;
        } else {
            tag = p;
            while (p < e && *p != ',' && !ows(*p) && *p != '"')
                p++;
            tend = p;
            if (tend == tag)
                return 0;
        }
        while (p < e && ows(*p))
            p++;
        if (p < e && *p != ',')
            return 0;           /* junk after an entity-tag */
        if ((!strong || !weak) && (size_t)(tend - tag) == elen &&
            memcmp(tag, etag, elen) == 0)
            return 1;
    }
    return 0;
}

/* 0 and *t set when h holds a valid HTTP-date. */
static int date(const char *h, time_t *t)
{
    size_t n = strlen(h);
    trim(&h, &n);
    return time_parse_http(h, n, t);
}

static enum s3_err eval(const struct s3_cond *c, const char *etag, time_t mtime,
                        enum cond_mode mode)
{
    time_t t;
    if (!c)
        return S3E_OK;
    if (!etag)
        etag = "";
    enum s3_err not_modified = mode == MODE_READ ? S3E_NOT_MODIFIED : S3E_PRECONDITION_FAILED;

    if (present(c->if_match)) {
        if (!etag_list_match(c->if_match, etag, 1))
            return S3E_PRECONDITION_FAILED;
    } else if (present(c->if_unmodified_since) && date(c->if_unmodified_since, &t) == 0) {
        if (mtime > t)
            return S3E_PRECONDITION_FAILED;
    }
    if (present(c->if_none_match)) {
        if (etag_list_match(c->if_none_match, etag, 0))
            return not_modified;
    } else if (mode != MODE_WRITE && present(c->if_modified_since) &&
               date(c->if_modified_since, &t) == 0) {
        if (mtime <= t)
            return not_modified;
    }
    return S3E_OK;
}

enum s3_err s3_cond_eval(const struct s3_cond *c, const char *etag, time_t mtime,
                         int read_method)
{
    return eval(c, etag, mtime, read_method ? MODE_READ : MODE_WRITE);
}

enum s3_err s3_cond_eval_copy(const struct s3_cond *c, const char *etag, time_t mtime)
{
    return eval(c, etag, mtime, MODE_COPY);
}
