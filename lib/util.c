/* util.c - small pure helpers; see util.h. */
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *in, size_t inlen, unsigned char *out, size_t n)
{
    if (inlen != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

long base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
    if (inlen % 4)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < inlen; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = in[i + j];
            if (c == '=' && i + 4 == inlen && j >= 2) {
                v[j] = 0;
                pad++;
            } else if (pad || (v[j] = b64val(c)) < 0) {
                return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        unsigned char bytes[3] = { (unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w };
        size_t take = 3 - (size_t)pad;
        if (o + take > outcap)
            return -1;
        memcpy(out + o, bytes, take);
        o += take;
    }
    return (long)o;
}

int ct_memeq(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

int parse_u64(const char *s, size_t len, unsigned long long max, unsigned long long *out)
{
    if (len == 0 || len > 20)
        return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
        else return 0;
        if (n >= len - i)       /* the sequence needs n bytes after s[i] */
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

int http_token_valid(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c && strchr("!#$%&'*+-.^_`|~", c))))
            return 0;
    }
    return 1;
}

int write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- time ---- */

static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void time_http(time_t t, char out[30])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    /* fixed-width fields; the year is clamped to 4 digits */
    int year = tm.tm_year + 1900;
    if (year < 0) year = 0;
    if (year > 9999) year = 9999;
    char tmp[96];   /* roomy for the compiler's worst case; the real text is 29 bytes */
    snprintf(tmp, sizeof tmp, "%s, %02d %s %04d %02d:%02d:%02d GMT", wday[tm.tm_wday],
             tm.tm_mday, mon[tm.tm_mon], year, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 29);
    out[29] = '\0';
}

void time_iso8601(time_t t, char out[25])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    if (year < 0) year = 0;
    if (year > 9999) year = 9999;
    char tmp[96];   /* roomy for the compiler's worst case; the real text is 24 bytes */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", year, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 24);
    out[24] = '\0';
}

void time_iso8601_ms(const struct timespec *ts, char out[25])
{
    time_iso8601(ts->tv_sec, out);
    long ms = ts->tv_nsec / 1000000;
    if (ms < 0 || ms > 999)
        ms = 0;
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int make_time(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    if (s == 60) s = 59;
    *out = (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600 + mi * 60 + s);
    return 0;
}

/* Reads exactly n digits at *p (bounded by end). */
static int digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (*(*p)++ - '0');
    }
    *out = v;
    return 0;
}

static int lit(const char **p, const char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
        return -1;
    *p += n;
    return 0;
}

static int month(const char **p, const char *end, int *out)
{
    if (end - *p < 3)
        return -1;
    for (int i = 0; i < 12; i++)
        if (memcmp(*p, mon[i], 3) == 0) {
            *out = i + 1;
            *p += 3;
            return 0;
        }
    return -1;
}

static int hms(const char **p, const char *end, int *h, int *mi, int *s)
{
    return digits(p, end, 2, h) || lit(p, end, ":") || digits(p, end, 2, mi) ||
           lit(p, end, ":") || digits(p, end, 2, s) ? -1 : 0;
}

int time_parse_http(const char *str, size_t len, time_t *out)
{
    const char *p = str, *end = str + len;
    const char *comma = memchr(str, ',', len);
    int y, mo, d, h, mi, s;
    if (comma && comma - str == 3) {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        p = comma + 1;
        if (lit(&p, end, " ") || digits(&p, end, 2, &d) || lit(&p, end, " ") ||
            month(&p, end, &mo) || lit(&p, end, " ") || digits(&p, end, 4, &y) ||
            lit(&p, end, " ") || hms(&p, end, &h, &mi, &s) || lit(&p, end, " GMT") || p != end)
            return -1;
    } else if (comma) {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        p = comma + 1;
        if (lit(&p, end, " ") || digits(&p, end, 2, &d) || lit(&p, end, "-") ||
            month(&p, end, &mo) || lit(&p, end, "-") || digits(&p, end, 2, &y) ||
            lit(&p, end, " ") || hms(&p, end, &h, &mi, &s) || lit(&p, end, " GMT") || p != end)
            return -1;
        y += y < 70 ? 2000 : 1900;
    } else {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        if (len < 4)
            return -1;
        p += 4;
        if (month(&p, end, &mo) || lit(&p, end, " "))
            return -1;
        if (p < end && *p == ' ') {
            p++;
            if (digits(&p, end, 1, &d))
                return -1;
        } else if (digits(&p, end, 2, &d)) {
            return -1;
        }
        if (lit(&p, end, " ") || hms(&p, end, &h, &mi, &s) || lit(&p, end, " ") ||
            digits(&p, end, 4, &y) || p != end)
            return -1;
    }
    return make_time(y, mo, d, h, mi, s, out);
}

int time_parse_amz(const char *str, size_t len, time_t *out)
{
    const char *p = str, *end = str + len;
    int y, mo, d, h, mi, s;
    if (len != 16 || digits(&p, end, 4, &y) || digits(&p, end, 2, &mo) || digits(&p, end, 2, &d) ||
        lit(&p, end, "T") || digits(&p, end, 2, &h) || digits(&p, end, 2, &mi) ||
        digits(&p, end, 2, &s) || lit(&p, end, "Z"))
        return -1;
    return make_time(y, mo, d, h, mi, s, out);
}

int time_parse_iso8601(const char *str, size_t len, time_t *out)
{
    const char *p = str, *end = str + len;
    int y, mo, d, h, mi, s;
    if (digits(&p, end, 4, &y) || lit(&p, end, "-") || digits(&p, end, 2, &mo) ||
        lit(&p, end, "-") || digits(&p, end, 2, &d) || lit(&p, end, "T") ||
        hms(&p, end, &h, &mi, &s))
        return -1;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (lit(&p, end, "Z") || p != end)
        return -1;
    return make_time(y, mo, d, h, mi, s, out);
}
