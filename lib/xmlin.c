/* xmlin.c - hardened Expat parsing into an arena tree; see xmlin.h for the contract.
 *
 * Hardening (GUIDE 6.11): a document type declaration of any kind stops the parser
 * (so no internal subset, no entity declarations, no billion laughs, no external
 * DTD); entity declarations stop it too, as a second line; parameter entity parsing
 * is off and the external entity handler refuses. Without a DTD every reference to
 * an entity other than the five predefined ones is a well-formedness error in Expat.
 * Depth, element count and total character data are checked in the handlers, which
 * stop the parser on the first violation. XML_SetHashSalt is not called: Expat 2.5
 * seeds its hash from getrandom(2) itself.
 *
 * Memory: the tree and its strings come from the caller's arena. Character data is
 * gathered in one capped scratch buffer used as a stack: an element remembers where
 * its text starts, its children's text is cut off again when they close, so the
 * text of an element is exactly the character data directly inside it.
 */
#include "xmlin.h"

#include <limits.h>
#include <string.h>

#include <expat.h>

#include "buf.h"

struct pctx {
    XML_Parser p;
    struct arena *a;
    const struct xmlin_limits *lim;
    struct xml_node *root, *cur;
    int depth;
    long elements;
    size_t text_total;
    struct buf text;            /* pending text of the open elements, innermost last */
    enum s3_err err;            /* first failure seen by a handler */
};

static void fail(struct pctx *c, enum s3_err e)
{
    if (c->err == S3E_OK) {
        c->err = e;
        XML_StopParser(c->p, XML_FALSE);
    }
}

/* Names arrive as qualified names (no namespace processing): keep the local part. */
static const char *local_name(const XML_Char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct pctx *c = ud;
    (void)atts;
    if (c->err)
        return;
    if (c->depth >= c->lim->max_depth || c->elements >= c->lim->max_elements) {
        fail(c, S3E_MALFORMED_XML);
        return;
    }
    struct xml_node *n = arena_zalloc(c->a, sizeof(*n));
    if (!n || !(n->name = arena_strdup(c->a, local_name(name)))) {
        fail(c, S3E_INTERNAL);
        return;
    }
    /* Until the element closes, text_len holds the offset of its text in c->text. */
    n->text_len = c->text.len;
    n->parent = c->cur;
    if (c->cur) {
        if (c->cur->last_child)
            c->cur->last_child->next = n;
        else
            c->cur->first_child = n;
        c->cur->last_child = n;
    } else {
        c->root = n;            /* Expat itself refuses a second root element */
    }
    c->cur = n;
    c->depth++;
    c->elements++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct pctx *c = ud;
    (void)name;
    if (c->err || !c->cur)
        return;
    struct xml_node *n = c->cur;
    size_t start = n->text_len;
    const char *base = c->text.data ? c->text.data : "";
    n->text = arena_strndup(c->a, base + start, c->text.len - start);
    if (!n->text) {
        fail(c, S3E_INTERNAL);
        return;
    }
    n->text_len = c->text.len - start;
    c->text.len = start;
    c->cur = n->parent;
    c->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct pctx *c = ud;
    if (c->err || len <= 0)
        return;
    if ((size_t)len > c->lim->max_text - c->text_total) {
        fail(c, S3E_MALFORMED_XML);
        return;
    }
    c->text_total += (size_t)len;
    if (!c->cur)
        return;                 /* outside the root: only whitespace, kept nowhere */
    if (buf_add(&c->text, s, (size_t)len) != 0)
        fail(c, S3E_INTERNAL);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(ud, S3E_MALFORMED_XML);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len,
                                   const XML_Char *base, const XML_Char *sysid,
                                   const XML_Char *pubid, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len;
    (void)base, (void)sysid, (void)pubid, (void)notation;
    fail(ud, S3E_MALFORMED_XML);
}

static int XMLCALL on_external_entity(XML_Parser p, const XML_Char *context,
                                      const XML_Char *base, const XML_Char *sysid,
                                      const XML_Char *pubid)
{
    (void)p, (void)context, (void)base, (void)sysid, (void)pubid;
    return XML_STATUS_ERROR;    /* never load anything */
}

enum s3_err xmlin_parse(struct arena *a, const char *data, size_t len,
                        const struct xmlin_limits *lim, struct xml_node **root)
{
    static const struct xmlin_limits defaults = XMLIN_DEFAULT_LIMITS;
    struct pctx c = { .a = a, .lim = lim ? lim : &defaults };
    enum s3_err ret = S3E_MALFORMED_XML;

    *root = NULL;
    buf_init(&c.text, c.lim->max_text);
    c.p = XML_ParserCreate(NULL);
    if (!c.p) {
        ret = S3E_INTERNAL;
        goto fail;
    }
    XML_SetUserData(c.p, &c);
    XML_SetElementHandler(c.p, on_start, on_end);
    XML_SetCharacterDataHandler(c.p, on_text);
    XML_SetStartDoctypeDeclHandler(c.p, on_doctype);
    XML_SetEntityDeclHandler(c.p, on_entity_decl);
    XML_SetExternalEntityRefHandler(c.p, on_external_entity);
    XML_SetParamEntityParsing(c.p, XML_PARAM_ENTITY_PARSING_NEVER);

    /* XML_Parse takes an int length: feed large bodies in pieces. */
    do {
        size_t n = len < (size_t)INT_MAX / 2 ? len : (size_t)INT_MAX / 2;
        int final = n == len;
        if (XML_Parse(c.p, data, (int)n, final) != XML_STATUS_OK)
            break;
        data += n;
        len -= n;
        if (final) {
            if (c.err == S3E_OK && c.root && c.depth == 0)
                ret = S3E_OK;
            break;
        }
    } while (1);
    if (c.err != S3E_OK)
        ret = c.err;
    if (ret == S3E_OK)
        *root = c.root;

fail:
    if (c.p)
        XML_ParserFree(c.p);
    buf_free(&c.text);
    return ret;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
    if (!n)
        return NULL;
    for (const struct xml_node *k = n->first_child; k; k = k->next)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

const struct xml_node *xml_next(const struct xml_node *n, const char *name)
{
    if (!n)
        return NULL;
    for (const struct xml_node *k = n->next; k; k = k->next)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

/* XML 1.0 section 2.3, production S. */
static int xml_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

const char *xml_text_trim(const struct xml_node *n, size_t *len)
{
    if (!n) {
        *len = 0;
        return NULL;
    }
    const char *s = n->text, *e = n->text + n->text_len;
    while (s < e && xml_space(*s))
        s++;
    while (e > s && xml_space(e[-1]))
        e--;
    *len = (size_t)(e - s);
    return s;
}

const char *xml_child_text(const struct xml_node *n, const char *name, size_t *len)
{
    return xml_text_trim(xml_child(n, name), len);
}
