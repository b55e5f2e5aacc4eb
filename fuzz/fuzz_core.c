/* fuzz_core.c - libFuzzer target for the whole request path: s3_handle (parse,
 * authenticate, route, operate, store, respond) through an in-memory front, over a
 * real data root on disk.
 *
 * Build and run (from the source root; or `make -f fuzz/Makefile.fuzz`):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       fuzz/fuzz_core.c lib/[a-z]*.c $(pkg-config --cflags --libs expat libcrypto) \
 *       -o fuzz_core
 *   ./fuzz_core -dict=fuzz/core.dict -max_total_time=60 fuzz/corpus/core
 *
 * Layout, made once per process in $TMPDIR (else /tmp) as s3cgi-fuzz-core-XXXXXX,
 * removed at a normal exit (after a crash, Makefile.fuzz removes its TMPDIR):
 *   root/           the data root ("anonymous = full", "fsync = off")
 *     bkt/obj, bkt/dir/sub/obj2, bkt/empty, bkt/dirobj/ (directory object)
 *     bkt/escape -> ../../sentinel, bkt/secret -> ../../secret, bkt/abs -> /
 *     other/        a second, empty bucket;  evil -> ../sentinel (bucket symlink)
 *     a multipart upload of bkt/mp in progress (its id replaces "@ID@", below)
 *   sentinel/       must stay empty
 *   secret          random bytes that must never appear in a response
 *   s3cgi.conf
 * After an input that used any method but GET and HEAD, root is emptied and made
 * again (GETs leave it alone: cheap, and their ETag caching changes nothing seen).
 *
 * Input: byte 0 selects (bits 0-1: prefix "/s3", domain "s3.test" for virtual
 * hosts; bits 2-3: the front returns body bytes in reads of at most 0 (unbounded),
 * 5, 512 or 8192 bytes). Then up to 4 requests separated by a line "====":
 *   METHOD\n URI\n NAME=value\n ... \n \n body
 * NAME=value lines are CGI variables (HTTP_RANGE=bytes=0-1); CONTENT_LENGTH is added
 * (the body's length) unless one is given; the body is at most 64 KiB. "@ID@"
 * anywhere becomes the latest UploadId seen (fixture's or a response's), so
 * multipart sequences can be built.
 *
 * Checks after every request: the response starts "Status: NNN " (200..599); the
 * header block is CRLF lines "Name: value", the name a token, ended by an empty
 * line (no header injection); a complete response (s3_handle returned 0) to HEAD has no body, and
 * otherwise exactly Content-Length bytes; the secret is never in the output.
 * After every input: sentinel/ is still empty, nothing new appeared next to root,
 * secret is unchanged, the root holds only valid bucket names and .s3cgi, no file
 * descriptor leaked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_common.h"
#include "s3cgi.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 4
#define MAX_BODY (64 * 1024)
#define SEP "\n====\n"

static char base[200], rootp[256], sentinelp[256], secretp[256];
static char secret[33];
static struct stat secret_st;
static struct s3_config cfg;
static struct s3_config variants[4];
static char upload_id[128];

/* ---- the fixture ---- */

static void put_file(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", rootp, rel);
    FILE *f = fopen(p, "w");
    if (!f || fputs(content, f) < 0 || fclose(f) != 0)
        abort();
}

static void sub(const char *rel, int dir, const char *link_to)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", rootp, rel);
    if (dir ? mkdir(p, 0755) : symlink(link_to, p))
        abort();
}

static int response_of(const struct s3_config *c, const char *method, const char *uri,
                        struct fz_front *f, char **env_extra);

/* "<UploadId>...</UploadId>" in out -> upload_id */
static void take_upload_id(const char *out, size_t len)
{
    const char *p = memmem(out, len, "<UploadId>", 10);
    if (!p)
        return;
    p += 10;
    const char *e = memmem(p, len - (size_t)(p - out), "</UploadId>", 11);
    if (e && e > p && (size_t)(e - p) < sizeof upload_id) {
        memcpy(upload_id, p, (size_t)(e - p));
        upload_id[e - p] = '\0';
    }
}

static void populate(void)
{
    sub("bkt", 1, NULL);
    sub("bkt/dir", 1, NULL);
    sub("bkt/dir/sub", 1, NULL);
    sub("other", 1, NULL);
    put_file("bkt/obj", "hello, world\n");
    put_file("bkt/dir/sub/obj2", "0123456789abcdefghijklmnopqrstuvwxyz");
    put_file("bkt/empty", "");
    sub("bkt/escape", 0, "../../sentinel");
    sub("bkt/secret", 0, "../../secret");
    sub("bkt/abs", 0, "/");
    sub("evil", 0, "../sentinel");
    /* a directory object and an upload in progress, made through the core itself */
    struct fz_front f;
    fz_front_init(&f, NULL, 0, 0, 1 << 20);
    response_of(&cfg, "PUT", "/bkt/dirobj/", &f, NULL);
    buf_free(&f.out);
    fz_front_init(&f, NULL, 0, 0, 1 << 20);
    response_of(&cfg, "POST", "/bkt/mp?uploads", &f, NULL);
    upload_id[0] = '\0';
    take_upload_id(buf_str(&f.out), f.out.len);
    if (!upload_id[0])
        abort();
    buf_free(&f.out);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    if (ftw->level == 0)
        return 0;       /* keep root itself: cfg.root_fd refers to it */
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 ? -1 : 0;
}

static void reset_root(void)
{
    if (nftw(rootp, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        perror("reset root");
        abort();
    }
    populate();
}

static void cleanup(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (base[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
}

static void init(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 150)
        tmp = "/tmp";
    snprintf(base, sizeof base, "%s/s3cgi-fuzz-core-XXXXXX", tmp);
    if (!mkdtemp(base))
        abort();
    atexit(cleanup);
    snprintf(rootp, sizeof rootp, "%s/root", base);
    snprintf(sentinelp, sizeof sentinelp, "%s/sentinel", base);
    snprintf(secretp, sizeof secretp, "%s/secret", base);
    if (mkdir(rootp, 0755) || mkdir(sentinelp, 0755))
        abort();
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        abort();
    hex_encode(r, sizeof r, secret);
    char conf[300], err[256];
    snprintf(conf, sizeof conf, "%s/s3cgi.conf", base);
    FILE *f = fopen(conf, "w");
    if (!f)
        abort();
    fprintf(f, "root = %s\nanonymous = full\nfsync = off\nlog_level = 0\n", rootp);
    fclose(f);
    f = fopen(secretp, "w");
    if (!f)
        abort();
    fputs(secret, f);
    fclose(f);
    if (stat(secretp, &secret_st) != 0)
        abort();
    if (s3_config_load(&cfg, conf, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        abort();
    }
    /* variants share everything but the mount prefix and the vhost domain */
    static char pfx[] = "/s3", dom[] = "s3.test";
    for (int i = 0; i < 4; i++) {
        variants[i] = cfg;
        if (i & 1) {
            variants[i].prefix = pfx;
            variants[i].prefix_len = 3;
        }
        if (i & 2) {
            variants[i].domains[0] = dom;
            variants[i].ndomains = 1;
        }
    }
    populate();
}

/* ---- one request ---- */

/* Runs one request; env_extra: NULL-terminated "NAME=value" list. Returns s3_handle's
 * result. */
static int response_of(const struct s3_config *c, const char *method, const char *uri,
                       struct fz_front *f, char **env_extra)
{
    char *env[FZ_MAX_ENV + 8];
    char m[64], cl[48];
    size_t n = 0;
    int have_cl = 0;
    snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
    char *u = malloc(strlen(uri) + 13);
    strcpy(u, "REQUEST_URI=");
    strcat(u, uri);
    env[n++] = m;
    env[n++] = u;
    for (; env_extra && *env_extra && n < FZ_MAX_ENV; env_extra++) {
        have_cl |= fz_is_var(*env_extra, "CONTENT_LENGTH");
        env[n++] = *env_extra;
    }
    if (!have_cl && f->body_len) {
        snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", f->body_len);
        env[n++] = cl;
    }
    env[n] = NULL;
    struct s3_io io = { f, env, fz_read, fz_write, fz_log, NULL };
    int rc = s3_handle(c, &io);
    free(u);
    return rc;
}

/* 1 when s holds the secret. Not memmem: libFuzzer hooks memmem/memcmp and would
 * learn the secret from the comparison, then echo it in a URI (error responses
 * repeat the key). Uninstrumented, byte by byte, it stays unknown. */
#if defined(__clang__)
__attribute__((no_sanitize("coverage")))
#endif
static int has_secret(const char *s, size_t n)
{
    for (size_t i = 0; i + 32 <= n; i++) {
        size_t k = 0;
        while (k < 32 && s[i + k] == secret[k])
            k++;
        if (k == 32)
            return 1;
    }
    return 0;
}

/* RFC 9110 5.6.2 tchar: what a header name is made of. */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void check_response(const char *method, const struct fz_front *f, int rc)
{
    const char *o = buf_str(&f->out);
    size_t len = f->out.len;
    FZ_CHECK(!f->out.failed, "response larger than the capture buffer");
    FZ_CHECK(len >= 13 && memcmp(o, "Status: ", 8) == 0 && o[11] == ' ', "no status line: %.40s", o);
    int status = atoi(o + 8);
    FZ_CHECK(status >= 200 && status <= 599, "status %d", status);
    const char *end = memmem(o, len, "\r\n\r\n", 4);
    FZ_CHECK(end, "header block not terminated");
    /* every header line: no stray CR or LF, "Name: value" */
    long long clen = -1;
    for (const char *l = strstr(o, "\r\n") + 2; l < end + 2;) {
        const char *e = memmem(l, (size_t)(end + 2 - l), "\r\n", 2);
        FZ_CHECK(e, "header line not CRLF-terminated");
        FZ_CHECK(!memchr(l, '\n', (size_t)(e - l)) && !memchr(l, '\r', (size_t)(e - l)),
                 "CR/LF inside a header line");
        const char *colon = memchr(l, ':', (size_t)(e - l));
        FZ_CHECK(colon && colon > l && colon[1] == ' ', "malformed header line %.*s", (int)(e - l), l);
        for (const char *c = l; c < colon; c++)
            FZ_CHECK(is_tchar((unsigned char)*c), "header name is not a token: %.*s",
                     (int)(colon - l), l);
        if ((size_t)(colon - l) == 14 && strncasecmp(l, "Content-Length", 14) == 0)
            clen = atoll(colon + 2);
        l = e + 2;
    }
    size_t body = len - (size_t)(end + 4 - o);
    if (rc == 0 && strcmp(method, "HEAD") == 0)
        FZ_CHECK(body == 0, "HEAD response with a %zu-byte body", body);
    else if (rc == 0 && clen >= 0)
        FZ_CHECK((long long)body == clen, "Content-Length %lld, body %zu bytes", clen, body);
    FZ_CHECK(!has_secret(o, len), "the secret outside the root leaked into a response");
}

/* ---- the state outside the root ---- */

static int lowest_free_fd(void)
{
    int fd = dup(2);
    if (fd >= 0)
        close(fd);
    return fd;
}

static void check_outside(int fd_before)
{
    DIR *d = opendir(sentinelp);
    FZ_CHECK(d, "sentinel gone");
    struct dirent *de;
    while ((de = readdir(d)))
        FZ_CHECK(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."),
                 "sentinel/%s was created through the root", de->d_name);
    closedir(d);
    d = opendir(base);
    FZ_CHECK(d, "base gone");
    int n = 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            FZ_CHECK(++n <= 4 && (!strcmp(de->d_name, "root") || !strcmp(de->d_name, "sentinel") ||
                                  !strcmp(de->d_name, "secret") || !strcmp(de->d_name, "s3cgi.conf")),
                     "%s/%s appeared next to the root", base, de->d_name);
    closedir(d);
    /* directly under the root: buckets (valid names) and the reserved directory only */
    d = opendir(rootp);
    FZ_CHECK(d, "root gone");
    while ((de = readdir(d)))
        FZ_CHECK(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
                 !strcmp(de->d_name, S3_RESERVED_DIR) || s3_bucket_name_check(de->d_name) == S3E_OK,
                 "root/%s is neither a bucket nor the reserved directory", de->d_name);
    closedir(d);
    struct stat st;
    FZ_CHECK(lstat(secretp, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == secret_st.st_size &&
             st.st_ino == secret_st.st_ino && st.st_mtim.tv_sec == secret_st.st_mtim.tv_sec &&
             st.st_mtim.tv_nsec == secret_st.st_mtim.tv_nsec && st.st_mode == secret_st.st_mode,
             "the file outside the root was changed");
    /* a leaked descriptor takes the lowest free number, which then moves up (measured
     * around the requests only: libFuzzer's symbolizer keeps pipes open) */
    int fd = lowest_free_fd();
    FZ_CHECK(fd == fd_before, "file descriptor leak: lowest free fd %d, was %d", fd, fd_before);
}

/* ---- input -> requests ---- */

/* Copies [p, p+n) replacing "@ID@" by the current upload id; NUL-terminated. */
static char *with_id(const char *p, size_t n, size_t *outlen)
{
    size_t idl = strlen(upload_id), cap = n + 1, count = 0;
    for (const char *q = p; (q = memmem(q, n - (size_t)(q - p), "@ID@", 4)); q += 4)
        count++;
    cap += count * idl;
    char *out = malloc(cap), *o = out;
    const char *q = p, *end = p + n;
    while (q < end) {
        const char *at = memmem(q, (size_t)(end - q), "@ID@", 4);
        size_t k = at ? (size_t)(at - q) : (size_t)(end - q);
        memcpy(o, q, k);
        o += k;
        if (!at)
            break;
        memcpy(o, upload_id, idl);
        o += idl;
        q = at + 4;
    }
    *o = '\0';
    if (outlen)
        *outlen = (size_t)(o - out);
    return out;
}

/* One request text -> s3_handle. Returns 1 when the method may have changed the
 * root (anything but GET and HEAD). */
static int run_one(const struct s3_config *c, size_t chunk, const char *p, size_t n)
{
    size_t tlen;
    char *t = with_id(p, n, &tlen);
    /* the head ends at the first empty line; the body follows */
    char *hend = memmem(t, tlen, "\n\n", 2);
    const uint8_t *body = (const uint8_t *)"";
    size_t blen = 0;
    if (hend) {
        *hend = '\0';
        body = (const uint8_t *)hend + 2;
        blen = tlen - (size_t)(hend + 2 - t);
        if (blen > MAX_BODY)
            blen = MAX_BODY;
    }
    char *lines[FZ_MAX_ENV + 3];
    size_t nl = 0;
    for (char *l = t; l && nl < FZ_MAX_ENV + 2;) {
        char *e = strchr(l, '\n');
        if (e)
            *e = '\0';
        lines[nl++] = l;
        l = e ? e + 1 : NULL;
    }
    const char *method = nl > 0 ? lines[0] : "GET";
    const char *uri = nl > 1 ? lines[1] : "/";
    char **extra = nl > 2 ? lines + 2 : NULL;
    lines[nl] = NULL;
    struct fz_front f;
    fz_front_init(&f, body, blen, chunk, 16u << 20);
    int rc = response_of(c, method, uri, &f, extra);
    check_response(method, &f, rc);
#ifdef FZ_TRACE     /* -DFZ_TRACE: each request and the start of its answer, for the seeds */
    fprintf(stderr, "%s %s -> %.300s\n", method, uri, buf_str(&f.out));
#endif
    take_upload_id(buf_str(&f.out), f.out.len);
    int mutating = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
    buf_free(&f.out);
    free(t);
    return mutating;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!base[0])
        init();
    if (size < 1)
        return 0;
    static const size_t chunks[4] = { 0, 5, 512, 8192 };
    const struct s3_config *c = &variants[data[0] & 3];
    size_t chunk = chunks[(data[0] >> 2) & 3];
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    int dirty = 0, fd_before = lowest_free_fd();
    for (int i = 0; i < MAX_REQUESTS && p <= end; i++) {
        const char *sep = memmem(p, (size_t)(end - p), SEP, sizeof SEP - 1);
        const char *stop = sep ? sep : end;
        dirty |= run_one(c, chunk, p, (size_t)(stop - p));
        if (!sep)
            break;
        p = sep + sizeof SEP - 1;
    }
    check_outside(fd_before);
    if (dirty)
        reset_root();
    return 0;
}
