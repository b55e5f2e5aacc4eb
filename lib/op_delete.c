/* op_delete.c - DeleteObjects: POST bucket?delete (AWS S3 API reference,
 * "DeleteObjects", "ObjectIdentifier", "DeletedObject", "Error").
 *
 * Request: <Delete><Quiet>true|false</Quiet><Object><Key>k</Key>
 * [<VersionId>v</VersionId>][<ETag>e</ETag>]</Object>...</Delete>, 1 to 1000 Objects.
 * The body is read whole (capped; body_read_all runs body_finish, so Content-MD5,
 * an x-amz-checksum-* header or trailer, x-amz-content-sha256 and a deferred
 * signature are verified before anything is deleted; none of them is required) and
 * parsed with the hardened reader (xmlin.h). Anything that does not fit the schema -
 * another root, a Quiet other than true/false, an Object without exactly one Key, an
 * unknown element, no Object or more than 1000, a body over the cap - is 400
 * MalformedXML, S3's answer, with nothing deleted.
 *
 * Per key, in request order (duplicates are deleted twice, harmlessly):
 *   - VersionId "null" is the version of every object of an unversioned bucket and is
 *     echoed back; any other id gets <Error> NoSuchVersion "The specified version does
 *     not exist." (what S3 answers for an id that does not exist);
 *   - a key that cannot map to a path gets <Error> with the code of s3_key_check
 *     (InvalidArgument, KeyTooLongError), and the other keys go on;
 *   - ETag (conditional delete, S3 ObjectIdentifier.ETag): the object must exist
 *     (else NoSuchKey) with that ETag or "*" (else PreconditionFailed). The check and
 *     the unlink are two steps: a PUT landing between them is deleted, the same window
 *     store_put_commit's If-Match has;
 *   - store_object_delete: a missing key counts as deleted ("if the object specified
 *     in the request is not found, Amazon S3 returns the result as deleted"), empty
 *     parent directories are pruned.
 * Response: 200 DeleteResult, streamed entry by entry: <Deleted><Key>[<VersionId>]
 * (left out when Quiet), <Error><Key>[<VersionId>]<Code><Message>. Keys are XML-escaped
 * as they are; DeleteObjects has no encoding-type parameter.
 */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "body.h"
#include "ops.h"
#include "store.h"
#include "xmlin.h"

#define MAX_DELETE_KEYS 1000
/* 1000 keys of up to 1024 bytes with their markup fit with room for escaping */
#define DELETE_BODY_CAP ((size_t)(2u << 20) + (64u << 10))

#define MSG_NO_VERSION "The specified version does not exist."

static int text_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Children an Object may have (ObjectIdentifier); LastModifiedTime and Size apply to
 * directory buckets only and are accepted and ignored. */
static int object_child_known(const char *name)
{
    static const char *const known[] = { "Key", "VersionId", "ETag", "LastModifiedTime", "Size" };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(name, known[i]) == 0)
            return 1;
    return 0;
}

/* Checks the document against the schema before anything is deleted. */
static enum s3_err validate(const struct xml_node *root, int *quiet)
{
    long objects = 0;
    int seen_quiet = 0;
    *quiet = 0;
    if (strcmp(root->name, "Delete") != 0)
        return S3E_MALFORMED_XML;
    for (const struct xml_node *n = root->first_child; n; n = n->next) {
        if (strcmp(n->name, "Quiet") == 0) {
            size_t len;
            const char *t = xml_text_trim(n, &len);
            if (seen_quiet++ || n->first_child)
                return S3E_MALFORMED_XML;
            if (text_is(t, len, "true"))
                *quiet = 1;
            else if (!text_is(t, len, "false"))
                return S3E_MALFORMED_XML;
            continue;
        }
        if (strcmp(n->name, "Object") != 0 || ++objects > MAX_DELETE_KEYS)
            return S3E_MALFORMED_XML;
        int keys = 0;
        for (const struct xml_node *k = n->first_child; k; k = k->next) {
            if (!object_child_known(k->name) || k->first_child)
                return S3E_MALFORMED_XML;
            keys += strcmp(k->name, "Key") == 0;
        }
        if (keys != 1)
            return S3E_MALFORMED_XML;
    }
    return objects ? S3E_OK : S3E_MALFORMED_XML;
}

/* 1 when the ObjectIdentifier ETag (quoted or not, or "*") names etag. */
static int etag_matches(const char *v, size_t n, const char *etag)
{
    if (n == 1 && v[0] == '*')
        return 1;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
        v++, n -= 2;
    return strlen(etag) == n && memcmp(v, etag, n) == 0;
}

/* The conditional part of one delete: S3E_OK when the object may go. */
static enum s3_err check_etag(struct s3_ctx *c, const char *key, size_t key_len,
                              const char *want, size_t want_len)
{
    struct s3_meta m;
    int fd = -1;
    enum s3_err err = store_object_open(c->req->cfg, c->bucketfd, key, key_len, NULL, &fd, &m);
    if (fd >= 0)
        close(fd);
    if (err == S3E_OK && !etag_matches(want, want_len, m.etag))
        err = S3E_PRECONDITION_FAILED;
    return err;
}

static void entry_head(struct xmlw *w, const char *element, const struct xml_node *key,
                       const char *version, size_t version_len)
{
    xmlw_open(w, element);
    xmlw_textn(w, "Key", key->text, key->text_len);
    if (version)
        xmlw_textn(w, "VersionId", version, version_len);
}

/* Deletes one Object and writes its entry. */
static void delete_one(struct s3_ctx *c, struct xmlw *w, const struct xml_node *obj, int quiet)
{
    /* the key exactly as sent: leading and trailing spaces are part of a key */
    const struct xml_node *key = xml_child(obj, "Key");
    size_t vlen = 0, elen = 0;
    const char *version = xml_child_text(obj, "VersionId", &vlen);
    const char *etag = xml_child_text(obj, "ETag", &elen);
    const char *code = NULL, *message = NULL;
    enum s3_err err = S3E_OK;

    if (version && !(vlen == 4 && memcmp(version, "null", 4) == 0)) {
        code = "NoSuchVersion";
        message = MSG_NO_VERSION;
    } else if ((err = s3_key_check(key->text, key->text_len)) == S3E_OK &&
               (!etag || (err = check_etag(c, key->text, key->text_len, etag, elen)) == S3E_OK)) {
        err = store_object_delete(c->req->cfg, c->bucketfd, key->text, key->text_len);
    }
    if (err) {
        const struct s3_err_info *info = s3_err_info(err);
        code = info->code;
        message = info->message;
        if (info->status >= 500)
            s3_io_logf(c->req->io, "request %s: DeleteObjects: %s for a key", c->req->request_id,
                       info->code);
    }
    if (code) {
        entry_head(w, "Error", key, version, vlen);
        xmlw_text(w, "Code", code);
        xmlw_text(w, "Message", message);
        xmlw_close(w, "Error");
    } else if (!quiet) {
        entry_head(w, "Deleted", key, version, vlen);
        xmlw_close(w, "Deleted");
    }
}

enum s3_err op_delete_objects(struct s3_ctx *c)
{
    struct s3_request *req = c->req;
    struct xml_node *root;
    char *data;
    size_t len;
    int quiet;
    enum s3_err err = body_read_all(req, DELETE_BODY_CAP, &data, &len);
    if (err == S3E_ENTITY_TOO_LARGE)
        return S3E_MALFORMED_XML;
    if (err || (err = xmlin_parse(req->arena, data, len, NULL, &root)) ||
        (err = validate(root, &quiet)))
        return err;
    struct xmlw w;
    op_xml_begin(c, &w, "DeleteResult");
    for (const struct xml_node *o = xml_child(root, "Object"); o && !xmlw_error(&w);
         o = xml_next(o, "Object"))
        delete_one(c, &w, o, quiet);
    return op_xml_end(c, &w, "DeleteResult");
}
