/* fuzz_xmlin.c - libFuzzer target for xmlin_parse, with an xmlw round trip.
 *
 * Build and run (from the source root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       fuzz/fuzz_xmlin.c lib/xmlin.c lib/xmlw.c lib/arena.c lib/buf.c lib/errors.c \
 *       $(pkg-config --cflags --libs expat) -o fuzz_xmlin
 *   ./fuzz_xmlin -max_total_time=60 fuzz/corpus/xmlin
 *
 * Checks beyond "no crash": the tree is consistent (parent links, last_child, text
 * NUL-terminated at text_len, within the limits), and a tree whose names are plain
 * ASCII, written back with xmlw and parsed again, gives the same names and texts
 * (this exercises xmlw's escaping, CR included, against Expat).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "xmlin.h"
#include "xmlw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct xmlin_limits lim = { 8, 2000, 64 * 1024 };

static int check(const struct xml_node *n, int depth, long *count)
{
    int plain = 1;
    if (depth > lim.max_depth || ++*count > lim.max_elements)
        abort();
    if (n->text[n->text_len] != '\0' || strlen(n->text) != n->text_len)
        abort();
    const char *c = n->name;
    if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '_'))
        plain = 0;
    for (; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '_' ||
              (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
            plain = 0;
    const struct xml_node *last = NULL;
    for (const struct xml_node *k = n->first_child; k; k = k->next) {
        if (k->parent != n)
            abort();
        plain &= check(k, depth + 1, count);
        last = k;
    }
    if (last != n->last_child)
        abort();
    return plain;
}

static void write_tree(struct xmlw *w, const struct xml_node *n)
{
    xmlw_open(w, n->name);
    xmlw_escaped(w, n->text, n->text_len);
    for (const struct xml_node *k = n->first_child; k; k = k->next)
        write_tree(w, k);
    xmlw_close(w, n->name);
}

static void same(const struct xml_node *a, const struct xml_node *b)
{
    if (strcmp(a->name, b->name) != 0 || a->text_len != b->text_len ||
        memcmp(a->text, b->text, a->text_len) != 0)
        abort();
    const struct xml_node *x = a->first_child, *y = b->first_child;
    for (; x && y; x = x->next, y = y->next)
        same(x, y);
    if (x || y)
        abort();
}

static int sink(void *ctx, const char *p, size_t n)
{
    return buf_add(ctx, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a, b;
    struct xml_node *root = NULL, *again = NULL;
    arena_init(&a, 16 << 20);
    arena_init(&b, 16 << 20);
    enum s3_err e = xmlin_parse(&a, (const char *)data, size, &lim, &root);
    if (e == S3E_OK) {
        long count = 0;
        if (!root || root->parent)
            abort();
        if (check(root, 1, &count)) {
            struct buf out;
            struct xmlw w;
            buf_init(&out, 1 << 24);
            xmlw_init(&w, sink, &out);
            write_tree(&w, root);
            if (xmlw_flush(&w) != 0)
                abort();
            if (xmlin_parse(&b, out.data, out.len, &lim, &again) != S3E_OK)
                abort();
            same(root, again);
            buf_free(&out);
        }
    } else if (e != S3E_MALFORMED_XML || root) {
        abort();
    }
    arena_free(&a);
    arena_free(&b);
    return 0;
}
