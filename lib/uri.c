/* uri.c - percent-decoding and AWS UriEncode; see uri.h for the contract.
 * Spec: RFC 3986 section 2.1 (percent-encoding), 2.3 (unreserved characters) and
 * the UriEncode() rules of the S3 API reference "Signature Calculations for the
 * Authorization Header" (uppercase hex, '/' kept only in the path).
 */
#include "uri.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long uri_decode(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            if (len - i < 3)
                return -1;
            int h = hexval((unsigned char)in[i + 1]);
            int l = hexval((unsigned char)in[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = (unsigned char)(h << 4 | l);
            i += 2;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (long)o;
}

/* RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int uri_encode(struct buf *b, const char *in, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;     /* start of the pending run of bytes copied as they are */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (unreserved(c) || (keep_slash && c == '/'))
            continue;
        char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
        if ((i > run && buf_add(b, in + run, i - run) < 0) || buf_add(b, esc, 3) < 0)
            return -1;
        run = i + 1;
    }
    if (len > run && buf_add(b, in + run, len - run) < 0)
        return -1;
    return b->failed ? -1 : 0;
}
