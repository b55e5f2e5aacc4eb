/* op_copy.c - CopyObject (placeholder until implemented). */
#include "ops.h"

enum s3_err op_copy_object(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
