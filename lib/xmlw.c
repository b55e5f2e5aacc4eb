/* xmlw.c - streamed XML writer; see xmlw.h for the contract.
 *
 * Bytes accumulate in w->out and go to the sink when the buffer cannot take the next
 * piece, on xmlw_flush, or straight through for a piece at least as large as the
 * buffer. The first sink failure sets w->err; from then on nothing reaches the sink.
 * Element names are trusted literals from the code and written as they are.
 */
#include "xmlw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push(struct xmlw *w, const char *s, size_t n)
{
    if (w->err || n == 0)
        return;
    if (n > sizeof(w->out) - w->len) {
        if (xmlw_flush(w))
            return;
        if (n >= sizeof(w->out)) {
            if (w->sink(w->ctx, s, n) != 0)
                w->err = -1;
            return;
        }
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void pushs(struct xmlw *w, const char *s)
{
    push(w, s, strlen(s));
}

void xmlw_init(struct xmlw *w, xmlw_sink sink, void *ctx)
{
    w->sink = sink;
    w->ctx = ctx;
    w->err = 0;
    w->len = 0;
}

int xmlw_flush(struct xmlw *w)
{
    if (w->err)
        return w->err;
    if (w->len) {
        if (w->sink(w->ctx, w->out, w->len) != 0)
            w->err = -1;
        w->len = 0;
    }
    return w->err;
}

void xmlw_decl(struct xmlw *w)
{
    pushs(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

void xmlw_open(struct xmlw *w, const char *name)
{
    push(w, "<", 1);
    pushs(w, name);
    push(w, ">", 1);
}

void xmlw_open_ns(struct xmlw *w, const char *name)
{
    push(w, "<", 1);
    pushs(w, name);
    pushs(w, " xmlns=\"" S3_XMLNS "\">");
}

void xmlw_close(struct xmlw *w, const char *name)
{
    push(w, "</", 2);
    pushs(w, name);
    push(w, ">", 1);
}

/* XML 1.0 section 2.4 (markup characters) and 2.11: CR is written as a character
 * reference because a parser folds a literal CR into LF (S3 "Object key naming
 * guidelines", XML-related constraints); other C0 controls except TAB and LF are not
 * XML 1.0 characters at all and are written as &#xN; as S3 does. Bytes >= 0x80 pass
 * through unchecked: invalid UTF-8 is the caller's choice (encoding-type=url). */
void xmlw_escaped(struct xmlw *w, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep;
        char num[8];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\t': case '\n': continue;
        default:
            if (c >= 0x20)
                continue;
            snprintf(num, sizeof(num), "&#x%X;", (unsigned)c);
            rep = num;
            break;
        }
        push(w, s + run, i - run);
        pushs(w, rep);
        run = i + 1;
    }
    push(w, s + run, n - run);
}

void xmlw_raw(struct xmlw *w, const char *s, size_t n)
{
    push(w, s, n);
}

void xmlw_textn(struct xmlw *w, const char *name, const char *s, size_t n)
{
    xmlw_open(w, name);
    xmlw_escaped(w, s, n);
    xmlw_close(w, name);
}

void xmlw_text(struct xmlw *w, const char *name, const char *s)
{
    xmlw_textn(w, name, s ? s : "", s ? strlen(s) : 0);
}

void xmlw_textf(struct xmlw *w, const char *name, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    if (w->err)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->err = -1;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        xmlw_textn(w, name, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        w->err = -1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    xmlw_textn(w, name, big, (size_t)n);
    free(big);
}

void xmlw_int(struct xmlw *w, const char *name, long long v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", v);
    xmlw_textn(w, name, num, (size_t)n);
}

void xmlw_bool(struct xmlw *w, const char *name, int v)
{
    xmlw_text(w, name, v ? "true" : "false");
}
