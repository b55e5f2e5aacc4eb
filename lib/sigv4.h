/* sigv4.h - pure AWS Signature Version 4 building blocks (no I/O, no clock).
 * Spec: AWS "Signature Version 4 signing process" and "Authenticating Requests (AWS
 * Signature Version 4)" in the S3 API reference. Tested against AWS's published test
 * vectors (tests/unit/test_sigv4.c).
 */
#ifndef S3CGI_SIGV4_H
#define S3CGI_SIGV4_H

#include <stddef.h>
#include "buf.h"

/* As many headers as a request may carry (request.c REQ_MAX_HEADERS): SDKs sign every
 * x-amz-meta-* header, so a PUT with much user metadata signs dozens. */
#define SIGV4_MAX_SIGNED_HEADERS 256

/* The parsed "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b;c, Signature=hex" header. Pointers index into the input. */
struct sigv4_authz {
    const char *access_key; size_t access_key_len;
    const char *date; size_t date_len;         /* YYYYMMDD */
    const char *region; size_t region_len;
    const char *service; size_t service_len;
    const char *signed_headers; size_t signed_headers_len;  /* "host;x-amz-date" */
    const char *signature; size_t signature_len;            /* 64 hex */
    const char *terminator; size_t terminator_len;          /* "aws4_request" when well-formed */
};

/* Returns 0 or -1 (malformed). Accepts components in any order, separated by ','
 * with optional spaces; each of Credential, SignedHeaders, Signature exactly once.
 * Checks the shapes only (5 credential parts, signed-header token syntax, 64 hex
 * signature); the values (date, region, service, terminator) are the caller's. */
int sigv4_parse_authorization(const char *hdr, size_t len, struct sigv4_authz *out);

/* kSigning = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request". */
void sigv4_signing_key(const char *secret, const char *date, size_t date_len,
                       const char *region, size_t region_len,
                       const char *service, size_t service_len, unsigned char out[32]);

/* Canonical URI from the raw (still encoded) path: decode once, re-encode each
 * segment with UriEncode keeping '/'. Returns 0 or -1 (bad escape / buffer). */
int sigv4_canonical_uri(struct buf *out, const char *raw_path, size_t len);
/* Canonical query string from the raw query: decode, re-encode names and values,
 * sort by name then value, "name=" for empty values; skips X-Amz-Signature when
 * drop_signature. Returns 0 or -1. */
int sigv4_canonical_query(struct buf *out, const char *raw_query, size_t len, int drop_signature);

/* hex(SHA256(data)) into out[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* hex(HMAC-SHA256(key, data)) into out[65]. */
void sigv4_hmac_hex(const unsigned char key[32], const void *data, size_t len, char out[65]);

/* ---- additions: the rest of the signing process, also pure ---- */

/* Upper bound for a canonical request or string to sign built by this module. */
#define SIGV4_MAX_CANONICAL (4u << 20)

/* Splits "AK/YYYYMMDD/REGION/SERVICE/TERMINATOR" (already percent-decoded) into the
 * access_key, date, region, service and terminator fields of out (others untouched).
 * Every part must be non-empty; 0 or -1. */
int sigv4_parse_credential(const char *s, size_t len, struct sigv4_authz *out);
/* 1 when s is a non-empty ';'-separated list of at most SIGV4_MAX_SIGNED_HEADERS
 * HTTP token names with no empty entry. */
int sigv4_signed_headers_valid(const char *s, size_t len);
/* 1 when name (any case) is one of the entries of the ';' list. */
int sigv4_signed_headers_has(const char *list, size_t len, const char *name, size_t name_len);
/* 1 when s is exactly 64 hex digits (either case). */
int sigv4_is_hex64(const char *s, size_t len);

/* One request header as the signer sees it; name compared case-insensitively. */
struct sigv4_header {
    const char *name; size_t name_len;
    const char *value; size_t value_len;
};

/* Everything the canonical request is built from. Pointers are borrowed. */
struct sigv4_request {
    const char *method; size_t method_len;
    const char *raw_path; size_t raw_path_len;      /* still percent-encoded */
    const char *raw_query; size_t raw_query_len;    /* after '?', still encoded */
    int drop_signature;                             /* presigned: skip X-Amz-Signature */
    const struct sigv4_header *headers; size_t nheaders;  /* all request headers */
    const char *signed_headers; size_t signed_headers_len;
    const char *payload_hash; size_t payload_hash_len;   /* the last line, verbatim */
};

/* Appends a header value trimmed of leading/trailing white space with every inner
 * run of SP/HTAB/CR/LF collapsed to one SP (SigV4 "Trimall"). 0 or -1. */
int sigv4_header_value(struct buf *out, const char *v, size_t len);
/* Appends "name:value\n" for each signed header, in the order of the signed list;
 * several request headers of one name are joined with ','; an absent header gives
 * an empty value. 0 or -1. */
int sigv4_canonical_headers(struct buf *out, const struct sigv4_request *r);
/* Appends the whole canonical request (method, URI, query, headers, signed headers,
 * payload hash; '\n'-separated). 0 or -1 (bad escape in path/query, or out failed). */
int sigv4_canonical_request(struct buf *out, const struct sigv4_request *r);
/* Appends "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of creq>". 0 or -1. */
int sigv4_string_to_sign(struct buf *out, const char *amz_date, const char *scope,
                         size_t scope_len, const char *creq, size_t creq_len);
/* Hex signature of r for amz_date (YYYYMMDDTHHMMSSZ) and scope
 * (date/region/service/aws4_request) under signing key key. 0 or -1. */
int sigv4_signature(const struct sigv4_request *r, const char *amz_date,
                    const char *scope, size_t scope_len, const unsigned char key[32],
                    char out[65]);

#endif
