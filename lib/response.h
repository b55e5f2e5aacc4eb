/* response.h - the response writer: status and headers strictly before the body
 * (CGI "Status:" form, which FastCGI shares), then a buffered body.
 *
 * States: HEADERS (status/header calls allowed) -> BODY (resp_write) -> DONE.
 * Errors are sticky: once a write to the client fails every later call fails, and
 * the caller checks once at the end. An error discovered after the body started
 * cannot be reported to the client: it is logged and the response cut short
 * (GUIDE 6.8).
 */
#ifndef S3CGI_RESPONSE_H
#define S3CGI_RESPONSE_H

#include <stddef.h>
#include "buf.h"
#include "errors.h"
#include "io.h"

struct s3_request;

enum resp_state { RESP_HEADERS = 0, RESP_BODY, RESP_DONE };

struct s3_resp {
    const struct s3_io *io;
    int status;
    enum resp_state state;
    int err;                    /* sticky: a write failed */
    int head_only;              /* HEAD: headers only, body bytes are dropped */
    struct buf hdrs;            /* header lines being built (capped) */
    size_t outlen;
    char out[16384];
};

void resp_init(struct s3_resp *r, const struct s3_io *io, int head_only);
void resp_free(struct s3_resp *r);
void resp_status(struct s3_resp *r, int status);
/* Adds "Name: value". A name that is not an HTTP token or a value carrying CR or LF
 * is dropped (and logged). */
void resp_header(struct s3_resp *r, const char *name, const char *value);
void resp_headerf(struct s3_resp *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends the status line and headers. Idempotent. 0 ok, -1 error. */
int resp_start(struct s3_resp *r);
/* Body bytes (starts the response if needed). 0 ok, -1 error. */
int resp_write(struct s3_resp *r, const void *data, size_t len);
/* Flushes and ends the response. 0 ok, -1 error. */
int resp_finish(struct s3_resp *r);
/* Sink for xmlw (ctx = struct s3_resp *). */
int resp_xml_sink(void *ctx, const char *data, size_t len);

/* Writes a complete S3 error response (status, XML body with Code, Message,
 * Resource, RequestId) for e; message NULL uses the table's. If the body has
 * already started, logs and marks the response failed instead. */
int resp_error(struct s3_resp *r, const struct s3_request *req, enum s3_err e, const char *message);

#endif
