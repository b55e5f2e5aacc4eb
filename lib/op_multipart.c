/* op_multipart.c - multipart uploads (placeholder until implemented). */
#include "ops.h"

enum s3_err op_create_multipart(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
enum s3_err op_upload_part(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
enum s3_err op_complete_multipart(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
enum s3_err op_abort_multipart(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
enum s3_err op_list_parts(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
enum s3_err op_list_multipart_uploads(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
