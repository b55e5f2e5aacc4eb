/* xmlw.h - streamed XML writer with a sticky error (after SQLite's StrAccum).
 *
 * Contract: output goes to sink as it is produced (small internal buffer, flushed on
 * xmlw_flush and when full); the first sink failure is remembered and all later calls
 * become no-ops; check xmlw_error once at the end. Text is escaped for XML 1.0
 * (&amp; &lt; &gt; &quot; &apos;; control characters other than TAB/LF as &#xN;, CR
 * included, since XML end-of-line handling would turn a literal CR into LF).
 * Bytes >= 0x80 pass through unchecked (invalid UTF-8 is not repaired).
 */
#ifndef S3CGI_XMLW_H
#define S3CGI_XMLW_H

#include <stddef.h>

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

typedef int (*xmlw_sink)(void *ctx, const char *data, size_t len);  /* 0 ok, -1 error */

struct xmlw {
    xmlw_sink sink;
    void *ctx;
    int err;
    size_t len;
    char out[4096];
};

void xmlw_init(struct xmlw *w, xmlw_sink sink, void *ctx);
void xmlw_decl(struct xmlw *w);                      /* <?xml version="1.0" encoding="UTF-8"?>\n */
void xmlw_open(struct xmlw *w, const char *name);    /* <name> */
void xmlw_open_ns(struct xmlw *w, const char *name); /* <name xmlns="S3_XMLNS"> */
void xmlw_close(struct xmlw *w, const char *name);   /* </name> */
void xmlw_text(struct xmlw *w, const char *name, const char *s);             /* <name>esc(s)</name> */
void xmlw_textn(struct xmlw *w, const char *name, const char *s, size_t n);
void xmlw_textf(struct xmlw *w, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xmlw_int(struct xmlw *w, const char *name, long long v);
void xmlw_bool(struct xmlw *w, const char *name, int v);                     /* true/false */
void xmlw_escaped(struct xmlw *w, const char *s, size_t n);                  /* bare text */
void xmlw_raw(struct xmlw *w, const char *s, size_t n);                      /* unescaped */
int xmlw_flush(struct xmlw *w);                      /* pushes the buffer; returns w->err */
static inline int xmlw_error(const struct xmlw *w) { return w->err; }

#endif
