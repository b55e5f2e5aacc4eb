/* buf.h - growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * Contract: every append either succeeds completely or fails, in which case the
 * buffer is freed, `failed` is set and every later append fails too (sticky).
 * Contents are always NUL-terminated (the NUL is not counted in len), so the data
 * can be passed as a C string, but parsers must still use len.
 */
#ifndef S3CGI_BUF_H
#define S3CGI_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct buf {
    char *data;     /* NULL until first append; owned by the buf */
    size_t len;
    size_t alloc;
    size_t cap;     /* maximum len; appends beyond fail */
    int failed;
};

void buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);          /* releases memory, keeps cap, clears failed */
void buf_reset(struct buf *b);         /* len = 0, keeps memory */
int buf_add(struct buf *b, const void *p, size_t n);   /* 0 ok, -1 failed */
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Returns the contents as a C string ("" when empty); never NULL. */
const char *buf_str(const struct buf *b);

#endif
