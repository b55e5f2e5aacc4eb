/* errors.h - the one error enum, mapped in one table (errors.c) to HTTP status,
 * S3 error code and default message. Every failure that reaches a client is one
 * of these; S3E_OK is success. Codes and statuses follow the AWS S3 API reference
 * "Error responses" list; the few s3cgi-specific ones are marked.
 */
#ifndef S3CGI_ERRORS_H
#define S3CGI_ERRORS_H

enum s3_err {
    S3E_OK = 0,
    S3E_ACCESS_DENIED,
    S3E_AUTH_HEADER_MALFORMED,
    S3E_BAD_DIGEST,
    S3E_BUCKET_ALREADY_EXISTS,
    S3E_BUCKET_ALREADY_OWNED,
    S3E_BUCKET_NOT_EMPTY,
    S3E_ENTITY_TOO_LARGE,
    S3E_ENTITY_TOO_SMALL,
    S3E_EXPIRED_REQUEST,          /* AccessDenied "Request has expired" (presigned) */
    S3E_INCOMPLETE_BODY,
    S3E_INTERNAL,
    S3E_INVALID_ACCESS_KEY,
    S3E_INVALID_ARGUMENT,
    S3E_INVALID_BUCKET_NAME,
    S3E_INVALID_DIGEST,
    S3E_INVALID_LOCATION_CONSTRAINT,
    S3E_INVALID_PART,
    S3E_INVALID_PART_ORDER,
    S3E_INVALID_PART_NUMBER,
    S3E_INVALID_RANGE,
    S3E_INVALID_REQUEST,
    S3E_INVALID_URI,
    S3E_KEY_TOO_LONG,
    S3E_KEY_CONFLICT,             /* s3cgi: key's path collides with a file/dir (409) */
    S3E_KEY_UNMAPPABLE,           /* s3cgi: key cannot map to a path (400 InvalidArgument) */
    S3E_MALFORMED_XML,
    S3E_METHOD_NOT_ALLOWED,
    S3E_MISSING_CONTENT_LENGTH,
    S3E_MISSING_REQUEST_BODY,
    S3E_MISSING_SECURITY_HEADER,
    S3E_NOT_MODIFIED,             /* 304, no body */
    S3E_NOT_IMPLEMENTED,
    S3E_NO_SPACE,                 /* s3cgi: 507 InsufficientStorage */
    S3E_NO_SUCH_BUCKET,
    S3E_NO_SUCH_KEY,
    S3E_NO_SUCH_UPLOAD,
    S3E_NO_SUCH_BUCKET_POLICY,
    S3E_NO_SUCH_CORS,
    S3E_NO_SUCH_LIFECYCLE,
    S3E_NO_SUCH_TAG_SET,
    S3E_NO_SUCH_WEBSITE,
    S3E_NO_SUCH_ENCRYPTION,       /* ServerSideEncryptionConfigurationNotFoundError */
    S3E_NO_SUCH_OBJECT_LOCK,      /* ObjectLockConfigurationNotFoundError */
    S3E_NO_SUCH_PUBLIC_ACCESS_BLOCK,
    S3E_PRECONDITION_FAILED,
    S3E_CONDITIONAL_CONFLICT,     /* 409 ConditionalRequestConflict */
    S3E_REQUEST_TIME_SKEWED,
    S3E_REQUEST_TIMEOUT,
    S3E_SIGNATURE_MISMATCH,
    S3E_SHA256_MISMATCH,          /* XAmzContentSHA256Mismatch */
    S3E_INVALID_CHUNK_SIZE,
    S3E_TOO_MANY_BUCKETS,
    S3E_HEADERS_TOO_LARGE,        /* RequestHeaderSectionTooLarge */
    S3E_SERVICE_UNAVAILABLE,
    S3E_METADATA_TOO_LARGE,       /* MetadataTooLarge 400 */
    S3E_MALFORMED_TRAILER,        /* MalformedTrailerError 400 (aws-chunked trailers) */
    S3E__COUNT
};

struct s3_err_info {
    int status;             /* HTTP status */
    const char *reason;     /* HTTP reason phrase */
    const char *code;       /* S3 <Code> */
    const char *message;    /* default <Message> */
};

/* Never NULL; an out-of-range value maps to InternalError. */
const struct s3_err_info *s3_err_info(enum s3_err e);
/* Reason phrase for an HTTP status ("OK", "Partial Content", ...). */
const char *s3_http_reason(int status);

#endif
