/* range.h - the HTTP Range header as S3 applies it (RFC 7233 byte ranges, one range). */
#ifndef S3CGI_RANGE_H
#define S3CGI_RANGE_H

#include <stddef.h>

struct s3_range { long long start, end; };  /* inclusive byte positions */

enum range_result {
    RANGE_NONE = 0,         /* no usable range: serve the whole object with 200 */
    RANGE_OK,               /* *out set: serve 206 with Content-Range */
    RANGE_UNSATISFIABLE,    /* 416 InvalidRange */
};

/* Parses hdr (len bytes) for an object of size bytes. Forms: bytes=a-b, bytes=a-,
 * bytes=-n. Syntactically invalid headers and multiple ranges are ignored
 * (RANGE_NONE), as S3 does, and so is a spec whose last position is before its
 * first ("bytes=5-2"). A first-byte position at or past the end (on an empty object
 * too), or a suffix of 0, is RANGE_UNSATISFIABLE; a non-zero suffix on an empty
 * object is RANGE_NONE (S3 answers 200 with no body). end is clamped to size-1.
 * *out is written only for RANGE_OK. Sources are cited in range.c. */
enum range_result s3_range_parse(const char *hdr, size_t len, long long size,
                                 struct s3_range *out);

#endif
