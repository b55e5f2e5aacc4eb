/* op_delete.c - DeleteObjects (placeholder until implemented). */
#include "ops.h"

enum s3_err op_delete_objects(struct s3_ctx *c) { (void)c; return S3E_NOT_IMPLEMENTED; }
