/* s3cgi.c - one request, start to end: parse -> authenticate -> route -> open the bucket
 * -> authorize (access.h) -> operate. */
#include "s3cgi.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "arena.h"
#include "auth.h"
#include "body.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "store.h"

/* Upper bound of memory one request may take from its arena (headers, query,
 * request XML bodies, listing scratch). Object data never goes through it. */
#define REQUEST_ARENA_CAP (64u << 20)
/* Largest body accepted (and verified) on an operation that has no use for one. */
#define UNREAD_BODY_MAX (1u << 20)

/* Runs the request; *message may be set to a specific error message. */
static enum s3_err dispatch(struct s3_ctx *c, const char **message)
{
    struct s3_request *req = c->req;
    int deferred = 0;
    enum s3_err err = s3_auth_check_ex(req, &deferred, message);
    if (err)
        return err;
    *message = NULL;
    req->auth.deferred = deferred;
    const struct s3_route *r = s3_route_find(req, &err);
    if (!r)
        return err;
    if (!r->fn)
        return S3E_NOT_IMPLEMENTED;
    if (req->auth.deferred && !r->reads_body) {
        /* The signature covers the hash of a body this operation ignores (curl
         * --aws-sigv4 sends no x-amz-content-sha256): verify it before acting. */
        char *data;
        size_t len;
        if ((err = body_read_all(req, UNREAD_BODY_MAX, &data, &len)))
            return err;
    }
    if (r->needs_bucket && (err = store_bucket_open(req->cfg, req->bucket, &c->bucketfd)))
        return err;
    /* authorization: the user (or anonymous) against the route, bucket and ACLs */
    if ((err = access_check(c, r, message)))
        return err;
    resp_header(c->resp, "x-amz-request-id", req->request_id);
    resp_header(c->resp, "x-amz-id-2", req->request_id);
    return r->fn(c);
}

int s3_handle(const struct s3_config *cfg, const struct s3_io *io)
{
    struct arena a;
    struct s3_request req;
    struct s3_resp resp;
    arena_init(&a, REQUEST_ARENA_CAP);
    enum s3_err err = s3_request_parse(&req, &a, io, cfg, time(NULL));
    resp_init(&resp, io, req.method == M_HEAD);
    struct s3_ctx c = { &req, &resp, -1 };
    const char *message = NULL;
    if (!err)
        err = dispatch(&c, &message);
    if (err) {
        const struct s3_err_info *info = s3_err_info(err);
        if (info->status >= 500 || cfg->log_level >= 2)
            s3_io_logf(io, "%s %s -> %d %s (request %s)", req.method_str ? req.method_str : "-",
                       req.raw_uri ? req.raw_uri : "-", info->status, info->code, req.request_id);
        resp_error(&resp, &req, err, message);
    } else if (cfg->log_level >= 2) {
        s3_io_logf(io, "%s %s -> %d (request %s)", req.method_str, req.raw_uri, resp.status,
                   req.request_id);
    }
    if (c.bucketfd >= 0)
        close(c.bucketfd);
    int rc = resp_finish(&resp);
    resp_free(&resp);
    arena_free(&a);
    return rc;
}

int s3_handle_config_error(const struct s3_io *io, const char *why)
{
    struct s3_resp resp;
    s3_io_logf(io, "configuration error: %s", why);
    resp_init(&resp, io, 0);
    int rc = resp_error(&resp, NULL, S3E_INTERNAL, "The server is not configured correctly; see its error log.");
    resp_free(&resp);
    return rc;
}
