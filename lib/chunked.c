/* chunked.c - aws-chunked decoder; see chunked.h for the format and the contract.
 *
 * A byte-driven state machine:
 *   CH_LINE    collecting a chunk-size line (bounded by CHUNKED_LINE_MAX)
 *   CH_DATA    copying chunk_left payload bytes to the output, hashing them
 *   CH_CRLF    the CRLF that ends chunk data
 *   CH_TRAILER collecting trailer lines up to the empty line
 *   CH_DONE    everything verified; any further byte is an error
 *   CH_FAILED  sticky error
 */
#include "chunked.h"

#include <string.h>

#include <openssl/crypto.h>

#include "sigv4.h"
#include "util.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define TRAILER_SIG_NAME "x-amz-trailer-signature"

static enum s3_err fail(struct chunked *c, enum s3_err e, const char *why)
{
    c->st = CH_FAILED;
    c->err = e;
    c->why = why;
    return e;
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t';
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static char lower(char ch)
{
    return (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_ws(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_ws((*s)[*len - 1]))
        (*len)--;
}

/* 64 hex digits into out[65], lowercased. 0 or -1. */
static int take_sig(const char *s, size_t len, char out[65])
{
    if (len != 64)
        return -1;
    for (size_t i = 0; i < 64; i++) {
        if (hexval(s[i]) < 0)
            return -1;
        out[i] = lower(s[i]);
    }
    out[64] = '\0';
    return 0;
}

/* Appends n bytes of s to buf at offset at; returns the new end. */
static size_t put(char *buf, size_t at, const char *s, size_t n)
{
    memcpy(buf + at, s, n);
    return at + n;
}

/* The chunk (kind "AWS4-HMAC-SHA256-PAYLOAD", with the empty-string hash line) or
 * trailer ("AWS4-HMAC-SHA256-TRAILER") signature over hash_hex, compared in
 * constant time with given. On success the chain moves on to given. */
static enum s3_err check_sig(struct chunked *c, int trailer, const char hash_hex[65],
                             const char given[65])
{
    char sts[32 + 17 + 128 + 3 * 65 + 8];
    size_t n = 0;
    char want[65];
    if (c->verify) {
        if (trailer)
            n = put(sts, n, "AWS4-HMAC-SHA256-TRAILER\n", 25);
        else
            n = put(sts, n, "AWS4-HMAC-SHA256-PAYLOAD\n", 25);
        n = put(sts, n, c->amz_date, 16);
        n = put(sts, n, "\n", 1);
        n = put(sts, n, c->scope, c->scope_len);
        n = put(sts, n, "\n", 1);
        n = put(sts, n, c->prev_sig, 64);
        n = put(sts, n, "\n", 1);
        if (!trailer)
            n = put(sts, n, EMPTY_SHA256 "\n", 65);
        n = put(sts, n, hash_hex, 64);
        sigv4_hmac_hex(c->key, sts, n, want);
        if (!ct_memeq(want, given, 64))
            return fail(c, S3E_SIGNATURE_MISMATCH,
                        trailer ? "trailer signature mismatch" : "chunk signature mismatch");
    }
    memcpy(c->prev_sig, given, 65);
    return S3E_OK;
}

static enum s3_err digest_hex(struct chunked *c, char out[65])
{
    unsigned char md[32];
    hash_final(&c->sha, md);
    hex_encode(md, 32, out);
    return S3E_OK;
}

static enum s3_err digest_start(struct chunked *c)
{
    if (c->verify)
        hash_init(&c->sha, HASH_SHA256);
    return S3E_OK;
}

/* ---- chunk-size line --------------------------------------------------------
 * chunk-line = 1*16HEXDIG [ *WS ";" *WS "chunk-signature" *WS "=" *WS 64HEXDIG ] *WS CRLF
 * (the extension exactly when signatures are on). */

static enum s3_err end_of_payload(struct chunked *c);

static enum s3_err parse_line(struct chunked *c)
{
    const char *p = c->line;
    size_t n = c->line_len;
    unsigned long long size = 0;
    size_t i = 0;

    if (n < 2 || p[n - 2] != '\r')
        return fail(c, S3E_INCOMPLETE_BODY, "chunk line not ended by CRLF");
    n -= 2;
    for (; i < n && hexval(p[i]) >= 0; i++) {
        if (i == 16)
            return fail(c, S3E_INCOMPLETE_BODY, "chunk size over 16 hex digits");
        size = size << 4 | (unsigned long long)hexval(p[i]);
    }
    if (i == 0)
        return fail(c, S3E_INCOMPLETE_BODY, "chunk size not hex");
    while (i < n && is_ws(p[i]))
        i++;
    if (i == n) {
        if (c->signatures)
            return fail(c, S3E_INCOMPLETE_BODY, "chunk without chunk-signature");
    } else if (p[i] != ';' || !c->signatures) {
        return fail(c, S3E_INCOMPLETE_BODY, "bad chunk line");
    } else {
        static const char ext[] = "chunk-signature";
        const size_t extlen = sizeof ext - 1;
        for (i++; i < n && is_ws(p[i]); i++)
            ;
        if (n - i < extlen || memcmp(p + i, ext, extlen) != 0)
            return fail(c, S3E_SIGNATURE_MISMATCH, "chunk extension is not chunk-signature");
        for (i += extlen; i < n && is_ws(p[i]); i++)
            ;
        if (i == n || p[i] != '=')
            return fail(c, S3E_INCOMPLETE_BODY, "bad chunk-signature");
        for (i++; i < n && is_ws(p[i]); i++)
            ;
        size_t e = n;
        while (e > i && is_ws(p[e - 1]))
            e--;
        if (take_sig(p + i, e - i, c->chunk_sig) < 0)
            return fail(c, S3E_INCOMPLETE_BODY, "chunk-signature is not 64 hex digits");
    }
    /* S3 (and the sigv4-streaming page): every chunk but the last is >= 8 KiB. */
    if (c->chunks && size != 0 && c->prev_size < c->min_chunk)
        return fail(c, S3E_INVALID_CHUNK_SIZE, "non-final chunk under the minimum size");
    if (size > c->decoded_length - c->decoded)
        return fail(c, S3E_INCOMPLETE_BODY, "chunk beyond x-amz-decoded-content-length");
    c->chunks++;
    c->prev_size = size;
    c->line_len = 0;
    if (size == 0)
        return end_of_payload(c);
    c->chunk_left = size;
    c->st = CH_DATA;
    return digest_start(c);
}

/* The final (0-size) chunk line has been read. */
static enum s3_err end_of_payload(struct chunked *c)
{
    if (c->signatures) {
        enum s3_err e = check_sig(c, 0, EMPTY_SHA256, c->chunk_sig);
        if (e)
            return e;
    }
    if (c->decoded != c->decoded_length)
        return fail(c, S3E_INCOMPLETE_BODY, "payload shorter than x-amz-decoded-content-length");
    c->st = CH_TRAILER;
    return S3E_OK;
}

/* All data of the current chunk has passed. */
static enum s3_err end_of_chunk_data(struct chunked *c)
{
    if (c->signatures && c->verify) {
        char hex[65];
        enum s3_err e = digest_hex(c, hex);
        if (e || (e = check_sig(c, 0, hex, c->chunk_sig)))
            return e;
    } else if (c->signatures) {
        memcpy(c->prev_sig, c->chunk_sig, 65);
    }
    c->st = CH_CRLF;
    c->crlf_seen = 0;
    return S3E_OK;
}

/* ---- trailers ------------------------------------------------------------- */

/* 1 when name (lowercase) is one of the comma-separated declared names. */
static int declared_has(const struct chunked *c, const char *name, size_t len)
{
    const char *p = c->declared, *end = c->declared + c->declared_len;
    while (p < end) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        const char *item = p;
        size_t ilen = (size_t)((q ? q : end) - p);
        trim(&item, &ilen);
        if (ilen == len) {
            size_t k = 0;
            while (k < len && lower(item[k]) == name[k])
                k++;
            if (k == len)
                return 1;
        }
        p = q ? q + 1 : end;
    }
    return 0;
}

static const struct chunked_tr *find_tr(const struct chunked *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->ntr; i++) {
        const struct chunked_tr *t = &c->tr[i];
        if (t->name_len != len)
            continue;
        size_t k = 0;
        while (k < len && c->store[t->name + k] == lower(name[k]))
            k++;
        if (k == len)
            return t;
    }
    return NULL;
}

/* One trailer line (CRLF included) from c->line. */
static enum s3_err trailer_line(struct chunked *c)
{
    const char *p = c->line;
    size_t n = c->line_len;
    if (n < 2 || p[n - 2] != '\r')
        return fail(c, S3E_MALFORMED_TRAILER, "trailer line not ended by CRLF");
    n -= 2;
    const char *colon = memchr(p, ':', n);
    if (!colon)
        return fail(c, S3E_MALFORMED_TRAILER, "trailer line without ':'");
    const char *name = p, *value = colon + 1;
    size_t name_len = (size_t)(colon - p), value_len = n - name_len - 1;
    trim(&name, &name_len);
    trim(&value, &value_len);
    if (name_len == 0)
        return fail(c, S3E_MALFORMED_TRAILER, "empty trailer name");
    for (size_t i = 0; i < name_len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= ' ' || ch >= 0x7f)
            return fail(c, S3E_MALFORMED_TRAILER, "bad trailer name");
    }
    /* field-value (RFC 9110 5.5): no control characters but HTAB */
    for (size_t i = 0; i < value_len; i++) {
        unsigned char ch = (unsigned char)value[i];
        if ((ch < ' ' && ch != '\t') || ch == 0x7f)
            return fail(c, S3E_MALFORMED_TRAILER, "control character in trailer value");
    }

    char lname[CHUNKED_LINE_MAX];
    for (size_t i = 0; i < name_len; i++)
        lname[i] = lower(name[i]);
    if (name_len == sizeof TRAILER_SIG_NAME - 1 && memcmp(lname, TRAILER_SIG_NAME, name_len) == 0) {
        if (!c->signed_trailer || c->have_trailer_sig)
            return fail(c, S3E_MALFORMED_TRAILER, "unexpected x-amz-trailer-signature");
        if (take_sig(value, value_len, c->trailer_sig) < 0)
            return fail(c, S3E_SIGNATURE_MISMATCH, "x-amz-trailer-signature is not 64 hex digits");
        c->have_trailer_sig = 1;
        return S3E_OK;
    }
    if (!declared_has(c, lname, name_len))
        return fail(c, S3E_MALFORMED_TRAILER, "trailer not declared in x-amz-trailer");
    if (find_tr(c, lname, name_len))
        return fail(c, S3E_MALFORMED_TRAILER, "repeated trailer");
    if (c->ntr == CHUNKED_MAX_TRAILERS || c->store_len + name_len + value_len + 2 > sizeof c->store)
        return fail(c, S3E_MALFORMED_TRAILER, "too many trailers");
    struct chunked_tr *t = &c->tr[c->ntr++];
    t->name = (unsigned short)c->store_len;
    t->name_len = (unsigned short)name_len;
    memcpy(c->store + c->store_len, lname, name_len);
    c->store_len += name_len;
    c->store[c->store_len++] = '\0';
    t->value = (unsigned short)c->store_len;
    t->value_len = (unsigned short)value_len;
    memcpy(c->store + c->store_len, value, value_len);
    c->store_len += value_len;
    c->store[c->store_len++] = '\0';
    return S3E_OK;
}

static int tr_less(const struct chunked *c, const struct chunked_tr *a, const struct chunked_tr *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int d = memcmp(c->store + a->name, c->store + b->name, n);
    return d < 0 || (d == 0 && a->name_len < b->name_len);
}

/* The empty line after the trailers: every declared trailer present, signature. */
static enum s3_err end_of_trailers(struct chunked *c)
{
    const char *p = c->declared, *end = c->declared + c->declared_len;
    while (p < end) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        const char *item = p;
        size_t ilen = (size_t)((q ? q : end) - p);
        trim(&item, &ilen);
        if (ilen && !find_tr(c, item, ilen))
            return fail(c, S3E_MALFORMED_TRAILER, "declared trailer missing");
        p = q ? q + 1 : end;
    }
    if (c->signed_trailer) {
        if (!c->have_trailer_sig)
            return fail(c, S3E_INCOMPLETE_BODY, "x-amz-trailer-signature missing");
        /* canonical trailers: "name:value\n" sorted by name; "\n" when none */
        const struct chunked_tr *order[CHUNKED_MAX_TRAILERS];
        for (size_t i = 0; i < c->ntr; i++) {
            size_t j = i;
            for (; j > 0 && tr_less(c, &c->tr[i], order[j - 1]); j--)
                order[j] = order[j - 1];
            order[j] = &c->tr[i];
        }
        enum s3_err e = digest_start(c);
        if (e)
            return e;
        if (c->verify) {
            for (size_t i = 0; i < c->ntr; i++) {
                const struct chunked_tr *t = order[i];
                hash_update(&c->sha, c->store + t->name, t->name_len);
                hash_update(&c->sha, ":", 1);
                hash_update(&c->sha, c->store + t->value, t->value_len);
                hash_update(&c->sha, "\n", 1);
            }
            if (c->ntr == 0)
                hash_update(&c->sha, "\n", 1);
        }
        char hex[65] = EMPTY_SHA256;
        if (c->verify && (e = digest_hex(c, hex)))
            return e;
        if ((e = check_sig(c, 1, hex, c->trailer_sig)))
            return e;
    }
    c->st = CH_DONE;
    return S3E_OK;
}

/* ---- driver ---------------------------------------------------------------- */

/* Collects one line (up to and including LF) into c->line. Returns the bytes taken
 * from in; *complete is set when the LF arrived. */
static size_t collect_line(struct chunked *c, const char *in, size_t n, int *complete)
{
    const char *lf = memchr(in, '\n', n);
    size_t take = lf ? (size_t)(lf - in) + 1 : n;
    *complete = lf != NULL;
    if (take > sizeof c->line - c->line_len) {
        fail(c, c->st == CH_TRAILER ? S3E_MALFORMED_TRAILER : S3E_INCOMPLETE_BODY,
             "chunk or trailer line too long");
        return 0;
    }
    memcpy(c->line + c->line_len, in, take);
    c->line_len += take;
    return take;
}

enum s3_err chunked_decode(struct chunked *c, const void *in, size_t inlen, size_t *consumed,
                           void *out, size_t outcap, size_t *produced)
{
    const char *ip = in, *iend = ip + inlen;
    char *op = out, *oend = op + outcap;
    enum s3_err e = S3E_OK;
    int complete;
    size_t n;

    while (ip < iend && !e) {
        switch (c->st) {
        case CH_LINE:
            n = collect_line(c, ip, (size_t)(iend - ip), &complete);
            ip += n;
            if (c->st == CH_FAILED)
                e = c->err;
            else if (complete)
                e = parse_line(c);
            break;
        case CH_DATA:
            n = (size_t)(iend - ip);
            if ((size_t)(oend - op) < n)
                n = (size_t)(oend - op);
            if (c->chunk_left < n)
                n = (size_t)c->chunk_left;
            if (n == 0)
                goto out;               /* output full */
            memcpy(op, ip, n);
            if (c->verify)
                hash_update(&c->sha, ip, n);
            op += n;
            ip += n;
            c->decoded += n;
            c->chunk_left -= n;
            if (c->chunk_left == 0)
                e = end_of_chunk_data(c);
            break;
        case CH_CRLF:
            if (*ip != (c->crlf_seen ? '\n' : '\r')) {
                e = fail(c, S3E_INCOMPLETE_BODY, "chunk data not followed by CRLF");
                break;
            }
            ip++;
            if (++c->crlf_seen == 2)
                c->st = CH_LINE;
            break;
        case CH_TRAILER:
            n = collect_line(c, ip, (size_t)(iend - ip), &complete);
            ip += n;
            c->trailer_raw += n;
            if (c->st == CH_FAILED) {
                e = c->err;
            } else if (c->trailer_raw > CHUNKED_TRAILER_MAX) {
                e = fail(c, S3E_MALFORMED_TRAILER, "trailer section over 8 KiB");
            } else if (complete) {
                if (c->line_len == 2 && c->line[0] == '\r')
                    e = end_of_trailers(c);
                else
                    e = trailer_line(c);
                c->line_len = 0;
            }
            break;
        case CH_DONE:
            e = fail(c, S3E_INCOMPLETE_BODY, "data after the end of the aws-chunked body");
            break;
        case CH_FAILED:
            e = c->err;
            break;
        }
    }
out:
    *consumed = (size_t)(ip - (const char *)in);
    *produced = (size_t)(op - (char *)out);
    return e ? e : c->err;
}

enum s3_err chunked_eof(struct chunked *c)
{
    if (c->st == CH_FAILED || c->st == CH_DONE)
        return c->err;
    /* Tolerated: the last CRLF missing when no trailer can follow. */
    if (c->st == CH_TRAILER && c->line_len == 0 && c->trailer_raw == 0 &&
        c->declared_len == 0 && !c->signed_trailer) {
        c->st = CH_DONE;
        return S3E_OK;
    }
    return fail(c, S3E_INCOMPLETE_BODY, c->st == CH_TRAILER ? "body ends inside the trailer"
                                                            : "body ends before the final chunk");
}

int chunked_complete(const struct chunked *c)
{
    return c->st == CH_DONE;
}

const char *chunked_trailer(const struct chunked *c, const char *name, size_t *len)
{
    if (c->st != CH_DONE)
        return NULL;
    const struct chunked_tr *t = find_tr(c, name, strlen(name));
    if (!t)
        return NULL;
    if (len)
        *len = t->value_len;
    return c->store + t->value;
}

const char *chunked_why(const struct chunked *c)
{
    return c->st == CH_FAILED ? c->why : NULL;
}

enum s3_err chunked_init(struct chunked *c, const struct chunked_params *p)
{
    memset(c, 0, sizeof *c);
    c->st = CH_LINE;
    c->signatures = p->signatures;
    c->signed_trailer = p->signed_trailer;
    c->decoded_length = p->decoded_length;
    c->min_chunk = p->min_chunk;
    if (p->trailers_len > sizeof c->declared)
        return fail(c, S3E_INVALID_REQUEST, "x-amz-trailer too long");
    if (p->trailers_len)
        memcpy(c->declared, p->trailers, p->trailers_len);
    c->declared_len = p->trailers_len;
    if ((c->signatures || c->signed_trailer) && p->signing_key) {
        if (!p->seed_signature || take_sig(p->seed_signature, strlen(p->seed_signature),
                                           c->prev_sig) < 0 ||
            !p->amz_date || strlen(p->amz_date) != 16 || !p->scope ||
            p->scope_len >= sizeof c->scope)
            return fail(c, S3E_INVALID_REQUEST, "bad signing parameters");
        c->verify = 1;
        memcpy(c->key, p->signing_key, sizeof c->key);
        memcpy(c->amz_date, p->amz_date, 17);
        memcpy(c->scope, p->scope, p->scope_len);
        c->scope_len = p->scope_len;
    }
    return S3E_OK;
}

void chunked_free(struct chunked *c)
{
    OPENSSL_cleanse(c->key, sizeof c->key);
}
