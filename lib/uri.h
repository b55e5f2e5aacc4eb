/* uri.h - percent-decoding and encoding (RFC 3986; AWS SigV4 "UriEncode"). */
#ifndef S3CGI_URI_H
#define S3CGI_URI_H

#include <stddef.h>
#include "buf.h"

/* Decodes %XX sequences of in[0..len) into out (which must hold len+1 bytes); '+' is
 * kept as '+' (S3 paths and SigV4 do not treat '+' as space). Returns the decoded
 * length, or -1 on a malformed escape. Output is NUL-terminated; may contain NUL
 * bytes (the caller rejects those where they matter). */
long uri_decode(const char *in, size_t len, char *out);
/* Appends the AWS UriEncode of in: unreserved A-Za-z0-9-_.~ kept, everything else
 * as %XX uppercase; '/' kept when keep_slash. Returns 0, -1 when b failed. */
int uri_encode(struct buf *b, const char *in, size_t len, int keep_slash);

#endif
