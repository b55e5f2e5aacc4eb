/* xmlin.h - hardened parsing of small request bodies (CreateBucketConfiguration,
 * CompleteMultipartUpload, Delete, ...) with Expat into a tiny element tree.
 *
 * Hardening (GUIDE 6.11): any DOCTYPE is refused, no external entities, parameter
 * entity parsing off; element depth, element count and total text are capped; the
 * body itself is capped by the caller before parsing. Namespace prefixes are dropped
 * from element names ("s3:Part" -> "Part"); attributes are ignored.
 */
#ifndef S3CGI_XMLIN_H
#define S3CGI_XMLIN_H

#include <stddef.h>
#include "arena.h"
#include "errors.h"

struct xml_node {
    const char *name;           /* local name, NUL-terminated */
    const char *text;           /* concatenated character data directly inside, "" if none */
    size_t text_len;
    struct xml_node *parent, *first_child, *last_child, *next;
};

struct xmlin_limits {
    int max_depth;              /* e.g. 8 */
    long max_elements;          /* e.g. 20000 */
    size_t max_text;            /* total character data, e.g. 4 MiB */
};

/* Suits every S3 request body s3cgi parses (DeleteObjects with 1000 keys of 1 KiB,
 * CompleteMultipartUpload with 10000 parts of up to 5 elements each). */
#define XMLIN_DEFAULT_LIMITS { 8, 100000, (size_t)4 << 20 }

/* Parses data[0..len) into a tree allocated from a. On success *root is the document
 * element and S3E_OK is returned; any malformed, truncated or refused input (DOCTYPE,
 * entities, limits exceeded, empty body) gives S3E_MALFORMED_XML; running out of
 * memory (parser, scratch buffer or arena cap) gives S3E_INTERNAL. *root is NULL on
 * failure. lim NULL means XMLIN_DEFAULT_LIMITS. */
enum s3_err xmlin_parse(struct arena *a, const char *data, size_t len,
                        const struct xmlin_limits *lim, struct xml_node **root);

/* First child element named name, or NULL. */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* Next sibling element named name after n, or NULL. */
const struct xml_node *xml_next(const struct xml_node *n, const char *name);
/* n's text without leading and trailing XML whitespace (points into n->text, not
 * NUL-terminated at *len); NULL with *len 0 when n is NULL. */
const char *xml_text_trim(const struct xml_node *n, size_t *len);
/* xml_text_trim(xml_child(n, name), len): NULL when there is no such child. */
const char *xml_child_text(const struct xml_node *n, const char *name, size_t *len);

#endif
