/* test_access.c - users, grants, canned ACLs and anonymous access (access.h), end to
 * end through s3_handle with an in-memory front. Requests are signed with Signature V2
 * header auth (sigv2.h builds the StringToSign; the clock is the real one, so Date is
 * "now"), or sent unsigned for the anonymous cases.
 *
 * Users of the credentials file written by the fixture:
 *   alice    owner of alice-b (id=alice); alice-ro: a read-only key of the same user
 *   bob      owner of bob-b
 *   carol    grant=alice-b:rw        dave   grant=alice-b:ro
 *   erin     read-only, no buckets    root   admin
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "bucketmeta.h"
#include "config.h"
#include "memfront.h"
#include "s3cgi.h"
#include "sigv2.h"

#define ALL_USERS "http://acs.amazonaws.com/groups/global/AllUsers"
#define AUTH_USERS "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"

static const struct user { const char *ak, *sk; } users[] = {
    { "AKALICE", "alice-secret" }, { "AKALICERO", "alice-ro-secret" },
    { "AKBOB", "bob-secret" }, { "AKCAROL", "carol-secret" }, { "AKDAVE", "dave-secret" },
    { "AKERIN", "erin-secret" }, { "AKROOT", "root-secret" },
};

static const char creds_text[] =
    "# users of test_access\n"
    "AKALICE alice-secret name=alice id=alice\n"
    "AKALICERO alice-ro-secret name=alice id=alice read-only\n"
    "AKBOB bob-secret name=bob\n"
    "AKCAROL carol-secret name=carol grant=alice-b:rw\n"
    "AKDAVE dave-secret name=dave grant=alice-b:ro grant=nothere:ro\n"
    "AKERIN erin-secret name=erin read-only\n"
    "AKROOT root-secret name=root admin\n";

#define ALICE "AKALICE"
#define ALICE_RO "AKALICERO"
#define BOB "AKBOB"
#define CAROL "AKCAROL"
#define DAVE "AKDAVE"
#define ERIN "AKERIN"
#define ROOT "AKROOT"
#define ANON NULL

static char root[64], conf[96], creds[96];
static struct s3_config cfg;

static const char *secret_of(const char *ak)
{
    for (size_t i = 0; i < sizeof users / sizeof *users; i++)
        if (strcmp(users[i].ak, ak) == 0)
            return users[i].sk;
    ck_abort_msg("no secret for %s", ak);
    return NULL;
}

/* "name: value" -> the CGI variable the web server would set. */
static void cgi_var(const char *hdr, char *out, size_t cap)
{
    const char *colon = strchr(hdr, ':');
    ck_assert_ptr_nonnull(colon);
    size_t nl = (size_t)(colon - hdr), o = 0;
    const char *v = colon + 1 + (colon[1] == ' ');
    if (nl == 12 && strncmp(hdr, "content-type", 12) == 0) {
        snprintf(out, cap, "CONTENT_TYPE=%s", v);
        return;
    }
    o = (size_t)snprintf(out, cap, "HTTP_");
    for (size_t i = 0; i < nl && o + 1 < cap; i++)
        out[o++] = hdr[i] == '-' ? '_' : (char)(hdr[i] >= 'a' && hdr[i] <= 'z' ? hdr[i] - 32 : hdr[i]);
    snprintf(out + o, cap - o, "=%s", v);
}

/* The SigV2 Authorization value for the request (S3 developer guide, "Signing and
 * authenticating REST requests"). hdrs: "name: value", lowercase names. */
static void sign_v2(const char *ak, const char *method, const char *uri, const char *date,
                    const char *const *hdrs, char *out, size_t cap)
{
    struct sigv2_header h[32];
    size_t n = 0;
    const char *ctype = "";
    for (; hdrs && *hdrs; hdrs++, n++) {
        const char *colon = strchr(*hdrs, ':');
        h[n].name = *hdrs;
        h[n].name_len = (size_t)(colon - *hdrs);
        h[n].value = colon + 1 + (colon[1] == ' ');
        h[n].value_len = strlen(h[n].value);
        if (h[n].name_len == 12 && strncmp(*hdrs, "content-type", 12) == 0)
            ctype = h[n].value;
    }
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    struct sigv2_request r = {
        .method = method, .method_len = strlen(method),
        .content_md5 = "", .content_type = ctype, .content_type_len = strlen(ctype),
        .date = date, .date_len = strlen(date),
        .headers = h, .nheaders = n,
        .path = uri, .path_len = plen,
        .raw_query = q ? q + 1 : "", .raw_query_len = q ? strlen(q + 1) : 0,
    };
    const char *sk = secret_of(ak);
    char sig[SIGV2_SIG_LEN + 1];
    ck_assert_int_eq(sigv2_signature(&r, sk, strlen(sk), sig), 0);
    snprintf(out, cap, "HTTP_AUTHORIZATION=AWS %s:%s", ak, sig);
}

/* Sends one request as ak (NULL: unsigned). body NULL: no body. */
static void call(struct reply *r, const char *ak, const char *method, const char *uri,
                 const char *body, const char *const *hdrs)
{
    const char *env[48];
    char vars[40][512], date[64], dv[96], authz[256];
    size_t n = 0, nv = 0;
    for (const char *const *h = hdrs; h && *h && nv < 40; h++) {
        cgi_var(*h, vars[nv], sizeof vars[nv]);
        env[n++] = vars[nv++];
    }
    if (ak) {
        time_t now = time(NULL);
        struct tm tm;
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
        snprintf(dv, sizeof dv, "HTTP_DATE=%s", date);
        env[n++] = dv;
        sign_v2(ak, method, uri, date, hdrs, authz, sizeof authz);
        env[n++] = authz;
    }
    env[n] = NULL;
    ck_assert_msg(mem_request(&cfg, r, method, uri, body, body ? strlen(body) : 0, env) == 0,
                  "%s %s: no response", method, uri);
}

/* One request whose status (and S3 error code, when code is not NULL) must match. */
static void expect(const char *ak, const char *method, const char *uri, const char *body,
                   int status, const char *code, const char *const *hdrs)
{
    struct reply r;
    call(&r, ak, method, uri, body, hdrs);
    ck_assert_msg(r.status == status, "%s %s %s: status %d, want %d; body %s", ak ? ak : "anon",
                  method, uri, r.status, status, r.body);
    if (code) {
        char want[128];
        snprintf(want, sizeof want, "<Code>%s</Code>", code);
        ck_assert_msg(strstr(r.body, want) != NULL, "%s %s: want %s in %s", method, uri, code,
                      r.body);
    }
    reply_free(&r);
}

/* As expect, and the body must (contains 1) or must not (0) contain text. */
static void expect_body(const char *ak, const char *method, const char *uri, int status,
                        const char *text, int contains)
{
    struct reply r;
    call(&r, ak, method, uri, NULL, NULL);
    ck_assert_msg(r.status == status, "%s %s: status %d, want %d; body %s", method, uri,
                  r.status, status, r.body);
    ck_assert_msg((strstr(r.body, text) != NULL) == contains, "%s %s as %s: %s %s in %s",
                  method, uri, ak ? ak : "anon", contains ? "want" : "do not want", text, r.body);
    reply_free(&r);
}

/* ------------------------------------------------------------------ fixture */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void load(const char *extra)
{
    char cf[512], err[256];
    snprintf(cf, sizeof cf, "root = %s\ncredentials = %s\nfsync = off\n%s", root, creds, extra);
    write_file(conf, cf);
    ck_assert_msg(s3_config_load(&cfg, conf, err, sizeof err) == 0, "%s", err);
}

static void setup(void)
{
    strcpy(root, "/tmp/s3cgi-access-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(conf, sizeof conf, "%s.conf", root);
    snprintf(creds, sizeof creds, "%s.creds", root);
    write_file(creds, creds_text);
    load("");
    /* alice's and bob's buckets, one object each */
    expect(ALICE, "PUT", "/alice-b", NULL, 200, NULL, NULL);
    expect(ALICE, "PUT", "/alice-b/k", "alice data", 200, NULL, NULL);
    expect(BOB, "PUT", "/bob-b", NULL, 200, NULL, NULL);
    expect(BOB, "PUT", "/bob-b/k", "bob data", 200, NULL, NULL);
}

static void teardown(void)
{
    char cmd[300];
    s3_config_free(&cfg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s'", root, conf, creds);
    ck_assert_int_eq(system(cmd), 0);
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_users_are_isolated)
{
    /* ListBuckets: each user sees its own bucket only, and itself as Owner */
    expect_body(ALICE, "GET", "/", 200, "<Name>alice-b</Name>", 1);
    expect_body(ALICE, "GET", "/", 200, "<Name>bob-b</Name>", 0);
    expect_body(ALICE, "GET", "/", 200, "<ID>alice</ID><DisplayName>alice</DisplayName>", 1);
    expect_body(BOB, "GET", "/", 200, "<Name>bob-b</Name>", 1);
    expect_body(BOB, "GET", "/", 200, "<Name>alice-b</Name>", 0);
    /* everything on the other's bucket is refused */
    expect(ALICE, "GET", "/bob-b", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "HEAD", "/bob-b", NULL, 403, NULL, NULL);
    expect(ALICE, "GET", "/bob-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "GET", "/bob-b/missing", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "PUT", "/bob-b/k2", "x", 403, "AccessDenied", NULL);
    expect(ALICE, "DELETE", "/bob-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "DELETE", "/bob-b", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "GET", "/bob-b?acl", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "GET", "/bob-b?location", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "POST", "/bob-b/k?uploads", "", 403, "AccessDenied", NULL);
    expect(BOB, "GET", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    /* and nothing changed */
    expect(BOB, "GET", "/bob-b/k", NULL, 200, NULL, NULL);
    expect(BOB, "GET", "/bob-b/k2", NULL, 404, "NoSuchKey", NULL);
    /* CreateBucket on a taken name: owner vs everyone else */
    expect(ALICE, "PUT", "/alice-b", NULL, 409, "BucketAlreadyOwnedByYou", NULL);
    expect(BOB, "PUT", "/alice-b", NULL, 409, "BucketAlreadyExists", NULL);
    /* a missing bucket is still NoSuchBucket */
    expect(ALICE, "GET", "/nobody-b", NULL, 404, "NoSuchBucket", NULL);
    /* the owner can delete its own bucket; the record goes with it */
    expect(BOB, "DELETE", "/bob-b/k", NULL, 204, NULL, NULL);
    expect(BOB, "DELETE", "/bob-b", NULL, 204, NULL, NULL);
    expect(ALICE, "PUT", "/bob-b", NULL, 200, NULL, NULL);
    expect(ALICE, "GET", "/bob-b", NULL, 200, NULL, NULL);
    expect(BOB, "GET", "/bob-b", NULL, 403, "AccessDenied", NULL);
}
END_TEST

START_TEST(test_grants)
{
    /* carol: rw on alice-b */
    expect_body(CAROL, "GET", "/", 200, "<Name>alice-b</Name>", 1);
    expect_body(CAROL, "GET", "/", 200, "<Name>bob-b</Name>", 0);
    expect(CAROL, "PUT", "/alice-b/c", "carol data", 200, NULL, NULL);
    expect(CAROL, "GET", "/alice-b/k", NULL, 200, NULL, NULL);
    expect(CAROL, "GET", "/alice-b", NULL, 200, NULL, NULL);
    expect(CAROL, "GET", "/alice-b?acl", NULL, 200, NULL, NULL);
    expect(CAROL, "DELETE", "/alice-b/c", NULL, 204, NULL, NULL);
    /* but the bucket itself stays alice's */
    expect(CAROL, "DELETE", "/alice-b", NULL, 403, "AccessDenied", NULL);
    const char *pub[] = { "x-amz-acl: public-read", NULL };
    expect(CAROL, "PUT", "/alice-b?acl", "", 403, "AccessDenied", pub);
    expect(CAROL, "GET", "/bob-b/k", NULL, 403, "AccessDenied", NULL);
    /* dave: ro on alice-b */
    expect_body(DAVE, "GET", "/", 200, "<Name>alice-b</Name>", 1);
    expect(DAVE, "GET", "/alice-b/k", NULL, 200, NULL, NULL);
    expect(DAVE, "HEAD", "/alice-b/k", NULL, 200, NULL, NULL);
    expect(DAVE, "GET", "/alice-b?list-type=2", NULL, 200, NULL, NULL);
    expect(DAVE, "PUT", "/alice-b/d", "x", 403, "AccessDenied", NULL);
    expect(DAVE, "DELETE", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    expect(DAVE, "POST", "/alice-b/d?uploads", "", 403, "AccessDenied", NULL);
    expect(DAVE, "PUT", "/alice-b/k?acl", "", 403, "AccessDenied", pub);
    expect(DAVE, "GET", "/alice-b/k", NULL, 200, NULL, NULL);
    /* a grant on a bucket that does not exist yet: creating it makes dave the owner */
    expect(DAVE, "PUT", "/nothere", NULL, 200, NULL, NULL);
    expect(DAVE, "PUT", "/nothere/x", "x", 200, NULL, NULL);
}
END_TEST

START_TEST(test_read_only_keys)
{
    /* erin: read-only, owns nothing: cannot create, cannot write anywhere */
    expect(ERIN, "PUT", "/erin-b", NULL, 403, "AccessDenied", NULL);
    expect(ERIN, "PUT", "/alice-b/e", "x", 403, "AccessDenied", NULL);
    expect_body(ERIN, "GET", "/", 200, "<Bucket>", 0);
    /* alice's read-only key: same user, so it sees and reads alice-b, writes nothing */
    expect_body(ALICE_RO, "GET", "/", 200, "<Name>alice-b</Name>", 1);
    expect(ALICE_RO, "GET", "/alice-b/k", NULL, 200, NULL, NULL);
    expect(ALICE_RO, "PUT", "/alice-b/k", "overwrite", 403, "AccessDenied", NULL);
    expect(ALICE_RO, "DELETE", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ALICE_RO, "DELETE", "/alice-b", NULL, 403, "AccessDenied", NULL);
    expect(ALICE_RO, "PUT", "/alice-ro-b", NULL, 403, "AccessDenied", NULL);
    expect(ALICE_RO, "PUT", "/alice-b", NULL, 403, "AccessDenied", NULL);
    expect_body(ALICE, "GET", "/alice-b/k", 200, "alice data", 1);
}
END_TEST

START_TEST(test_admin_owns_legacy_trees)
{
    char p[160];
    snprintf(p, sizeof p, "%s/legacy", root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/legacy/old.txt", root);
    write_file(p, "from before s3cgi");
    /* the admin sees every bucket */
    expect_body(ROOT, "GET", "/", 200, "<Name>legacy</Name>", 1);
    expect_body(ROOT, "GET", "/", 200, "<Name>alice-b</Name>", 1);
    expect_body(ROOT, "GET", "/", 200, "<Name>bob-b</Name>", 1);
    expect_body(ROOT, "GET", "/legacy/old.txt", 200, "from before s3cgi", 1);
    expect(ROOT, "PUT", "/legacy/new", "x", 200, NULL, NULL);
    expect_body(ROOT, "GET", "/legacy?acl", 200, "<DisplayName>root</DisplayName>", 1);
    expect(ROOT, "PUT", "/legacy", NULL, 409, "BucketAlreadyOwnedByYou", NULL);
    /* users do not */
    expect_body(ALICE, "GET", "/", 200, "<Name>legacy</Name>", 0);
    expect(ALICE, "GET", "/legacy/old.txt", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "PUT", "/legacy", NULL, 409, "BucketAlreadyExists", NULL);
    /* the admin acts on other users' buckets without owning them */
    expect(ROOT, "PUT", "/alice-b/by-root", "x", 200, NULL, NULL);
    expect(ROOT, "GET", "/bob-b/k", NULL, 200, NULL, NULL);
    expect_body(ROOT, "GET", "/alice-b?acl", 200, "<ID>alice</ID>", 1);
    expect(ROOT, "PUT", "/alice-b", NULL, 409, "BucketAlreadyExists", NULL);
    expect(ROOT, "DELETE", "/legacy/new", NULL, 204, NULL, NULL);
}
END_TEST

START_TEST(test_anonymous)
{
    /* unsigned requests are refused by default */
    expect(ANON, "GET", "/", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/alice-b", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "HEAD", "/alice-b/k", NULL, 403, NULL, NULL);
    expect(ANON, "PUT", "/anon-b", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "PUT", "/alice-b/a", "x", 403, "AccessDenied", NULL);
    /* a public-read bucket: objects and listings readable unsigned, nothing more */
    const char *pub[] = { "x-amz-acl: public-read", NULL };
    expect(ALICE, "PUT", "/pub-b", NULL, 200, NULL, pub);
    expect(ALICE, "PUT", "/pub-b/doc.txt", "public data", 200, NULL, NULL);
    expect_body(ANON, "GET", "/pub-b/doc.txt", 200, "public data", 1);
    expect(ANON, "HEAD", "/pub-b/doc.txt", NULL, 200, NULL, NULL);
    expect_body(ANON, "GET", "/pub-b", 200, "<Key>doc.txt</Key>", 1);
    expect_body(ANON, "GET", "/pub-b?list-type=2", 200, "<Key>doc.txt</Key>", 1);
    expect(ANON, "GET", "/pub-b/missing", NULL, 404, "NoSuchKey", NULL);
    expect(ANON, "PUT", "/pub-b/x", "x", 403, "AccessDenied", NULL);
    expect(ANON, "DELETE", "/pub-b/doc.txt", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "DELETE", "/pub-b", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/pub-b?acl", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "PUT", "/pub-b?acl", "", 403, "AccessDenied", pub);
    expect(ANON, "POST", "/pub-b/x?uploads", "", 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/", NULL, 403, "AccessDenied", NULL);
    /* other users read it too, but cannot write to it */
    expect_body(BOB, "GET", "/pub-b/doc.txt", 200, "public data", 1);
    expect(BOB, "PUT", "/pub-b/x", "x", 403, "AccessDenied", NULL);
    expect_body(BOB, "GET", "/", 200, "<Name>pub-b</Name>", 0);
    /* GetBucketAcl shows the AllUsers READ grant */
    expect_body(ALICE, "GET", "/pub-b?acl", 200, "<URI>" ALL_USERS "</URI>", 1);
    expect_body(ALICE, "GET", "/pub-b?acl", 200,
                "<URI>" ALL_USERS "</URI></Grantee><Permission>READ</Permission>", 1);
    expect_body(ALICE, "GET", "/alice-b?acl", 200, ALL_USERS, 0);
    expect_body(ALICE, "GET", "/alice-b?acl", 200, "<Permission>FULL_CONTROL</Permission>", 1);
    /* back to private */
    const char *priv[] = { "x-amz-acl: private", NULL };
    expect(ALICE, "PUT", "/pub-b?acl", "", 200, NULL, priv);
    expect(ANON, "GET", "/pub-b/doc.txt", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/pub-b", NULL, 403, "AccessDenied", NULL);
    expect_body(ALICE, "GET", "/pub-b?acl", 200, ALL_USERS, 0);
}
END_TEST

START_TEST(test_public_object_in_private_bucket)
{
    const char *pub[] = { "x-amz-acl: public-read", NULL };
    expect(ALICE, "PUT", "/alice-b/open.txt", "open data", 200, NULL, pub);
    expect_body(ANON, "GET", "/alice-b/open.txt", 200, "open data", 1);
    expect(ANON, "HEAD", "/alice-b/open.txt", NULL, 200, NULL, NULL);
    expect_body(BOB, "GET", "/alice-b/open.txt", 200, "open data", 1);
    /* only that object: the bucket and its other objects stay private */
    expect(ANON, "GET", "/alice-b", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/alice-b/open.txt?acl", NULL, 403, "AccessDenied", NULL);
    /* the internal ACL header never leaks into GET */
    struct reply r;
    call(&r, ALICE, "GET", "/alice-b/open.txt", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.headers, "s3cgi"));
    ck_assert_ptr_null(strstr(r.headers, "x-amz-acl"));
    reply_free(&r);
    /* GetObjectAcl */
    expect_body(ALICE, "GET", "/alice-b/open.txt?acl", 200,
                "<URI>" ALL_USERS "</URI></Grantee><Permission>READ</Permission>", 1);
    expect_body(ALICE, "GET", "/alice-b/open.txt?acl", 200,
                "<Owner><ID>alice</ID><DisplayName>alice</DisplayName></Owner>", 1);
    expect_body(ALICE, "GET", "/alice-b/k?acl", 200, ALL_USERS, 0);
    expect(ALICE, "GET", "/alice-b/none?acl", NULL, 404, "NoSuchKey", NULL);
    /* PutObjectAcl with a header: private closes it, public-read opens it */
    const char *priv[] = { "x-amz-acl: private", NULL };
    expect(ALICE, "PUT", "/alice-b/open.txt?acl", "", 200, NULL, priv);
    expect(ANON, "GET", "/alice-b/open.txt", NULL, 403, "AccessDenied", NULL);
    expect_body(ALICE, "GET", "/alice-b/open.txt?acl", 200, ALL_USERS, 0);
    expect_body(ALICE, "GET", "/alice-b/open.txt", 200, "open data", 1);
    expect(ALICE, "PUT", "/alice-b/k?acl", "", 200, NULL, pub);
    expect_body(ANON, "GET", "/alice-b/k", 200, "alice data", 1);
    /* a rw grantee may set object ACLs */
    expect(CAROL, "PUT", "/alice-b/k?acl", "", 200, NULL, priv);
    expect(ANON, "GET", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    /* overwriting an object drops its ACL (the new PUT brings its own) */
    expect(ALICE, "PUT", "/alice-b/k?acl", "", 200, NULL, pub);
    expect(ALICE, "PUT", "/alice-b/k", "new data", 200, NULL, NULL);
    expect(ANON, "GET", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    /* a directory object carries an ACL too */
    expect(ALICE, "PUT", "/alice-b/dir/", "", 200, NULL, pub);
    expect(ANON, "HEAD", "/alice-b/dir/", NULL, 200, NULL, NULL);
    expect(ALICE, "PUT", "/alice-b/dir/?acl", "", 200, NULL, priv);
    expect(ANON, "HEAD", "/alice-b/dir/", NULL, 403, NULL, NULL);
}
END_TEST

#define ACP_HEAD "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" \
    "<Owner><ID>alice</ID><DisplayName>alice</DisplayName></Owner><AccessControlList>"
#define ACP_OWNER "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" " \
    "xsi:type=\"CanonicalUser\"><ID>alice</ID><DisplayName>alice</DisplayName></Grantee>" \
    "<Permission>FULL_CONTROL</Permission></Grant>"
#define ACP_GROUP(uri, perm) "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" " \
    "xsi:type=\"Group\"><URI>" uri "</URI></Grantee><Permission>" perm "</Permission></Grant>"
#define ACP_TAIL "</AccessControlList></AccessControlPolicy>"

START_TEST(test_acl_xml_bodies)
{
    /* equivalent to public-read / private: accepted */
    expect(ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_OWNER ACP_GROUP(ALL_USERS, "READ") ACP_TAIL,
           200, NULL, NULL);
    expect_body(ANON, "GET", "/alice-b/k", 200, "alice data", 1);
    expect_body(ALICE, "GET", "/alice-b?acl", 200, ALL_USERS, 1);
    expect(ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_OWNER ACP_TAIL, 200, NULL, NULL);
    expect(ANON, "GET", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ALICE, "PUT", "/alice-b/k?acl", ACP_HEAD ACP_OWNER ACP_GROUP(ALL_USERS, "READ") ACP_TAIL,
           200, NULL, NULL);
    expect_body(ANON, "GET", "/alice-b/k", 200, "alice data", 1);
    /* what the GET answers can be PUT back as it is (s3cmd setacl does that) */
    struct reply r;
    call(&r, ALICE, "GET", "/alice-b/k?acl", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    char *acp = strdup(r.body);
    reply_free(&r);
    expect(ALICE, "PUT", "/alice-b/k?acl", acp, 200, NULL, NULL);
    free(acp);
    expect_body(ANON, "GET", "/alice-b/k", 200, "alice data", 1);
    /* anything else: NotImplemented, and nothing changes */
    expect(ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_OWNER ACP_GROUP(ALL_USERS, "WRITE") ACP_TAIL,
           501, "NotImplemented", NULL);
    expect(ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_GROUP(ALL_USERS, "READ") ACP_TAIL,
           501, "NotImplemented", NULL);
    expect(ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_OWNER
           "<Grant><Grantee><ID>bob-id</ID></Grantee><Permission>READ</Permission></Grant>" ACP_TAIL,
           501, "NotImplemented", NULL);
    expect(ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_OWNER
           "<Grant><Grantee><EmailAddress>x@example.org</EmailAddress></Grantee>"
           "<Permission>READ</Permission></Grant>" ACP_TAIL, 501, "NotImplemented", NULL);
    expect(ALICE, "PUT", "/alice-b?acl", "<AccessControlPolicy><Owner><ID>bob</ID></Owner>"
           "<AccessControlList>" ACP_OWNER ACP_TAIL, 501, "NotImplemented", NULL);
    expect_body(ALICE, "GET", "/alice-b?acl", 200, ALL_USERS, 0);
    call(&r, ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_OWNER ACP_GROUP(ALL_USERS, "WRITE") ACP_TAIL,
         NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "canned ACLs private, public-read and authenticated-read"));
    reply_free(&r);
    /* malformed, both forms, neither */
    expect(ALICE, "PUT", "/alice-b?acl", "<AccessControlPolicy>", 400, "MalformedXML", NULL);
    expect(ALICE, "PUT", "/alice-b?acl", "<Other/>", 400, "MalformedXML", NULL);
    const char *pub[] = { "x-amz-acl: public-read", NULL };
    expect(ALICE, "PUT", "/alice-b?acl", ACP_HEAD ACP_OWNER ACP_TAIL, 400, "InvalidRequest", pub);
    expect(ALICE, "PUT", "/alice-b?acl", "", 400, "InvalidRequest", NULL);
    expect(ANON, "GET", "/alice-b", NULL, 403, "AccessDenied", NULL);
}
END_TEST

START_TEST(test_canned_acl_values)
{
    struct reply r;
    /* refused with a clear message, never ignored */
    const char *prw[] = { "x-amz-acl: public-read-write", NULL };
    call(&r, ALICE, "PUT", "/alice-b/w", "x", prw);
    ck_assert_int_eq(r.status, 501);
    ck_assert_ptr_nonnull(strstr(r.body, "<Code>NotImplemented</Code>"));
    ck_assert_ptr_nonnull(strstr(r.body, "public-read-write is not supported"));
    reply_free(&r);
    expect(ALICE, "GET", "/alice-b/w", NULL, 404, "NoSuchKey", NULL);
    expect(ALICE, "PUT", "/prw-b", NULL, 501, "NotImplemented", prw);
    expect(ROOT, "GET", "/prw-b", NULL, 404, "NoSuchBucket", NULL);
    expect(ALICE, "PUT", "/alice-b?acl", "", 501, "NotImplemented", prw);
    expect(ALICE, "POST", "/alice-b/w?uploads", "", 501, "NotImplemented", prw);
    const char *exec[] = { "x-amz-acl: aws-exec-read", NULL };
    expect(ALICE, "PUT", "/alice-b/w", "x", 501, "NotImplemented", exec);
    const char *logw[] = { "x-amz-acl: log-delivery-write", NULL };
    expect(ALICE, "PUT", "/log-b", NULL, 501, "NotImplemented", logw);
    const char *bogus[] = { "x-amz-acl: everyone-please", NULL };
    expect(ALICE, "PUT", "/alice-b/w", "x", 400, "InvalidArgument", bogus);
    const char *grant[] = { "x-amz-grant-read: uri=\"" ALL_USERS "\"", NULL };
    expect(ALICE, "PUT", "/alice-b/w", "x", 501, "NotImplemented", grant);
    expect(ALICE, "PUT", "/grant-b", NULL, 501, "NotImplemented", grant);
    expect(ALICE, "GET", "/alice-b/w", NULL, 404, "NoSuchKey", NULL);
    /* accepted as private */
    const char *bofc[] = { "x-amz-acl: bucket-owner-full-control", NULL };
    expect(CAROL, "PUT", "/alice-b/w", "x", 200, NULL, bofc);
    expect_body(ALICE, "GET", "/alice-b/w?acl", 200, "<Grant>", 1);
    expect_body(ALICE, "GET", "/alice-b/w?acl", 200, "acs.amazonaws.com", 0);
    expect(ANON, "GET", "/alice-b/w", NULL, 403, "AccessDenied", NULL);
    const char *bor[] = { "x-amz-acl: bucket-owner-read", NULL };
    expect(ALICE, "PUT", "/bor-b", NULL, 200, NULL, bor);
    expect_body(ALICE, "GET", "/bor-b?acl", 200, "acs.amazonaws.com", 0);
    /* authenticated-read: every signed key reads, unsigned requests do not */
    const char *ar[] = { "x-amz-acl: authenticated-read", NULL };
    expect(ALICE, "PUT", "/alice-b/ar", "for users", 200, NULL, ar);
    expect_body(BOB, "GET", "/alice-b/ar", 200, "for users", 1);
    expect_body(ERIN, "GET", "/alice-b/ar", 200, "for users", 1);
    expect(ANON, "GET", "/alice-b/ar", NULL, 403, "AccessDenied", NULL);
    expect_body(ALICE, "GET", "/alice-b/ar?acl", 200, "<URI>" AUTH_USERS "</URI>", 1);
    expect(ALICE, "PUT", "/ar-b", NULL, 200, NULL, ar);
    expect(ALICE, "PUT", "/ar-b/x", "x", 200, NULL, NULL);
    expect(BOB, "GET", "/ar-b", NULL, 200, NULL, NULL);
    expect(BOB, "GET", "/ar-b/x", NULL, 200, NULL, NULL);
    expect(BOB, "PUT", "/ar-b/y", "y", 403, "AccessDenied", NULL);
    expect(ANON, "GET", "/ar-b/x", NULL, 403, "AccessDenied", NULL);
    expect_body(ALICE, "GET", "/ar-b?acl", 200, AUTH_USERS, 1);
}
END_TEST

START_TEST(test_acl_on_multipart_and_copy)
{
    const char *pub[] = { "x-amz-acl: public-read", NULL };
    struct reply r;
    /* CreateMultipartUpload's x-amz-acl applies to the completed object */
    call(&r, ALICE, "POST", "/alice-b/mp?uploads", "", pub);
    ck_assert_int_eq(r.status, 200);
    char id[128] = "";
    const char *s = strstr(r.body, "<UploadId>");
    ck_assert_ptr_nonnull(s);
    sscanf(s + 10, "%127[^<]", id);
    reply_free(&r);
    char uri[256], etag[64] = "", body[512];
    snprintf(uri, sizeof uri, "/alice-b/mp?partNumber=1&uploadId=%s", id);
    call(&r, ALICE, "PUT", uri, "part one", NULL);
    ck_assert_int_eq(r.status, 200);
    s = strstr(r.headers, "ETag: ");
    ck_assert_ptr_nonnull(s);
    sscanf(s + 6, "%63[^\r]", etag);
    reply_free(&r);
    snprintf(uri, sizeof uri, "/alice-b/mp?uploadId=%s", id);
    snprintf(body, sizeof body, "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>", etag);
    expect(ALICE, "POST", uri, body, 200, NULL, NULL);
    expect_body(ANON, "GET", "/alice-b/mp", 200, "part one", 1);

    /* CopyObject with REPLACE takes the copy request's ACL */
    const char *cp[] = { "x-amz-copy-source: /alice-b/k", "x-amz-metadata-directive: REPLACE",
                         "x-amz-acl: public-read", NULL };
    expect(ALICE, "PUT", "/alice-b/k-copy", NULL, 200, NULL, cp);
    expect_body(ANON, "GET", "/alice-b/k-copy", 200, "alice data", 1);
    /* with the COPY directive: honoured, or refused with NotImplemented; never lost */
    const char *cp_copy[] = { "x-amz-copy-source: /alice-b/k", "x-amz-acl: public-read", NULL };
    call(&r, ALICE, "PUT", "/alice-b/k-copy3", NULL, cp_copy);
    if (r.status == 200) {
        reply_free(&r);
        expect_body(ANON, "GET", "/alice-b/k-copy3", 200, "alice data", 1);
    } else {
        ck_assert_int_eq(r.status, 501);
        ck_assert_ptr_nonnull(strstr(r.body, "REPLACE"));
        reply_free(&r);
        expect(ALICE, "GET", "/alice-b/k-copy3", NULL, 404, "NoSuchKey", NULL);
    }
    const char *cp_priv[] = { "x-amz-copy-source: /alice-b/k", "x-amz-acl: private", NULL };
    expect(ALICE, "PUT", "/alice-b/k-copy4", NULL, 200, NULL, cp_priv);
    /* and a copy of a public object without x-amz-acl is private (S3: ACLs are not
     * copied) */
    const char *cp2[] = { "x-amz-copy-source: /alice-b/k-copy", NULL };
    expect(ALICE, "PUT", "/alice-b/k-copy2", NULL, 200, NULL, cp2);
    expect(ANON, "GET", "/alice-b/k-copy2", NULL, 403, "AccessDenied", NULL);
}
END_TEST

START_TEST(test_copy_source_is_checked)
{
    /* bob may write his bucket but not read alice's: no copying out of it */
    const char *cp[] = { "x-amz-copy-source: /alice-b/k", NULL };
    expect(BOB, "PUT", "/bob-b/stolen", NULL, 403, "AccessDenied", cp);
    const char *cp_enc[] = { "x-amz-copy-source: alice-b/%6B", NULL };
    expect(BOB, "PUT", "/bob-b/stolen", NULL, 403, "AccessDenied", cp_enc);
    expect(BOB, "GET", "/bob-b/stolen", NULL, 404, "NoSuchKey", NULL);
    /* nor through UploadPartCopy */
    struct reply r;
    call(&r, BOB, "POST", "/bob-b/mp?uploads", "", NULL);
    ck_assert_int_eq(r.status, 200);
    char id[128] = "", uri[256];
    const char *s = strstr(r.body, "<UploadId>");
    ck_assert_ptr_nonnull(s);
    sscanf(s + 10, "%127[^<]", id);
    reply_free(&r);
    snprintf(uri, sizeof uri, "/bob-b/mp?partNumber=1&uploadId=%s", id);
    expect(BOB, "PUT", uri, NULL, 403, "AccessDenied", cp);
    /* a public source may be copied by anyone who can write the destination */
    const char *pub[] = { "x-amz-acl: public-read", NULL };
    expect(ALICE, "PUT", "/alice-b/k?acl", "", 200, NULL, pub);
    expect(BOB, "PUT", "/bob-b/copied", NULL, 200, NULL, cp);
    expect_body(BOB, "GET", "/bob-b/copied", 200, "alice data", 1);
    expect(BOB, "PUT", uri, NULL, 200, NULL, cp);
    /* dave (ro on alice-b) can copy out of it into a bucket he owns */
    expect(DAVE, "PUT", "/dave-b", NULL, 200, NULL, NULL);
    const char *cp3[] = { "x-amz-copy-source: alice-b/k", NULL };
    expect(DAVE, "PUT", "/dave-b/k", NULL, 200, NULL, cp3);
    expect(DAVE, "PUT", "/alice-b/k2", NULL, 403, "AccessDenied", cp3);
}
END_TEST

START_TEST(test_anonymous_full)
{
    s3_config_free(&cfg);
    load("anonymous = full\n");
    expect(ANON, "GET", "/", NULL, 200, NULL, NULL);
    expect(ANON, "PUT", "/anon-b", NULL, 200, NULL, NULL);
    expect(ANON, "PUT", "/anon-b", NULL, 409, "BucketAlreadyOwnedByYou", NULL);
    expect(ANON, "PUT", "/alice-b/anon", "x", 200, NULL, NULL);
    expect_body(ANON, "GET", "/alice-b/k", 200, "alice data", 1);
    /* signed keys keep their own rights */
    expect(BOB, "GET", "/alice-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ERIN, "PUT", "/anon-b/x", "x", 403, "AccessDenied", NULL);
    /* anonymous buckets have no recorded owner: the admin owns them */
    expect_body(ROOT, "GET", "/anon-b?acl", 200, "<DisplayName>root</DisplayName>", 1);
    /* canned ACL values are still validated */
    const char *prw[] = { "x-amz-acl: public-read-write", NULL };
    expect(ANON, "PUT", "/anon-b/x", "x", 501, "NotImplemented", prw);
}
END_TEST

/* The bucket record is the xattr on the bucket directory; without it, the fallback
 * file root/.s3cgi/buckets/<bucket> counts only for the same directory. */
START_TEST(test_bucket_record_storage)
{
    char p[200], rec[300];
    snprintf(p, sizeof p, "%s/alice-b", root);
    ssize_t n = getxattr(p, BUCKETMETA_XATTR, rec, sizeof rec - 1);
    ck_assert_int_gt(n, 0);
    rec[n] = '\0';
    ck_assert_ptr_nonnull(strstr(rec, "owner=alice\n"));
    /* a directory made by other means, with a fallback record naming bob */
    snprintf(p, sizeof p, "%s/side-b", root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    struct statx stx;
    ck_assert_int_eq(statx(AT_FDCWD, p, 0, STATX_INO | STATX_BTIME, &stx), 0);
    long long bs = (stx.stx_mask & STATX_BTIME) ? (long long)stx.stx_btime.tv_sec : 0;
    long bn = (stx.stx_mask & STATX_BTIME) ? (long)stx.stx_btime.tv_nsec : 0;
    struct bucket_meta bm;
    memset(&bm, 0, sizeof bm);
    const struct s3_credential *bob = s3_config_find_key(&cfg, BOB, strlen(BOB));
    ck_assert_ptr_nonnull(bob);
    snprintf(p, sizeof p, "%s/.s3cgi", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/.s3cgi/buckets", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/.s3cgi/buckets/side-b", root);
    snprintf(rec, sizeof rec, "s3cgi-bucket1\nowner=%s\nacl=private\nino=%llu\nbtime=%lld.%ld\n",
             bob->id, (unsigned long long)stx.stx_ino, bs, bn);
    write_file(p, rec);
    expect(BOB, "PUT", "/side-b/x", "x", 200, NULL, NULL);
    expect(ALICE, "GET", "/side-b/x", NULL, 403, "AccessDenied", NULL);
    /* the same record for another inode does not count: back to the admins */
    snprintf(rec, sizeof rec, "s3cgi-bucket1\nowner=%s\nacl=private\nino=%llu\nbtime=%lld.%ld\n",
             bob->id, (unsigned long long)stx.stx_ino + 1, bs, bn);
    write_file(p, rec);
    expect(BOB, "GET", "/side-b/x", NULL, 403, "AccessDenied", NULL);
    expect(ROOT, "GET", "/side-b/x", NULL, 200, NULL, NULL);
    /* a garbled xattr grants nothing either */
    snprintf(p, sizeof p, "%s/bob-b", root);
    ck_assert_int_eq(setxattr(p, BUCKETMETA_XATTR, "junk", 4, 0), 0);
    expect(BOB, "GET", "/bob-b/k", NULL, 403, "AccessDenied", NULL);
    expect(ROOT, "GET", "/bob-b/k", NULL, 200, NULL, NULL);
    /* the reserved directory is no bucket */
    expect_body(ROOT, "GET", "/", 200, ".s3cgi", 0);
}
END_TEST

/* Credentials lines: the old forms still load, bad options are named. */
START_TEST(test_credentials_format)
{
    static const struct { const char *line; const char *err; } cases[] = {
        { "AK1 SK1\n", NULL },
        { "AK1 SK1 name=one admin read-only\n", NULL },
        { "AK1 SK1 id=user.one_1-x grant=some-bucket:ro grant=other-bucket:rw\n", NULL },
        { "AK1\n", "expected" },
        { "AK1 SK1 bogus\n", "unknown option" },
        { "AK1 SK1 grant=some-bucket\n", "grant=" },
        { "AK1 SK1 grant=some-bucket:wr\n", "grant=" },
        { "AK1 SK1 grant=Bad_Bucket:ro\n", "invalid bucket" },
        { "AK1 SK1 id=\n", "id=" },
        { "AK1 SK1 id=a/b\n", "id=" },
        { "AK1 SK1 id=0123456789012345678901234567890123456789012345678901234567890123456789\n", "id=" },
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct s3_config c2;
        write_file(creds, cases[i].line);
        int rc = s3_config_load(&c2, conf, err, sizeof err);
        if (!cases[i].err) {
            ck_assert_msg(rc == 0, "%s: %s", cases[i].line, err);
            const struct s3_credential *c = s3_config_find_key(&c2, "AK1", 3);
            ck_assert_ptr_nonnull(c);
            ck_assert_ptr_nonnull(c->id);
        } else {
            ck_assert_msg(rc == -1, "%s loaded", cases[i].line);
            ck_assert_msg(strstr(err, cases[i].err) && strstr(err, ":1:"), "%s: %s",
                          cases[i].line, err);
        }
        s3_config_free(&c2);
    }
    /* the default id is the hex SHA-256 of the access key, stable across loads */
    write_file(creds, "AK1 SK1 name=one admin read-only\n");
    struct s3_config c3;
    ck_assert_int_eq(s3_config_load(&c3, conf, err, sizeof err), 0);
    const struct s3_credential *c = s3_config_find_key(&c3, "AK1", 3);
    ck_assert_str_eq(c->display_name, "one");
    ck_assert_int_eq(c->admin, 1);
    ck_assert_int_eq(c->read_only, 1);
    ck_assert_uint_eq(strlen(c->id), 64);
    ck_assert_ptr_eq(s3_config_find_id(&c3, c->id), c);
    s3_config_free(&c3);
    write_file(creds, creds_text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("access");
    TCase *tc = tcase_create("access");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_users_are_isolated);
    tcase_add_test(tc, test_grants);
    tcase_add_test(tc, test_read_only_keys);
    tcase_add_test(tc, test_admin_owns_legacy_trees);
    tcase_add_test(tc, test_anonymous);
    tcase_add_test(tc, test_public_object_in_private_bucket);
    tcase_add_test(tc, test_acl_xml_bodies);
    tcase_add_test(tc, test_canned_acl_values);
    tcase_add_test(tc, test_acl_on_multipart_and_copy);
    tcase_add_test(tc, test_copy_source_is_checked);
    tcase_add_test(tc, test_anonymous_full);
    tcase_add_test(tc, test_bucket_record_storage);
    tcase_add_test(tc, test_credentials_format);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
