/* util.h - small pure helpers: hex, base64, constant-time compare, numbers, time text. */
#ifndef S3CGI_UTIL_H
#define S3CGI_UTIL_H

#include <stddef.h>
#include <time.h>

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* Decodes exactly 2n hex chars (either case) into n bytes. 0 ok, -1 bad input. */
int hex_decode(const char *in, size_t inlen, unsigned char *out, size_t n);
/* Standard base64 with padding. out needs 4*((n+2)/3)+1 bytes. Returns length. */
size_t base64_encode(const unsigned char *in, size_t n, char *out);
/* Decodes standard base64 (padding required, no whitespace). Returns decoded length
 * or -1 on bad input or when the result would exceed outcap. */
long base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap);
/* 1 when equal; time depends only on n. */
int ct_memeq(const void *a, const void *b, size_t n);
/* Parses a whole decimal non-negative integer (no sign, no spaces) <= max. 0 ok, -1 bad. */
int parse_u64(const char *s, size_t len, unsigned long long max, unsigned long long *out);
/* 1 when s (len bytes) is valid UTF-8 with no overlong forms or surrogates. */
int utf8_valid(const char *s, size_t len);

/* 1 when s (len bytes, len > 0) is an HTTP token (RFC 9110 5.6.2 tchar: letters,
 * digits and !#$%&'*+-.^_`|~), the form every header name must have. */
int http_token_valid(const char *s, size_t len);
/* Writes all n bytes to fd, retrying short writes and EINTR. 0, or -1 with errno. */
int write_all(int fd, const void *p, size_t n);

/* "Sun, 06 Nov 1994 08:49:37 GMT" (30 bytes incl. NUL). */
void time_http(time_t t, char out[30]);
/* "2009-10-12T17:50:30.000Z" (25 bytes incl. NUL). */
void time_iso8601(time_t t, char out[25]);
/* As time_iso8601 with the milliseconds of ts ("...:30.527Z"). */
void time_iso8601_ms(const struct timespec *ts, char out[25]);
/* Parses IMF-fixdate, RFC 850 and asctime forms (RFC 7231 7.1.1.1). 0 ok, -1 bad. */
int time_parse_http(const char *s, size_t len, time_t *out);
/* Parses "YYYYMMDDTHHMMSSZ" (x-amz-date). 0 ok, -1 bad. */
int time_parse_amz(const char *s, size_t len, time_t *out);
/* Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff]Z". 0 ok, -1 bad. */
int time_parse_iso8601(const char *s, size_t len, time_t *out);

#endif
