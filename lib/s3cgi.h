/* s3cgi.h - the core's entry points, used by the fronts (cgi/, fcgi/) and tests. */
#ifndef S3CGI_S3CGI_H
#define S3CGI_S3CGI_H

#include "config.h"
#include "io.h"

/* Serves one S3 request read from io against cfg: parse, authenticate, dispatch,
 * answer (headers, then a streamed body) through io->write. All memory the request
 * needs is released before returning. Returns 0 when a complete response was
 * written, -1 when the client went away or the response had to be cut short (the
 * front should then drop the connection). */
int s3_handle(const struct s3_config *cfg, const struct s3_io *io);

/* Answers 500 InternalError for a request that arrived while the configuration is
 * unusable, and logs why (one line). Returns as s3_handle. */
int s3_handle_config_error(const struct s3_io *io, const char *why);

#endif
