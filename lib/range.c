/* range.c - the Range request header (RFC 7233 sections 2.1 and 3.1, with the
 * zero-length rule of RFC 9110 section 14.1.1) as Amazon S3 applies it.
 *
 * S3 behaviour this follows (GetObject "Range" serves one range; observed answers of
 * AWS S3 reported by client and emulator projects):
 * - Multiple ranges are not supported; S3 ignores such a header and sends the whole
 *   object with 200.
 * - last-byte-pos < first-byte-pos ("bytes=5-2", "bytes=1-0") is an invalid spec
 *   (RFC 7233 2.1) and is ignored: AWS returns the whole object with 200
 *   (localstack/localstack#9076, curl against S3 in af-south-1).
 * - A first-byte-pos at or past the end is 416 InvalidRange, on an empty object
 *   too: "bytes=0-" and "bytes=0-0" on a 0-byte object give 416 "The requested
 *   range is not satisfiable" (minio/minio-java#636 against AWS, minio/minio#6557).
 * - A suffix range with a non-zero length on an empty object is satisfiable only in
 *   the sense of RFC 9110 14.1.1 and cannot be expressed as a Content-Range; AWS
 *   answers 200 with Content-Length 0 (apache/arrow-rs-object-store#846,
 *   floci-io/floci#1141 after Trino's test against S3). So: RANGE_NONE.
 * - A suffix length of 0 ("bytes=-0") selects nothing: unsatisfiable (RFC 7233 2.1).
 * - last-byte-pos at or past the end is clamped to size-1 (RFC 7233 2.1).
 *
 * Numbers: RFC 7233 sets no bound on the digits. Values saturate at LLONG_MAX and
 * two saturated values are compared as digit strings, so "bytes=99999999999999999999-"
 * is a first-byte-pos past the end (416) and "bytes=0-99999999999999999999" is the
 * whole object from 0 (206), both as RFC 7233 reads them.
 *
 * Leniency: the unit name is matched case-insensitively (RFC 9110 14.1), optional
 * whitespace is accepted around '=', '-' and list commas, and empty list elements
 * are skipped (RFC 7230 7).
 */
#include "range.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

struct num {
    const char *p;          /* digits, NULL when absent */
    size_t n;
    long long v;            /* saturated at LLONG_MAX */
    int sat;
};

static int ows(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *p, const char *e)
{
    while (p < e && ows(*p))
        p++;
    return p;
}

static const char *digits(const char *p, const char *e, struct num *out)
{
    out->p = NULL;
    out->n = 0;
    out->v = 0;
    out->sat = 0;
    const char *s = p;
    while (p < e && *p >= '0' && *p <= '9') {
        int d = *p - '0';
        if (!out->sat && out->v > (LLONG_MAX - d) / 10)
            out->sat = 1;
        if (!out->sat)
            out->v = out->v * 10 + d;
        p++;
    }
    if (out->sat)
        out->v = LLONG_MAX;
    if (p > s) {
        out->p = s;
        out->n = (size_t)(p - s);
    }
    return p;
}

/* a < b for two present numbers, exact even when both saturated. */
static int num_less(const struct num *a, const struct num *b)
{
    if (!a->sat || !b->sat)
        return a->v < b->v;
    const char *ap = a->p, *bp = b->p;
    size_t an = a->n, bn = b->n;
    while (an > 1 && *ap == '0')
        ap++, an--;
    while (bn > 1 && *bp == '0')
        bp++, bn--;
    if (an != bn)
        return an < bn;
    return memcmp(ap, bp, an) < 0;
}

/* One list element, already trimmed of surrounding OWS: "a-b", "a-" or "-n".
 * 0 when it matches the grammar, -1 otherwise. */
static int parse_spec(const char *p, const char *e, struct num *first, struct num *last)
{
    p = digits(p, e, first);
    p = skip_ows(p, e);
    if (p == e || *p != '-')
        return -1;
    p = skip_ows(p + 1, e);
    p = digits(p, e, last);
    if (p != e)
        return -1;
    if (!first->p && !last->p)
        return -1;
    return 0;
}

enum range_result s3_range_parse(const char *hdr, size_t len, long long size,
                                 struct s3_range *out)
{
    struct num first = { 0 }, last = { 0 };
    int specs = 0;

    if (!hdr || size < 0)
        return RANGE_NONE;
    const char *p = hdr, *e = hdr + len;
    p = skip_ows(p, e);
    while (e > p && ows(e[-1]))
        e--;
    if (e - p < 5 || strncasecmp(p, "bytes", 5) != 0)
        return RANGE_NONE;       /* other-ranges-specifier: not ours, ignore */
    p = skip_ows(p + 5, e);
    if (p == e || *p != '=')
        return RANGE_NONE;
    p++;

    /* byte-range-set = 1#( byte-range-spec / suffix-byte-range-spec ) */
    while (p <= e) {
        const char *comma = memchr(p, ',', (size_t)(e - p));
        const char *ee = comma ? comma : e;
        const char *s = skip_ows(p, ee), *t = ee;
        while (t > s && ows(t[-1]))
            t--;
        if (s < t) {
            if (++specs > 1 || parse_spec(s, t, &first, &last) != 0)
                return RANGE_NONE;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (specs != 1)
        return RANGE_NONE;

    if (!first.p) {
        /* suffix-byte-range-spec */
        if (last.v == 0)
            return RANGE_UNSATISFIABLE;
        if (size == 0)
            return RANGE_NONE;
        out->start = last.v >= size ? 0 : size - last.v;
        out->end = size - 1;
        return RANGE_OK;
    }
    if (last.p && num_less(&last, &first))
        return RANGE_NONE;
    if (first.v >= size)
        return RANGE_UNSATISFIABLE;
    out->start = first.v;
    out->end = !last.p || last.v >= size ? size - 1 : last.v;
    return RANGE_OK;
}
