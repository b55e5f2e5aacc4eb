/* loadgen.c - a small, bounded HTTP load generator for the s3cgi benchmarks.
 *
 * Runs N requests over C concurrent connections (libcurl multi), optionally signed
 * with AWS SigV4 (CURLOPT_AWS_SIGV4), cycling through a list of URLs; checks every
 * response's status and, for GETs with --check-md5, the body's MD5 against the
 * ETag. Stops after N requests or --max-seconds, whichever comes first.
 * Prints one line: "requests=N ok=N errors=N seconds=S rate=R".
 *
 * --md5 HEX checks every body against HEX instead of the ETag (servers whose ETag is
 * not an MD5: a static web server, the trivial responders).
 * --list: each URL is a bucket; one "request" is a full ListObjectsV2 of it, paging
 * with max-keys=--page-size and continuation-token until IsTruncated is false, done
 * sequentially on one connection; every page must be 200 and the listing must hold
 * --expect-keys keys (if given). rate is full listings per second; pages= is added.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

/* SHA-256 of the empty payload: sent as x-amz-content-sha256 on requests without a
 * body (curl 7.88's SigV4 sends none; s3rver insists on it). */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#include <openssl/evp.h>

struct opts {
    const char *method;
    char **urls;
    size_t nurls;
    long conns, requests, body_size;
    double max_seconds;
    const char *user;           /* "AK:SK" */
    const char *region;
    long expect;
    int check_md5;
    const char *md5;            /* expected body MD5 (hex), or NULL: the ETag */
    int list;
    long page_size, expect_keys;
};

struct slot {
    CURL *h;
    size_t url;
    long sent;                  /* upload offset */
    EVP_MD_CTX *md5;
    char etag[64];
    struct curl_slist *hdrs;
};

static const char *body_data;   /* shared read-only PUT payload */
static long body_len;

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct slot *s = ud;
    size_t left = (size_t)(body_len - s->sent), want = size * n;
    if (want > left)
        want = left;
    memcpy(buf, body_data + s->sent, want);
    s->sent += (long)want;
    return want;
}

static size_t on_write(char *buf, size_t size, size_t n, void *ud)
{
    struct slot *s = ud;
    if (s->md5)
        EVP_DigestUpdate(s->md5, buf, size * n);
    return size * n;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    struct slot *s = ud;
    size_t len = size * n;
    if (len > 7 && strncasecmp(buf, "ETag: \"", 7) == 0) {
        size_t m = strcspn(buf + 7, "\"");
        if (m < sizeof s->etag) {
            memcpy(s->etag, buf + 7, m);
            s->etag[m] = '\0';
        }
    }
    return len;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void start(CURLM *m, struct slot *s, const struct opts *o, long seq)
{
    CURL *h = s->h;
    curl_easy_reset(h);         /* clears every option, CURLOPT_PRIVATE included */
    curl_easy_setopt(h, CURLOPT_PRIVATE, s);
    s->url = (size_t)seq % o->nurls;
    s->sent = 0;
    s->etag[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, o->urls[s->url]);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
    if (s->hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdrs);
    if (o->user) {
        char sig[128];
        snprintf(sig, sizeof sig, "aws:amz:%s:s3", o->region);
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sig);
        curl_easy_setopt(h, CURLOPT_USERPWD, o->user);
    }
    if (!strcmp(o->method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, s);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
    } else if (!strcmp(o->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(o->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, o->method);
    }
    if (s->md5)
        EVP_DigestInit_ex(s->md5, EVP_md5(), NULL);
    curl_multi_add_handle(m, h);
}

/* 1 when the finished transfer on s is what was expected. Reports only the first
 * few failures. */
static int check(struct slot *s, const struct opts *o, CURLcode rc, long failures)
{
    long status = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != o->expect) {
        if (failures < 5)
            fprintf(stderr, "loadgen: %s %s -> %s, status %ld\n", o->method, o->urls[s->url],
                curl_easy_strerror(rc), status);
        return 0;
    }
    if (s->md5) {
        unsigned char md[16];
        char hex[33];
        unsigned int l;
        EVP_DigestFinal_ex(s->md5, md, &l);
        for (int i = 0; i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        const char *want = o->md5 ? o->md5 : s->etag;
        if (strcmp(hex, want) != 0) {
            if (failures < 5)
                fprintf(stderr, "loadgen: %s body md5 %s != %s %s\n", o->urls[s->url], hex,
                        o->md5 ? "--md5" : "ETag", want);
            return 0;
        }
    }
    return 1;
}

/* ---- --list: full ListObjectsV2 listings ---- */

struct page {
    char *data;
    size_t len, cap;
};

static size_t on_page(char *buf, size_t size, size_t n, void *ud)
{
    struct page *p = ud;
    size_t len = size * n;
    if (p->len + len + 1 > p->cap) {
        size_t nc = (p->len + len + 1) * 2;
        char *d = realloc(p->data, nc);
        if (!d)
            return 0;
        p->data = d;
        p->cap = nc;
    }
    memcpy(p->data + p->len, buf, len);
    p->len += len;
    p->data[p->len] = '\0';
    return len;
}

/* Text of the first <tag>...</tag> in xml, copied into out (outlen bytes); 0 if absent. */
static int xml_text(const char *xml, const char *tag, char *out, size_t outlen)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(xml, open), *b;
    if (!a || !(b = strstr(a += strlen(open), close)) || (size_t)(b - a) >= outlen)
        return 0;
    memcpy(out, a, (size_t)(b - a));
    out[b - a] = '\0';
    return 1;
}

static long count_of(const char *xml, const char *needle)
{
    long n = 0;
    for (const char *p = xml; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* One full listing of bucket URL base: 1 if every page was 200 and the key count is
 * right. *pages counts the pages fetched. */
static int list_once(CURL *h, struct curl_slist *hdrs, const struct opts *o, const char *base,
                     long *pages, long failures)
{
    struct page pg = { NULL, 0, 0 };
    char token[2048] = "", url[4096];
    long keys = 0;
    int ok = 1;
    for (;;) {
        if (token[0]) {
            char *t = curl_easy_escape(h, token, 0);
            /* parameters in sorted order: the canonical query curl 7.88 signs as is */
            snprintf(url, sizeof url, "%s?continuation-token=%s&list-type=2&max-keys=%ld", base, t,
                     o->page_size);
            curl_free(t);
        } else {
            snprintf(url, sizeof url, "%s?list-type=2&max-keys=%ld", base, o->page_size);
        }
        pg.len = 0;
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_page);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &pg);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
        if (o->user) {
            char sig[128];
            snprintf(sig, sizeof sig, "aws:amz:%s:s3", o->region);
            curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sig);
            curl_easy_setopt(h, CURLOPT_USERPWD, o->user);
        }
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        (*pages)++;
        if (rc != CURLE_OK || status != 200 || !pg.data) {
            if (failures < 5)
                fprintf(stderr, "loadgen: list %s -> %s, status %ld: %.300s\n", url,
                        curl_easy_strerror(rc), status, pg.data ? pg.data : "");
            ok = 0;
            break;
        }
        keys += count_of(pg.data, "<Key>");
        char trunc[16] = "";
        xml_text(pg.data, "IsTruncated", trunc, sizeof trunc);
        if (strcmp(trunc, "true") != 0)
            break;
        if (!xml_text(pg.data, "NextContinuationToken", token, sizeof token)) {
            if (failures < 5)
                fprintf(stderr, "loadgen: list %s: truncated without NextContinuationToken\n", url);
            ok = 0;
            break;
        }
    }
    if (ok && o->expect_keys >= 0 && keys != o->expect_keys) {
        if (failures < 5)
            fprintf(stderr, "loadgen: list %s: %ld keys, expected %ld\n", base, keys, o->expect_keys);
        ok = 0;
    }
    free(pg.data);
    return ok;
}

static int list_main(const struct opts *o)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "x-amz-content-sha256: " EMPTY_SHA256);
    long done = 0, ok = 0, pages = 0;
    double t0 = now();
    while (done < o->requests && (done == 0 || now() - t0 < o->max_seconds)) {
        ok += list_once(h, hdrs, o, o->urls[(size_t)done % o->nurls], &pages, done - ok);
        done++;
    }
    double secs = now() - t0;
    printf("requests=%ld ok=%ld errors=%ld seconds=%.3f rate=%.3f pages=%ld\n", done, ok, done - ok,
           secs, secs > 0 ? done / secs : 0.0, pages);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return done == ok ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: loadgen [--method GET|PUT|HEAD|DELETE] [--conns C] [--requests N] "
                    "[--max-seconds S] [--body-size BYTES] [--aws AK:SK] [--region R] "
                    "[--expect STATUS] [--check-md5] [--md5 HEX]\n"
                    "               [--list [--page-size N] [--expect-keys N]] URL...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o = { "GET", NULL, 0, 1, 1000, 4096, 60.0, NULL, "us-east-1", 200, 0, NULL, 0, 1000, -1 };
    static const struct option lo[] = {
        { "method", 1, 0, 'm' }, { "conns", 1, 0, 'c' }, { "requests", 1, 0, 'n' },
        { "max-seconds", 1, 0, 't' }, { "body-size", 1, 0, 'b' }, { "aws", 1, 0, 'a' },
        { "region", 1, 0, 'r' }, { "expect", 1, 0, 'e' }, { "check-md5", 0, 0, 'k' },
        { "md5", 1, 0, '5' }, { "list", 0, 0, 'l' }, { "page-size", 1, 0, 'p' },
        { "expect-keys", 1, 0, 'K' }, { 0, 0, 0, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'm': o.method = optarg; break;
        case 'c': o.conns = atol(optarg); break;
        case 'n': o.requests = atol(optarg); break;
        case 't': o.max_seconds = atof(optarg); break;
        case 'b': o.body_size = atol(optarg); break;
        case 'a': o.user = optarg; break;
        case 'r': o.region = optarg; break;
        case 'e': o.expect = atol(optarg); break;
        case 'k': o.check_md5 = 1; break;
        case '5': o.md5 = optarg; o.check_md5 = 1; break;
        case 'l': o.list = 1; break;
        case 'p': o.page_size = atol(optarg); break;
        case 'K': o.expect_keys = atol(optarg); break;
        default: usage();
        }
    }
    if (optind >= argc || o.conns < 1 || o.requests < 1 || o.body_size < 0)
        usage();
    o.urls = argv + optind;
    o.nurls = (size_t)(argc - optind);
    if (o.list) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int rc = list_main(&o);
        curl_global_cleanup();
        return rc;
    }
    if (!strcmp(o.method, "PUT")) {
        char *b = malloc((size_t)o.body_size + 1);
        for (long i = 0; i < o.body_size; i++)
            b[i] = (char)('a' + i % 26);
        body_data = b;
        body_len = o.body_size;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, o.conns);
    struct slot *slots = calloc((size_t)o.conns, sizeof *slots);
    long issued = 0, done = 0, ok = 0;
    double t0 = now();
    for (long i = 0; i < o.conns && issued < o.requests; i++) {
        slots[i].h = curl_easy_init();
        slots[i].hdrs = curl_slist_append(NULL, "Expect:");
        if (!strcmp(o.method, "PUT"))   /* curl 7.88 would sign an empty payload hash for uploads */
            slots[i].hdrs = curl_slist_append(slots[i].hdrs, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
        else if (o.user)
            slots[i].hdrs = curl_slist_append(slots[i].hdrs, "x-amz-content-sha256: " EMPTY_SHA256);
        if (o.check_md5)
            slots[i].md5 = EVP_MD_CTX_new();
        start(m, &slots[i], &o, issued++);
    }
    int running = 1;
    while (done < issued) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct slot *s;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(m, s->h);
            done++;
            ok += check(s, &o, rc, done - 1 - ok);
            if (issued < o.requests && now() - t0 < o.max_seconds)
                start(m, s, &o, issued++);
        }
        if (done < issued)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double secs = now() - t0;
    printf("requests=%ld ok=%ld errors=%ld seconds=%.3f rate=%.1f\n", done, ok, done - ok, secs,
           secs > 0 ? done / secs : 0.0);
    for (long i = 0; i < o.conns; i++) {
        if (slots[i].h)
            curl_easy_cleanup(slots[i].h);
        curl_slist_free_all(slots[i].hdrs);
        EVP_MD_CTX_free(slots[i].md5);
    }
    free(slots);
    free((void *)body_data);
    curl_multi_cleanup(m);
    curl_global_cleanup();
    return done == ok ? 0 : 1;
}
