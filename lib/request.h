/* request.h - a parsed S3 request. Built by s3_request_parse from the CGI variables
 * alone (no body I/O); every string lives in the request's arena.
 */
#ifndef S3CGI_REQUEST_H
#define S3CGI_REQUEST_H

#include <stddef.h>
#include <time.h>
#include "arena.h"
#include "errors.h"
#include "io.h"

struct s3_config;

enum s3_method { M_OTHER = 0, M_GET, M_HEAD, M_PUT, M_POST, M_DELETE, M_OPTIONS };

struct s3_header {          /* one request header, rebuilt from HTTP_* / CONTENT_* */
    char *name;             /* lowercase, '-' separated ("x-amz-date") */
    char *value;            /* as the web server passed it (untrimmed) */
};

struct s3_qparam {          /* one query parameter */
    char *name;             /* percent-decoded */
    char *value;            /* percent-decoded; "" when absent ("?acl") */
    int has_value;          /* 1 when '=' was present */
};

/* How the payload is to be verified, from x-amz-content-sha256. */
enum s3_payload_mode {
    PAYLOAD_NONE_GIVEN = 0,         /* header absent: hash of actual payload must match signature's */
    PAYLOAD_SHA256,                 /* hex digest given in payload_sha256 */
    PAYLOAD_UNSIGNED,               /* UNSIGNED-PAYLOAD */
    PAYLOAD_STREAMING_SIGNED,       /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    PAYLOAD_STREAMING_UNSIGNED_TRAILER,
    PAYLOAD_STREAMING_SIGNED_TRAILER,
};

/* Filled by auth (auth.c) once the request is authenticated. */
struct s3_auth_result {
    const struct s3_credential *cred;   /* NULL for anonymous */
    unsigned char signing_key[32];      /* kept for aws-chunked chunk signatures */
    char seed_signature[65];            /* header/query signature, hex */
    char amz_date[17];                  /* YYYYMMDDTHHMMSSZ */
    char scope[128];                    /* date/region/s3/aws4_request */
    int presigned;
    int deferred;                       /* payload hash to be checked by s3_auth_finish (set by s3cgi.c) */
};

struct s3_request {
    struct arena *arena;
    const struct s3_io *io;
    const struct s3_config *cfg;
    time_t now;                         /* request time (server clock) */
    char request_id[17];                /* 16 hex chars, unique per request */

    enum s3_method method;
    char *method_str;                   /* REQUEST_METHOD as given */
    char *raw_uri;                      /* REQUEST_URI as given (path?query, still encoded) */
    char *raw_path;                     /* REQUEST_URI up to '?', still encoded, with prefix */
    size_t raw_path_len;
    char *raw_query;                    /* after '?', still encoded; "" when none */
    size_t raw_query_len;

    char *host;                         /* Host header, or NULL */
    char *bucket;                       /* decoded bucket name, NULL for the service */
    char *key;                          /* decoded object key, NULL when bucket-level */
    size_t key_len;

    struct s3_header *headers;          /* in arrival order */
    size_t nheaders;
    struct s3_qparam *query;            /* in arrival order */
    size_t nquery;

    long long content_length;           /* CONTENT_LENGTH, -1 when absent */
    long long decoded_length;           /* x-amz-decoded-content-length, -1 when absent */
    enum s3_payload_mode payload_mode;
    char payload_sha256[65];            /* lowercase hex when PAYLOAD_SHA256 */

    struct s3_auth_result auth;
};

/* Parses the CGI variables of io into *req (allocating from a). On failure returns
 * the S3 error (InvalidURI, RequestHeaderSectionTooLarge, InvalidArgument, ...);
 * req is then still usable for writing the error (request_id set). */
enum s3_err s3_request_parse(struct s3_request *req, struct arena *a,
                             const struct s3_io *io, const struct s3_config *cfg,
                             time_t now);

/* First header named name (lowercase), or NULL. */
const char *s3_req_header(const struct s3_request *req, const char *name);
/* Query parameter by exact name: its s3_qparam, or NULL. */
const struct s3_qparam *s3_req_qparam(const struct s3_request *req, const char *name);
/* Query parameter value, or NULL when absent. */
const char *s3_req_query(const struct s3_request *req, const char *name);

#endif
