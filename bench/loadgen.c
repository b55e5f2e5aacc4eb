/* loadgen.c - a small, bounded HTTP load generator for the s3cgi benchmarks.
 *
 * Runs N requests over C concurrent connections (libcurl multi), optionally signed
 * with AWS SigV4 (CURLOPT_AWS_SIGV4), cycling through a list of URLs; checks every
 * response's status and, for GETs with --check-md5, the body's MD5 against the
 * ETag. Stops after N requests or --max-seconds, whichever comes first.
 * Prints one line: "requests=N ok=N errors=N seconds=S rate=R".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
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
        if (strcmp(hex, s->etag) != 0) {
            if (failures < 5)
                fprintf(stderr, "loadgen: %s body md5 %s != ETag %s\n", o->urls[s->url], hex, s->etag);
            return 0;
        }
    }
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: loadgen [--method GET|PUT|HEAD|DELETE] [--conns C] [--requests N] "
                    "[--max-seconds S] [--body-size BYTES] [--aws AK:SK] [--region R] "
                    "[--expect STATUS] [--check-md5] URL...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o = { "GET", NULL, 0, 1, 1000, 4096, 60.0, NULL, "us-east-1", 200, 0 };
    static const struct option lo[] = {
        { "method", 1, 0, 'm' }, { "conns", 1, 0, 'c' }, { "requests", 1, 0, 'n' },
        { "max-seconds", 1, 0, 't' }, { "body-size", 1, 0, 'b' }, { "aws", 1, 0, 'a' },
        { "region", 1, 0, 'r' }, { "expect", 1, 0, 'e' }, { "check-md5", 0, 0, 'k' }, { 0, 0, 0, 0 },
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
        default: usage();
        }
    }
    if (optind >= argc || o.conns < 1 || o.requests < 1 || o.body_size < 0)
        usage();
    o.urls = argv + optind;
    o.nurls = (size_t)(argc - optind);
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
