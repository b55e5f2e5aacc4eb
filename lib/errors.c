/* errors.c - the one table from enum s3_err to HTTP status, S3 code and message.
 *
 * Statuses, codes and messages follow the AWS S3 API reference, "Error responses",
 * section "List of error codes" (docs.aws.amazon.com/AmazonS3/latest/API/
 * ErrorResponses.html#ErrorCodeList). Where S3 answers with a message that differs
 * from the list's description (InvalidRange, AccessDenied for an expired presigned
 * URL), the message S3 sends on the wire is used, since clients log it verbatim.
 * Entries marked "s3cgi" have no S3 counterpart.
 *
 * The table is indexed by the enum with designated initialisers: a value without
 * an entry has code == NULL, which s3_err_info maps to InternalError and which the
 * unit test that walks every value catches.
 */
#include "errors.h"

#include <stddef.h>

#define E(id, st, rs, cd, msg) [id] = { st, rs, cd, msg }

static const struct s3_err_info err_table[S3E__COUNT] = {
    E(S3E_OK, 200, "OK", "OK", "OK"),
    E(S3E_ACCESS_DENIED, 403, "Forbidden", "AccessDenied", "Access Denied"),
    E(S3E_AUTH_HEADER_MALFORMED, 400, "Bad Request", "AuthorizationHeaderMalformed",
      "The authorization header you provided is not valid."),
    E(S3E_BAD_DIGEST, 400, "Bad Request", "BadDigest",
      "The Content-MD5 you specified did not match what we received."),
    E(S3E_BUCKET_ALREADY_EXISTS, 409, "Conflict", "BucketAlreadyExists",
      "The requested bucket name is not available. The bucket namespace is shared by "
      "all users of the system. Please select a different name and try again."),
    E(S3E_BUCKET_ALREADY_OWNED, 409, "Conflict", "BucketAlreadyOwnedByYou",
      "Your previous request to create the named bucket succeeded and you already own it."),
    E(S3E_BUCKET_NOT_EMPTY, 409, "Conflict", "BucketNotEmpty",
      "The bucket you tried to delete is not empty."),
    E(S3E_ENTITY_TOO_LARGE, 400, "Bad Request", "EntityTooLarge",
      "Your proposed upload exceeds the maximum allowed object size."),
    E(S3E_ENTITY_TOO_SMALL, 400, "Bad Request", "EntityTooSmall",
      "Your proposed upload is smaller than the minimum allowed object size."),
    E(S3E_EXPIRED_REQUEST, 403, "Forbidden", "AccessDenied", "Request has expired"),
    E(S3E_INCOMPLETE_BODY, 400, "Bad Request", "IncompleteBody",
      "You did not provide the number of bytes specified by the Content-Length HTTP header."),
    E(S3E_INTERNAL, 500, "Internal Server Error", "InternalError",
      "We encountered an internal error. Please try again."),
    E(S3E_INVALID_ACCESS_KEY, 403, "Forbidden", "InvalidAccessKeyId",
      "The AWS access key ID you provided does not exist in our records."),
    E(S3E_INVALID_ARGUMENT, 400, "Bad Request", "InvalidArgument", "Invalid Argument"),
    E(S3E_INVALID_BUCKET_NAME, 400, "Bad Request", "InvalidBucketName",
      "The specified bucket is not valid."),
    E(S3E_INVALID_DIGEST, 400, "Bad Request", "InvalidDigest",
      "The Content-MD5 you specified is not valid."),
    E(S3E_INVALID_LOCATION_CONSTRAINT, 400, "Bad Request", "InvalidLocationConstraint",
      "The specified location constraint is not valid."),
    E(S3E_INVALID_PART, 400, "Bad Request", "InvalidPart",
      "One or more of the specified parts could not be found. The part might not have "
      "been uploaded, or the specified entity tag might not have matched the part's "
      "entity tag."),
    E(S3E_INVALID_PART_ORDER, 400, "Bad Request", "InvalidPartOrder",
      "The list of parts was not in ascending order. The parts list must be specified "
      "in order by part number."),
    E(S3E_INVALID_PART_NUMBER, 416, "Requested Range Not Satisfiable", "InvalidPartNumber",
      "The requested partnumber is not satisfiable"),
    E(S3E_INVALID_RANGE, 416, "Requested Range Not Satisfiable", "InvalidRange",
      "The requested range is not satisfiable"),
    E(S3E_INVALID_REQUEST, 400, "Bad Request", "InvalidRequest", "Invalid Request"),
    E(S3E_INVALID_URI, 400, "Bad Request", "InvalidURI", "Couldn't parse the specified URI."),
    E(S3E_KEY_TOO_LONG, 400, "Bad Request", "KeyTooLongError", "Your key is too long."),
    /* s3cgi: a key whose path runs through an existing file ("a" is an object, "a/b"
     * is asked for), or names an existing directory that is not a directory object. */
    E(S3E_KEY_CONFLICT, 409, "Conflict", "ObjectNameConflict",
      "The object key conflicts with an existing object: a parent path is an object, "
      "or the key names a directory."),
    /* s3cgi: keys that cannot map onto a path beneath the bucket (GUIDE 3). */
    E(S3E_KEY_UNMAPPABLE, 400, "Bad Request", "InvalidArgument",
      "Object key cannot be stored: empty, '.' or '..' segments, a leading '/', NUL or "
      "reserved names are not supported."),
    E(S3E_MALFORMED_XML, 400, "Bad Request", "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our "
      "published schema."),
    E(S3E_METHOD_NOT_ALLOWED, 405, "Method Not Allowed", "MethodNotAllowed",
      "The specified method is not allowed against this resource."),
    E(S3E_MISSING_CONTENT_LENGTH, 411, "Length Required", "MissingContentLength",
      "You must provide the Content-Length HTTP header."),
    E(S3E_MISSING_REQUEST_BODY, 400, "Bad Request", "MissingRequestBodyError",
      "Request Body is empty"),
    E(S3E_MISSING_SECURITY_HEADER, 400, "Bad Request", "MissingSecurityHeader",
      "Your request is missing a required header."),
    /* 304 carries no body (RFC 7232 4.1); code and message only reach the log. */
    E(S3E_NOT_MODIFIED, 304, "Not Modified", "NotModified", "Not Modified"),
    E(S3E_NOT_IMPLEMENTED, 501, "Not Implemented", "NotImplemented",
      "A header you provided implies functionality that is not implemented."),
    /* s3cgi: ENOSPC/EDQUOT on the data root (RFC 4918 11.5). */
    E(S3E_NO_SPACE, 507, "Insufficient Storage", "InsufficientStorage",
      "The server's storage is full."),
    E(S3E_NO_SUCH_BUCKET, 404, "Not Found", "NoSuchBucket", "The specified bucket does not exist."),
    E(S3E_NO_SUCH_KEY, 404, "Not Found", "NoSuchKey", "The specified key does not exist."),
    E(S3E_NO_SUCH_UPLOAD, 404, "Not Found", "NoSuchUpload",
      "The specified upload does not exist. The upload ID may be invalid, or the upload "
      "may have been aborted or completed."),
    E(S3E_NO_SUCH_BUCKET_POLICY, 404, "Not Found", "NoSuchBucketPolicy",
      "The bucket policy does not exist"),
    E(S3E_NO_SUCH_CORS, 404, "Not Found", "NoSuchCORSConfiguration",
      "The CORS configuration does not exist"),
    E(S3E_NO_SUCH_LIFECYCLE, 404, "Not Found", "NoSuchLifecycleConfiguration",
      "The lifecycle configuration does not exist"),
    E(S3E_NO_SUCH_TAG_SET, 404, "Not Found", "NoSuchTagSet", "The TagSet does not exist"),
    E(S3E_NO_SUCH_WEBSITE, 404, "Not Found", "NoSuchWebsiteConfiguration",
      "The specified bucket does not have a website configuration"),
    E(S3E_NO_SUCH_ENCRYPTION, 404, "Not Found", "ServerSideEncryptionConfigurationNotFoundError",
      "The server side encryption configuration was not found"),
    E(S3E_NO_SUCH_OBJECT_LOCK, 404, "Not Found", "ObjectLockConfigurationNotFoundError",
      "Object Lock configuration does not exist for this bucket"),
    E(S3E_NO_SUCH_PUBLIC_ACCESS_BLOCK, 404, "Not Found", "NoSuchPublicAccessBlockConfiguration",
      "The public access block configuration was not found"),
    E(S3E_PRECONDITION_FAILED, 412, "Precondition Failed", "PreconditionFailed",
      "At least one of the pre-conditions you specified did not hold"),
    E(S3E_CONDITIONAL_CONFLICT, 409, "Conflict", "ConditionalRequestConflict",
      "The conditional request cannot succeed due to a conflicting operation against "
      "this resource."),
    E(S3E_REQUEST_TIME_SKEWED, 403, "Forbidden", "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large."),
    E(S3E_REQUEST_TIMEOUT, 400, "Bad Request", "RequestTimeout",
      "Your socket connection to the server was not read from or written to within "
      "the timeout period."),
    E(S3E_SIGNATURE_MISMATCH, 403, "Forbidden", "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. "
      "Check your key and signing method."),
    E(S3E_SHA256_MISMATCH, 400, "Bad Request", "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed."),
    E(S3E_INVALID_CHUNK_SIZE, 400, "Bad Request", "InvalidChunkSizeError",
      "Only the last chunk is allowed to have a size less than 8192 bytes"),
    E(S3E_TOO_MANY_BUCKETS, 400, "Bad Request", "TooManyBuckets",
      "You have attempted to create more buckets than allowed"),
    E(S3E_HEADERS_TOO_LARGE, 400, "Bad Request", "RequestHeaderSectionTooLarge",
      "Your request header section exceeds the maximum allowed size."),
    E(S3E_SERVICE_UNAVAILABLE, 503, "Service Unavailable", "ServiceUnavailable",
      "Service is unable to handle request."),
    E(S3E_METADATA_TOO_LARGE, 400, "Bad Request", "MetadataTooLarge",
      "Your metadata headers exceed the maximum allowed metadata size."),
    E(S3E_MALFORMED_TRAILER, 400, "Bad Request", "MalformedTrailerError",
      "The request contained trailing data that was not well-formed or did not conform "
      "to our published schema."),
};

#undef E

const struct s3_err_info *s3_err_info(enum s3_err e)
{
    if ((int)e < 0 || (int)e >= S3E__COUNT || err_table[e].code == NULL)
        return &err_table[S3E_INTERNAL];
    return &err_table[e];
}

/* RFC 9110 section 15 reason phrases, plus 507 (RFC 4918 11.5). */
struct reason { int status; const char *text; };

static const struct reason reasons[] = {
    { 100, "Continue" },
    { 200, "OK" },
    { 201, "Created" },
    { 202, "Accepted" },
    { 204, "No Content" },
    { 206, "Partial Content" },
    { 301, "Moved Permanently" },
    { 302, "Found" },
    { 304, "Not Modified" },
    { 307, "Temporary Redirect" },
    { 400, "Bad Request" },
    { 401, "Unauthorized" },
    { 403, "Forbidden" },
    { 404, "Not Found" },
    { 405, "Method Not Allowed" },
    { 408, "Request Timeout" },
    { 409, "Conflict" },
    { 411, "Length Required" },
    { 412, "Precondition Failed" },
    { 413, "Content Too Large" },
    { 414, "URI Too Long" },
    { 415, "Unsupported Media Type" },
    { 416, "Requested Range Not Satisfiable" },
    { 422, "Unprocessable Content" },
    { 431, "Request Header Fields Too Large" },
    { 500, "Internal Server Error" },
    { 501, "Not Implemented" },
    { 502, "Bad Gateway" },
    { 503, "Service Unavailable" },
    { 504, "Gateway Timeout" },
    { 507, "Insufficient Storage" },
};

const char *s3_http_reason(int status)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].text;
    /* Unknown: the class name keeps the status line well-formed (RFC 9110 15). */
    switch (status / 100) {
    case 1: return "Informational";
    case 2: return "Success";
    case 3: return "Redirection";
    case 4: return "Client Error";
    default: return "Server Error";
    }
}
