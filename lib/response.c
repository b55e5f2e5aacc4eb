/* response.c - see response.h. */
#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "util.h"
#include "xmlw.h"

#define RESP_MAX_HEADERS 65536

void resp_init(struct s3_resp *r, const struct s3_io *io, int head_only)
{
    r->io = io;
    r->status = 200;
    r->state = RESP_HEADERS;
    r->err = 0;
    r->head_only = head_only;
    r->outlen = 0;
    buf_init(&r->hdrs, RESP_MAX_HEADERS);
}

void resp_free(struct s3_resp *r)
{
    buf_free(&r->hdrs);
}

void resp_status(struct s3_resp *r, int status)
{
    if (r->state == RESP_HEADERS)
        r->status = status;
}

void resp_header(struct s3_resp *r, const char *name, const char *value)
{
    if (r->state != RESP_HEADERS || !value)
        return;
    if (!http_token_valid(name, strlen(name))) {
        s3_io_logf(r->io, "dropped a header whose name is not an HTTP token");
        return;
    }
    if (strpbrk(value, "\r\n")) {
        s3_io_logf(r->io, "dropped header %s: value contains CR/LF", name);
        return;
    }
    buf_adds(&r->hdrs, name);
    buf_add(&r->hdrs, ": ", 2);
    buf_adds(&r->hdrs, value);
    buf_add(&r->hdrs, "\r\n", 2);
}

void resp_headerf(struct s3_resp *r, const char *name, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof tmp)
        resp_header(r, name, tmp);
}

static int raw_write(struct s3_resp *r, const void *data, size_t len)
{
    if (r->err)
        return -1;
    if (len && r->io->write(r->io->ctx, data, len) < 0) {
        r->err = 1;
        return -1;
    }
    return 0;
}

static int flush_out(struct s3_resp *r)
{
    int rc = raw_write(r, r->out, r->outlen);
    r->outlen = 0;
    return rc;
}

int resp_start(struct s3_resp *r)
{
    if (r->state != RESP_HEADERS)
        return r->err ? -1 : 0;
    r->state = RESP_BODY;
    if (r->hdrs.failed) {
        s3_io_logf(r->io, "response headers exceed %d bytes", RESP_MAX_HEADERS);
        r->err = 1;
        return -1;
    }
    char status[64];
    int n = snprintf(status, sizeof status, "Status: %d %s\r\n", r->status, s3_http_reason(r->status));
    if (raw_write(r, status, (size_t)n) < 0 || raw_write(r, r->hdrs.data, r->hdrs.len) < 0 ||
        raw_write(r, "\r\n", 2) < 0)
        return -1;
    return 0;
}

int resp_write(struct s3_resp *r, const void *data, size_t len)
{
    if (resp_start(r) < 0)
        return -1;
    if (r->head_only)
        return 0;
    if (len >= sizeof r->out) {     /* large blocks go straight through */
        if (flush_out(r) < 0)
            return -1;
        return raw_write(r, data, len);
    }
    if (r->outlen + len > sizeof r->out && flush_out(r) < 0)
        return -1;
    memcpy(r->out + r->outlen, data, len);
    r->outlen += len;
    return 0;
}

int resp_finish(struct s3_resp *r)
{
    if (resp_start(r) < 0)
        return -1;
    if (r->state == RESP_DONE)
        return r->err ? -1 : 0;
    int rc = flush_out(r);
    r->state = RESP_DONE;
    return rc;
}

int resp_xml_sink(void *ctx, const char *data, size_t len)
{
    return resp_write(ctx, data, len);
}

int resp_error(struct s3_resp *r, const struct s3_request *req, enum s3_err e, const char *message)
{
    const struct s3_err_info *info = s3_err_info(e);
    if (r->state != RESP_HEADERS) {
        s3_io_logf(r->io, "request %s: %s after the response started; connection cut",
                   req ? req->request_id : "-", info->code);
        r->err = 1;
        return -1;
    }
    buf_reset(&r->hdrs);
    resp_status(r, info->status);
    if (req) {
        resp_header(r, "x-amz-request-id", req->request_id);
        resp_header(r, "x-amz-id-2", req->request_id);     /* as on every S3 answer */
    }
    if (info->status == 304) {
        return resp_finish(r);
    }
    resp_header(r, "Content-Type", "application/xml");
    struct xmlw w;
    xmlw_init(&w, resp_xml_sink, r);
    if (!r->head_only) {
        xmlw_decl(&w);
        xmlw_open(&w, "Error");
        xmlw_text(&w, "Code", info->code);
        xmlw_text(&w, "Message", message ? message : info->message);
        if (req && req->bucket)
            xmlw_text(&w, "BucketName", req->bucket);
        if (req && req->key)
            xmlw_textn(&w, "Key", req->key, req->key_len);
        if (req && req->raw_path)
            xmlw_text(&w, "Resource", req->raw_path);
        if (req) {
            xmlw_text(&w, "RequestId", req->request_id);
            xmlw_text(&w, "HostId", req->request_id);
        }
        xmlw_close(&w, "Error");
        xmlw_flush(&w);
    }
    return resp_finish(r) < 0 || xmlw_error(&w) ? -1 : 0;
}
