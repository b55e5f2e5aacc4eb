/* arena.h - per-request memory. Everything a request allocates comes from its arena
 * and is released at once by arena_free at the end of the request, so the FastCGI
 * loop cannot leak per request.
 *
 * Contract: allocations are 16-byte aligned; the arena refuses (returns NULL) once
 * `cap` bytes in total have been handed out. Never free individual blocks.
 */
#ifndef S3CGI_ARENA_H
#define S3CGI_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena {
    struct arena_block *head;
    size_t used;        /* total bytes handed out */
    size_t cap;
};

void arena_init(struct arena *a, size_t cap);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);                    /* uninitialised */
void *arena_zalloc(struct arena *a, size_t n);                   /* zeroed */
char *arena_strndup(struct arena *a, const char *s, size_t n);   /* NUL-terminated copy */
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
