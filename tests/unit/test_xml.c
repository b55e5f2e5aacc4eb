/* test_xml.c - the streamed XML writer (xmlw) and the hardened parser (xmlin).
 * Outputs are compared byte for byte; parser inputs are copied into buffers of
 * exactly their length so an overread shows up under ASan and valgrind. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "xmlin.h"
#include "xmlw.h"

/* ---- xmlw ------------------------------------------------------------------ */

struct sink {
    struct buf out;
    int calls;
    int fail_at;        /* 1-based call that fails, 0 never */
    size_t max_chunk;
};

static int sink_fn(void *ctx, const char *data, size_t len)
{
    struct sink *s = ctx;
    s->calls++;
    if (s->fail_at && s->calls >= s->fail_at)
        return -1;
    if (len > s->max_chunk)
        s->max_chunk = len;
    return buf_add(&s->out, data, len);
}

static void sink_init(struct sink *s, int fail_at)
{
    memset(s, 0, sizeof(*s));
    buf_init(&s->out, 1 << 20);
    s->fail_at = fail_at;
}

#define L(s) s, sizeof(s) - 1

static const struct {
    const char *in;
    size_t inlen;
    const char *out;
} esc_cases[] = {
    { L(""), "<K></K>" },
    { L("plain"), "<K>plain</K>" },
    { L("a&b"), "<K>a&amp;b</K>" },
    { L("<tag>"), "<K>&lt;tag&gt;</K>" },
    { L("\"q\" 'a'"), "<K>&quot;q&quot; &apos;a&apos;</K>" },
    { L("&&"), "<K>&amp;&amp;</K>" },
    { L("tab\there\nnl"), "<K>tab\there\nnl</K>" },
    { L("cr\r"), "<K>cr&#xD;</K>" },
    { L("\r\n"), "<K>&#xD;\n</K>" },
    { L("\x01\x02\x1f"), "<K>&#x1;&#x2;&#x1F;</K>" },
    { L("a\0b"), "<K>a&#x0;b</K>" },
    { L("\x0b\x0c"), "<K>&#xB;&#xC;</K>" },
    { L("del\x7f"), "<K>del\x7f</K>" },
    { L("caf\xc3\xa9 \xe2\x82\xac"), "<K>caf\xc3\xa9 \xe2\x82\xac</K>" },
    { L("bad\xff\xfe\xc3"), "<K>bad\xff\xfe\xc3</K>" },
    { L("+ =%?#/"), "<K>+ =%?#/</K>" },
};

START_TEST(t_escape)
{
    struct sink s;
    struct xmlw w;
    sink_init(&s, 0);
    xmlw_init(&w, sink_fn, &s);
    xmlw_textn(&w, "K", esc_cases[_i].in, esc_cases[_i].inlen);
    ck_assert_int_eq(xmlw_flush(&w), 0);
    ck_assert_uint_eq(s.out.len, strlen(esc_cases[_i].out));
    ck_assert_mem_eq(buf_str(&s.out), esc_cases[_i].out, s.out.len);
    buf_free(&s.out);
}
END_TEST

START_TEST(t_document)
{
    struct sink s;
    struct xmlw w;
    sink_init(&s, 0);
    xmlw_init(&w, sink_fn, &s);
    xmlw_decl(&w);
    xmlw_open_ns(&w, "ListBucketResult");
    xmlw_text(&w, "Name", "b&b");
    xmlw_text(&w, "Prefix", NULL);
    xmlw_int(&w, "MaxKeys", 1000);
    xmlw_int(&w, "Min", LLONG_MIN);
    xmlw_int(&w, "Max", LLONG_MAX);
    xmlw_bool(&w, "IsTruncated", 0);
    xmlw_bool(&w, "T", 7);
    xmlw_open(&w, "Contents");
    xmlw_textf(&w, "ETag", "\"%s\"", "d41d");
    xmlw_close(&w, "Contents");
    xmlw_raw(&w, "<!-- raw & -->", 14);
    xmlw_escaped(&w, "x<y", 3);
    xmlw_close(&w, "ListBucketResult");
    ck_assert_int_eq(xmlw_flush(&w), 0);
    ck_assert_int_eq(xmlw_error(&w), 0);
    const char *want =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>b&amp;b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>"
        "<Min>-9223372036854775808</Min><Max>9223372036854775807</Max>"
        "<IsTruncated>false</IsTruncated><T>true</T>"
        "<Contents><ETag>&quot;d41d&quot;</ETag></Contents>"
        "<!-- raw & -->x&lt;y</ListBucketResult>";
    ck_assert_str_eq(buf_str(&s.out), want);
    /* everything fitted in the buffer: one sink call, at the flush */
    ck_assert_int_eq(s.calls, 1);
    buf_free(&s.out);
}
END_TEST

START_TEST(t_textf_long)
{
    struct sink s;
    struct xmlw w;
    char big[1001];
    memset(big, 'a', 1000);
    big[1000] = '\0';
    big[500] = '&';
    sink_init(&s, 0);
    xmlw_init(&w, sink_fn, &s);
    xmlw_textf(&w, "V", "%s|%d", big, 42);
    ck_assert_int_eq(xmlw_flush(&w), 0);
    ck_assert_uint_eq(s.out.len, 3 + 1000 + 4 + 3 + 4);
    ck_assert_mem_eq(s.out.data, "<V>aaa", 6);
    ck_assert_mem_eq(s.out.data + 3 + 500, "&amp;a", 6);
    ck_assert_str_eq(s.out.data + s.out.len - 7, "|42</V>");
    buf_free(&s.out);
}
END_TEST

/* Output larger than the 4096-byte buffer reaches the sink before the flush, in
 * order, and flush pushes the rest. */
START_TEST(t_flush_large)
{
    struct sink s;
    struct xmlw w;
    struct buf want;
    sink_init(&s, 0);
    buf_init(&want, 1 << 20);
    xmlw_init(&w, sink_fn, &s);
    for (int i = 0; i < 2000; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "k%04d&<", i);
        xmlw_textn(&w, "Key", key, (size_t)n);
        buf_printf(&want, "<Key>k%04d&amp;&lt;</Key>", i);
    }
    ck_assert_int_gt(s.calls, 0);
    ck_assert_uint_lt(s.out.len, want.len);
    ck_assert_uint_le(s.max_chunk, sizeof(w.out));
    ck_assert_int_eq(xmlw_flush(&w), 0);
    ck_assert_uint_eq(w.len, 0);
    ck_assert_uint_eq(s.out.len, want.len);
    ck_assert_mem_eq(s.out.data, want.data, want.len);
    int calls = s.calls;
    ck_assert_int_eq(xmlw_flush(&w), 0);        /* nothing buffered: no call */
    ck_assert_int_eq(s.calls, calls);
    buf_free(&want);
    buf_free(&s.out);
}
END_TEST

/* A piece bigger than the buffer goes straight through after what is buffered. */
START_TEST(t_flush_big_piece)
{
    struct sink s;
    struct xmlw w;
    char *big = malloc(10000);
    memset(big, 'z', 10000);
    sink_init(&s, 0);
    xmlw_init(&w, sink_fn, &s);
    xmlw_raw(&w, "<a>", 3);
    xmlw_raw(&w, big, 10000);
    ck_assert_int_eq(s.calls, 2);
    xmlw_raw(&w, "</a>", 4);
    ck_assert_int_eq(xmlw_flush(&w), 0);
    ck_assert_int_eq(s.calls, 3);
    ck_assert_uint_eq(s.out.len, 10007);
    ck_assert_mem_eq(s.out.data, "<a>zz", 5);
    ck_assert_mem_eq(s.out.data + 10003, "</a>", 4);
    /* an escaped run that expands past the buffer: 2000 '&' -> 10000 bytes */
    buf_reset(&s.out);
    memset(big, '&', 2000);
    xmlw_escaped(&w, big, 2000);
    ck_assert_int_eq(xmlw_flush(&w), 0);
    ck_assert_uint_eq(s.out.len, 10000);
    for (size_t i = 0; i < 10000; i += 5)
        ck_assert_mem_eq(s.out.data + i, "&amp;", 5);
    free(big);
    buf_free(&s.out);
}
END_TEST

/* The first sink failure sticks: nothing reaches the sink afterwards. */
START_TEST(t_sticky)
{
    static const int fail_at[] = { 1, 2, 3 };
    struct sink s;
    struct xmlw w;
    sink_init(&s, fail_at[_i]);
    xmlw_init(&w, sink_fn, &s);
    for (int i = 0; i < 3000; i++)
        xmlw_text(&w, "Key", "0123456789");
    int calls = s.calls;
    ck_assert_int_eq(calls, fail_at[_i]);
    ck_assert_int_ne(xmlw_error(&w), 0);
    ck_assert_int_ne(xmlw_flush(&w), 0);
    xmlw_raw(&w, "x", 1);
    xmlw_textf(&w, "K", "%d", 1);
    xmlw_int(&w, "I", 1);
    ck_assert_int_ne(xmlw_flush(&w), 0);
    ck_assert_int_eq(s.calls, calls);
    /* only the chunks before the failing one arrived, each a nearly full buffer */
    ck_assert_uint_le(s.out.len, (size_t)(fail_at[_i] - 1) * sizeof(w.out));
    ck_assert_uint_ge(s.out.len, (size_t)(fail_at[_i] - 1) * (sizeof(w.out) - 16));
    buf_free(&s.out);
}
END_TEST

/* A failure at the final flush is reported too. */
START_TEST(t_sticky_at_flush)
{
    struct sink s;
    struct xmlw w;
    sink_init(&s, 1);
    xmlw_init(&w, sink_fn, &s);
    xmlw_text(&w, "A", "b");
    ck_assert_int_eq(xmlw_error(&w), 0);
    ck_assert_int_eq(xmlw_flush(&w), -1);
    ck_assert_int_eq(xmlw_error(&w), -1);
    ck_assert_int_eq(s.calls, 1);
    buf_free(&s.out);
}
END_TEST

/* ---- xmlin ----------------------------------------------------------------- */

static const struct xmlin_limits lim_default = XMLIN_DEFAULT_LIMITS;

/* Parses a copy of exactly len bytes (no NUL after it). */
static enum s3_err parse(struct arena *a, const char *s, size_t len,
                         const struct xmlin_limits *lim, struct xml_node **root)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, s, len);
    enum s3_err e = xmlin_parse(a, copy, len, lim, root);
    free(copy);
    return e;
}

static enum s3_err parses(struct arena *a, const char *s, struct xml_node **root)
{
    return parse(a, s, strlen(s), &lim_default, root);
}

static void assert_text(const struct xml_node *n, const char *want)
{
    ck_assert_ptr_nonnull(n);
    ck_assert_uint_eq(n->text_len, strlen(want));
    ck_assert_mem_eq(n->text, want, n->text_len);
    ck_assert_int_eq(n->text[n->text_len], '\0');
}

static void assert_trimmed(const struct xml_node *n, const char *child, const char *want)
{
    size_t len;
    const char *t = xml_child_text(n, child, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_mem_eq(t, want, len);
}

static const char *const cmu_bodies[] = {
    /* as the AWS SDKs send it */
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Part><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag><PartNumber>1</PartNumber></Part>"
    "<Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><PartNumber>2</PartNumber>"
    "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
    "</CompleteMultipartUpload>",
    /* no declaration, no namespace, pretty-printed */
    "<CompleteMultipartUpload>\n"
    "  <Part>\n    <ETag>\"a54357aff0632cce46d942af68356b38\"</ETag>\n"
    "    <PartNumber> 1 </PartNumber>\n  </Part>\n"
    "  <Part>\n    <ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag>\n"
    "    <PartNumber>2</PartNumber>\n  </Part>\n"
    "</CompleteMultipartUpload>\n",
    /* prefixed names, a comment and a processing instruction */
    "<s3:CompleteMultipartUpload xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<!-- parts --><?pi x?>"
    "<s3:Part><s3:ETag>\"a54357aff0632cce46d942af68356b38\"</s3:ETag><s3:PartNumber>1</s3:PartNumber></s3:Part>"
    "<s3:Part><s3:ETag><![CDATA[\"0c78aef83f66abc1fa1e8477f296d394\"]]></s3:ETag>"
    "<s3:PartNumber>&#x32;</s3:PartNumber></s3:Part>"
    "</s3:CompleteMultipartUpload>",
};

START_TEST(t_cmu)
{
    struct arena a;
    struct xml_node *root;
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(parses(&a, cmu_bodies[_i], &root), S3E_OK);
    ck_assert_str_eq(root->name, "CompleteMultipartUpload");
    ck_assert_ptr_null(root->parent);
    const struct xml_node *p = xml_child(root, "Part");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(p->parent, root);
    assert_trimmed(p, "PartNumber", "1");
    assert_trimmed(p, "ETag", "\"a54357aff0632cce46d942af68356b38\"");
    p = xml_next(p, "Part");
    ck_assert_ptr_nonnull(p);
    assert_trimmed(p, "PartNumber", "2");
    assert_trimmed(p, "ETag", "\"0c78aef83f66abc1fa1e8477f296d394\"");
    ck_assert_ptr_null(xml_next(p, "Part"));
    ck_assert_ptr_null(xml_child(root, "Nope"));
    ck_assert_ptr_eq(root->last_child, p);
    arena_free(&a);
}
END_TEST

START_TEST(t_delete)
{
    static const char body[] =
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Object><Key>a&amp;b &lt;c&gt; &#233; \xe2\x82\xac</Key></Object>"
        "<Object><Key>sp ace/+%</Key><VersionId>null</VersionId></Object>"
        "<Object><Key>  padded  </Key></Object>"
        "<Quiet>true</Quiet>"
        "</Delete>";
    struct arena a;
    struct xml_node *root;
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(parses(&a, body, &root), S3E_OK);
    ck_assert_str_eq(root->name, "Delete");
    const struct xml_node *o = xml_child(root, "Object");
    assert_text(xml_child(o, "Key"), "a&b <c> \xc3\xa9 \xe2\x82\xac");
    o = xml_next(o, "Object");
    assert_text(xml_child(o, "Key"), "sp ace/+%");
    assert_text(xml_child(o, "VersionId"), "null");
    o = xml_next(o, "Object");
    /* text is kept as sent; trimming is the caller's choice */
    assert_text(xml_child(o, "Key"), "  padded  ");
    ck_assert_ptr_null(xml_next(o, "Object"));
    assert_text(xml_child(root, "Quiet"), "true");
    arena_free(&a);
}
END_TEST

START_TEST(t_create_bucket)
{
    static const char *const bodies[] = {
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>",
        "<?xml version='1.0' encoding='utf-8'?><CreateBucketConfiguration>\r\n"
        "<LocationConstraint>eu-west-1</LocationConstraint>\r\n</CreateBucketConfiguration>",
    };
    for (size_t i = 0; i < 2; i++) {
        struct arena a;
        struct xml_node *root;
        arena_init(&a, 1 << 16);
        ck_assert_int_eq(parses(&a, bodies[i], &root), S3E_OK);
        ck_assert_str_eq(root->name, "CreateBucketConfiguration");
        assert_text(xml_child(root, "LocationConstraint"), "eu-west-1");
        ck_assert_ptr_null(root->first_child->next);
        arena_free(&a);
    }
}
END_TEST

/* Text of an element is the character data directly inside it. */
START_TEST(t_mixed_text)
{
    struct arena a;
    struct xml_node *root;
    arena_init(&a, 1 << 16);
    ck_assert_int_eq(parses(&a, "<a>x<b>y<c>z</c>w</b>v<d/>u</a>", &root), S3E_OK);
    assert_text(root, "xvu");
    const struct xml_node *b = xml_child(root, "b");
    assert_text(b, "yw");
    assert_text(xml_child(b, "c"), "z");
    assert_text(xml_child(root, "d"), "");
    ck_assert_ptr_null(xml_child(root, "c"));

    ck_assert_int_eq(parses(&a, "<a>\n  <b>1</b>\n</a>", &root), S3E_OK);
    assert_text(root, "\n  \n");
    size_t len;
    const char *t = xml_text_trim(root, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_null(xml_text_trim(NULL, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_null(xml_child_text(root, "zz", &len));
    ck_assert_ptr_null(xml_child(NULL, "a"));
    ck_assert_ptr_null(xml_next(NULL, "a"));
    arena_free(&a);
}
END_TEST

/* Many small character-data callbacks (entity references split the text). */
START_TEST(t_long_text)
{
    struct buf in, want;
    struct arena a;
    struct xml_node *root;
    buf_init(&in, 1 << 22);
    buf_init(&want, 1 << 22);
    buf_adds(&in, "<Key>");
    for (int i = 0; i < 20000; i++) {
        buf_adds(&in, "ab&amp;");
        buf_adds(&want, "ab&");
    }
    buf_adds(&in, "</Key>");
    arena_init(&a, 1 << 22);
    ck_assert_int_eq(parse(&a, in.data, in.len, NULL, &root), S3E_OK);
    ck_assert_uint_eq(root->text_len, want.len);
    ck_assert_mem_eq(root->text, want.data, want.len);
    arena_free(&a);
    buf_free(&in);
    buf_free(&want);
}
END_TEST

static const char *const refused[] = {
    "",
    " ",
    "\n\n",
    "hello",
    "<",
    "<a",
    "<a>",
    "<a><b>1</b>",
    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>",
    "<a></b>",
    "<a/><b/>",
    "<a></a><a></a>",
    "<a/>junk",
    "<a/><",
    "text<a/>",
    "<a>&x;</a>",
    "<a>&amp</a>",
    "<a>&#0;</a>",
    "<a>&#xD800;</a>",
    "<a>\xff</a>",
    "<a>\xc3</a>",
    "<a b=\"1\" b=\"2\"/>",
    "<1a/>",
    "<a>]]></a>",
    "<?xml version=\"1.0\"?><?xml version=\"1.0\"?><a/>",
    "<?xml version=\"1.0\" encoding=\"x-unknown\"?><a/>",
    /* any DOCTYPE */
    "<!DOCTYPE a><a/>",
    "<!DOCTYPE Delete><Delete><Quiet>true</Quiet></Delete>",
    "<?xml version=\"1.0\"?>\n<!DOCTYPE a [ ]><a/>",
    "<!DOCTYPE a SYSTEM \"http://127.0.0.1/a.dtd\"><a/>",
    "<!DOCTYPE a PUBLIC \"-//x//y\" \"a.dtd\"><a/>",
    /* XXE */
    "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
    "<Delete><Object><Key>&x;</Key></Object></Delete>",
    /* parameter entities */
    "<!DOCTYPE d [<!ENTITY % p SYSTEM \"http://127.0.0.1/x\"> %p;]><d/>",
    /* internal entity */
    "<!DOCTYPE a [<!ENTITY e \"v\">]><a>&e;</a>",
    /* billion laughs */
    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
    "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
    "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
    "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
    "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">"
    "]><lolz>&lol9;</lolz>",
    /* a DOCTYPE after the root is not well-formed either */
    "<a/><!DOCTYPE a>",
};

START_TEST(t_refused)
{
    struct arena a;
    struct xml_node *root = (struct xml_node *)&a;    /* must be reset to NULL */
    arena_init(&a, 1 << 20);
    ck_assert_int_eq(parses(&a, refused[_i], &root), S3E_MALFORMED_XML);
    ck_assert_ptr_null(root);
    arena_free(&a);
}
END_TEST

/* Embedded NUL and a length shorter than the string: only len bytes count. */
START_TEST(t_length)
{
    struct arena a;
    struct xml_node *root;
    arena_init(&a, 1 << 16);
    ck_assert_int_eq(parse(&a, L("<a>\0</a>"), NULL, &root), S3E_MALFORMED_XML);
    ck_assert_int_eq(parse(&a, L("<a/>\0"), NULL, &root), S3E_MALFORMED_XML);
    ck_assert_int_eq(parse(&a, "<a/><b/>", 4, NULL, &root), S3E_OK);
    ck_assert_str_eq(root->name, "a");
    ck_assert_int_eq(parse(&a, "<a>xy</a>", 7, NULL, &root), S3E_MALFORMED_XML);
    ck_assert_int_eq(xmlin_parse(&a, NULL, 0, NULL, &root), S3E_MALFORMED_XML);
    arena_free(&a);
}
END_TEST

static const struct {
    struct xmlin_limits lim;
    const char *body;
    enum s3_err want;
} cap_cases[] = {
    { { 3, 100, 100 }, "<a><b><c/></b></a>", S3E_OK },
    { { 3, 100, 100 }, "<a><b><c><d/></c></b></a>", S3E_MALFORMED_XML },
    { { 3, 100, 100 }, "<a><b><c/></b><b><c/></b></a>", S3E_OK },
    { { 1, 100, 100 }, "<a/>", S3E_OK },
    { { 1, 100, 100 }, "<a><b/></a>", S3E_MALFORMED_XML },
    { { 0, 100, 100 }, "<a/>", S3E_MALFORMED_XML },
    { { 8, 3, 100 }, "<a><b/><c/></a>", S3E_OK },
    { { 8, 3, 100 }, "<a><b/><c/><d/></a>", S3E_MALFORMED_XML },
    { { 8, 3, 100 }, "<a><b><c><d/></c></b></a>", S3E_MALFORMED_XML },
    { { 8, 100, 5 }, "<a>12345</a>", S3E_OK },
    { { 8, 100, 5 }, "<a>123456</a>", S3E_MALFORMED_XML },
    { { 8, 100, 5 }, "<a><b>123</b><c>45</c></a>", S3E_OK },
    { { 8, 100, 5 }, "<a><b>123</b><c>456</c></a>", S3E_MALFORMED_XML },
    { { 8, 100, 5 }, "<a>&amp;&amp;&amp;&amp;&amp;</a>", S3E_OK },
    { { 8, 100, 5 }, "<a>&amp;&amp;&amp;&amp;&amp;&amp;</a>", S3E_MALFORMED_XML },
    /* whitespace between elements is character data and counts */
    { { 8, 100, 5 }, "<a>\n  <b/>\n  <c/>\n</a>", S3E_MALFORMED_XML },
    { { 8, 100, 0 }, "<a><b/></a>", S3E_OK },
    { { 8, 100, 0 }, "<a>x</a>", S3E_MALFORMED_XML },
};

START_TEST(t_caps)
{
    struct arena a;
    struct xml_node *root;
    arena_init(&a, 1 << 16);
    const char *b = cap_cases[_i].body;
    ck_assert_int_eq(parse(&a, b, strlen(b), &cap_cases[_i].lim, &root), cap_cases[_i].want);
    arena_free(&a);
}
END_TEST

/* Deep nesting far past the cap stops early; 20000 elements pass the default. */
START_TEST(t_caps_large)
{
    struct buf in;
    struct arena a;
    struct xml_node *root;
    buf_init(&in, 1 << 22);
    for (int i = 0; i < 100000; i++)
        buf_adds(&in, "<a>");
    arena_init(&a, 1 << 22);
    ck_assert_int_eq(parse(&a, in.data, in.len, NULL, &root), S3E_MALFORMED_XML);
    ck_assert_uint_lt(a.used, 4096);
    arena_free(&a);

    buf_reset(&in);
    buf_adds(&in, "<Delete>");
    for (int i = 0; i < 10000; i++)
        buf_printf(&in, "<Object><Key>k%d</Key></Object>", i);
    buf_adds(&in, "</Delete>");
    arena_init(&a, 1 << 24);
    ck_assert_int_eq(parse(&a, in.data, in.len, NULL, &root), S3E_OK);
    int n = 0;
    for (const struct xml_node *o = xml_child(root, "Object"); o; o = xml_next(o, "Object"))
        n++;
    ck_assert_int_eq(n, 10000);
    arena_free(&a);

    struct xmlin_limits lim = { 8, 19999, 1 << 20 };
    arena_init(&a, 1 << 24);
    ck_assert_int_eq(parse(&a, in.data, in.len, &lim, &root), S3E_MALFORMED_XML);
    arena_free(&a);
    buf_free(&in);
}
END_TEST

/* An arena too small for the tree is a server-side limit, not the client's XML. */
START_TEST(t_arena_cap)
{
    struct arena a;
    struct xml_node *root;
    arena_init(&a, 64);
    ck_assert_int_eq(parses(&a, "<a><b>1</b><c>2</c></a>", &root), S3E_INTERNAL);
    ck_assert_ptr_null(root);
    arena_free(&a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("xml");
    TCase *w = tcase_create("xmlw");
    tcase_add_loop_test(w, t_escape, 0, sizeof(esc_cases) / sizeof(esc_cases[0]));
    tcase_add_test(w, t_document);
    tcase_add_test(w, t_textf_long);
    tcase_add_test(w, t_flush_large);
    tcase_add_test(w, t_flush_big_piece);
    tcase_add_loop_test(w, t_sticky, 0, 3);
    tcase_add_test(w, t_sticky_at_flush);
    suite_add_tcase(s, w);
    TCase *r = tcase_create("xmlin");
    tcase_set_timeout(r, 30);
    tcase_add_loop_test(r, t_cmu, 0, sizeof(cmu_bodies) / sizeof(cmu_bodies[0]));
    tcase_add_test(r, t_delete);
    tcase_add_test(r, t_create_bucket);
    tcase_add_test(r, t_mixed_text);
    tcase_add_test(r, t_long_text);
    tcase_add_loop_test(r, t_refused, 0, sizeof(refused) / sizeof(refused[0]));
    tcase_add_test(r, t_length);
    tcase_add_loop_test(r, t_caps, 0, sizeof(cap_cases) / sizeof(cap_cases[0]));
    tcase_add_test(r, t_caps_large);
    tcase_add_test(r, t_arena_cap);
    suite_add_tcase(s, r);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
