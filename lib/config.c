/* config.c - loading the immutable configuration (format documented in config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


#include "hash.h"
#include "store.h"
#include "util.h"

#ifndef S3CGI_DEFAULT_CONFIG
#define S3CGI_DEFAULT_CONFIG "/etc/s3cgi/s3cgi.conf"
#endif

#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_CREDS 4096

static int cfg_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cfg_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int set_str(char **slot, const char *v)
{
    char *d = strdup(v);
    if (!d)
        return -1;
    free(*slot);
    *slot = d;
    return 0;
}

/* 1 when id is a valid owner id: 1..S3_OWNER_ID_MAX of [A-Za-z0-9._-]. */
static int valid_owner_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > S3_OWNER_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("._-", id[i]))
            return 0;
    return 1;
}

/* Adds "BUCKET:ro" / "BUCKET:rw" to c->grants. NULL, or why it is refused. */
static const char *add_grant(struct s3_credential *c, const char *v)
{
    const char *colon = strrchr(v, ':');
    if (!colon || (strcmp(colon, ":ro") != 0 && strcmp(colon, ":rw") != 0))
        return "grant= must be BUCKET:ro or BUCKET:rw";
    char *bucket = strndup(v, (size_t)(colon - v));
    if (!bucket)
        return "out of memory";
    if (s3_bucket_name_check(bucket) != S3E_OK) {
        free(bucket);
        return "grant= names an invalid bucket";
    }
    struct s3_grant *g = realloc(c->grants, (c->ngrants + 1) * sizeof *g);
    if (!g) {
        free(bucket);
        return "out of memory";
    }
    c->grants = g;
    g[c->ngrants].bucket = bucket;
    g[c->ngrants].write = colon[2] == 'w';
    c->ngrants++;
    return NULL;
}

/* Hex SHA-256 of the access key: the default owner id. */
static char *default_owner_id(const char *ak)
{
    unsigned char md[HASH_SHA256_LEN];
    char *id = malloc(65);
    if (!id)
        return NULL;
    hash_once(HASH_SHA256, ak, strlen(ak), md);
    hex_encode(md, 32, id);
    return id;
}

/* One credentials line (format in config.h) into *c, which is zeroed first and safe
 * to free_cred whatever happens. NULL, or why the line is refused (static). */
static const char *parse_cred_line(struct s3_credential *c, char *line)
{
    char *save = NULL;
    memset(c, 0, sizeof *c);
    char *ak = strtok_r(line, " \t", &save);
    char *sk = strtok_r(NULL, " \t", &save);
    if (!ak || !sk)
        return "expected \"ACCESS_KEY SECRET_KEY [options]\"";
    if (!(c->access_key = strdup(ak)) || !(c->secret_key = strdup(sk)))
        return "out of memory";
    for (char *opt; (opt = strtok_r(NULL, " \t", &save));) {
        const char *why = NULL;
        if (!strncmp(opt, "name=", 5)) {
            free(c->display_name);
            if (!(c->display_name = strdup(opt + 5)))
                why = "out of memory";
        } else if (!strncmp(opt, "id=", 3)) {
            free(c->id);
            c->id = NULL;
            if (!valid_owner_id(opt + 3))
                why = "id= must be 1-64 characters of A-Z a-z 0-9 . _ -";
            else if (!(c->id = strdup(opt + 3)))
                why = "out of memory";
        } else if (!strncmp(opt, "grant=", 6)) {
            why = add_grant(c, opt + 6);
        } else if (!strcmp(opt, "admin")) {
            c->admin = 1;
        } else if (!strcmp(opt, "read-only")) {
            c->read_only = 1;
        } else {
            why = "unknown option (expected name=, id=, grant=, admin or read-only)";
        }
        if (why)
            return why;
    }
    if (!c->display_name && !(c->display_name = strdup(ak)))
        return "out of memory";
    if (!c->id && !(c->id = default_owner_id(ak)))
        return "out of memory";
    return NULL;
}

static void free_cred(struct s3_credential *c)
{
    free(c->access_key);
    if (c->secret_key)
        explicit_bzero(c->secret_key, strlen(c->secret_key));
    free(c->secret_key);
    free(c->display_name);
    free(c->id);
    for (size_t i = 0; i < c->ngrants; i++)
        free(c->grants[i].bucket);
    free(c->grants);
    memset(c, 0, sizeof *c);
}

static int load_credentials(struct s3_config *cfg, char *err, size_t errlen)
{
    FILE *f = fopen(cfg->credentials_path, "re");
    if (!f)
        return cfg_fail(err, errlen, "cannot open credentials file %s: %s",
                        cfg->credentials_path, strerror(errno));
    char line[CONFIG_MAX_LINE];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        if (cfg->ncreds == CONFIG_MAX_CREDS) {
            rc = cfg_fail(err, errlen, "%s: more than %d credentials", cfg->credentials_path,
                          CONFIG_MAX_CREDS);
            break;
        }
        struct s3_credential *n = realloc(cfg->creds, (cfg->ncreds + 1) * sizeof *n);
        if (!n) {
            rc = cfg_fail(err, errlen, "out of memory");
            break;
        }
        cfg->creds = n;
        const char *why = parse_cred_line(&cfg->creds[cfg->ncreds], s);
        if (why) {
            free_cred(&cfg->creds[cfg->ncreds]);
            rc = cfg_fail(err, errlen, "%s:%d: %s", cfg->credentials_path, lineno, why);
            break;
        }
        cfg->ncreds++;
    }
    explicit_bzero(line, sizeof line);
    fclose(f);
    if (rc == 0 && cfg->ncreds == 0 && !cfg->anonymous_full)
        rc = cfg_fail(err, errlen, "%s: no credentials", cfg->credentials_path);
    return rc;
}

/* Applies one "key = value" setting. */
static int apply(struct s3_config *cfg, const char *k, const char *v, char *err, size_t errlen,
                 int lineno)
{
    int b;
    if (!strcmp(k, "root"))
        return set_str(&cfg->root, v);
    if (!strcmp(k, "credentials"))
        return set_str(&cfg->credentials_path, v);
    if (!strcmp(k, "region"))
        return set_str(&cfg->region, v);
    if (!strcmp(k, "prefix"))
        return set_str(&cfg->prefix, v);
    if (!strcmp(k, "fsync")) {
        if (parse_bool(v, &b) < 0)
            return cfg_fail(err, errlen, "%s:%d: fsync must be on or off", cfg->path, lineno);
        cfg->fsync = b;
        return 0;
    }
    if (!strcmp(k, "sigv2")) {
        if (parse_bool(v, &b) < 0)
            return cfg_fail(err, errlen, "%s:%d: sigv2 must be on or off", cfg->path, lineno);
        cfg->sigv2 = b;
        return 0;
    }
    if (!strcmp(k, "sendfile")) {
        if (!strcmp(v, "off"))
            cfg->sendfile = S3_SENDFILE_OFF;
        else if (!strcmp(v, "x-sendfile"))
            cfg->sendfile = S3_SENDFILE_X;
        else if (!strcmp(v, "x-accel-redirect"))
            cfg->sendfile = S3_SENDFILE_ACCEL;
        else if (!strcmp(v, "mod_xsendfile"))
            cfg->sendfile = S3_SENDFILE_APACHE;
        else
            return cfg_fail(err, errlen,
                            "%s:%d: sendfile must be off, x-sendfile, x-accel-redirect or mod_xsendfile",
                            cfg->path, lineno);
        return 0;
    }
    if (!strcmp(k, "anonymous")) {
        if (!strcmp(v, "full"))
            cfg->anonymous_full = 1;
        else if (!strcmp(v, "off"))
            cfg->anonymous_full = 0;
        else
            return cfg_fail(err, errlen, "%s:%d: anonymous must be off or full", cfg->path, lineno);
        return 0;
    }
    if (!strcmp(k, "mp_max_age")) {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 60 || n > 10L * 366 * 86400)
            return cfg_fail(err, errlen, "%s:%d: mp_max_age must be seconds, 60 to 10 years",
                            cfg->path, lineno);
        cfg->mp_max_age = n;
        return 0;
    }
    if (!strcmp(k, "max_skew") || !strcmp(k, "log_level")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 0 || n > 86400 * 7)
            return cfg_fail(err, errlen, "%s:%d: %s must be a number", cfg->path, lineno, k);
        if (!strcmp(k, "max_skew"))
            cfg->max_skew = (int)n;
        else
            cfg->log_level = (int)n;
        return 0;
    }
    if (!strcmp(k, "domain")) {
        if (cfg->ndomains == S3_MAX_DOMAINS)
            return cfg_fail(err, errlen, "%s:%d: at most %d domains", cfg->path, lineno, S3_MAX_DOMAINS);
        cfg->domains[cfg->ndomains] = strdup(v);
        return cfg->domains[cfg->ndomains++] ? 0 : -1;
    }
    return cfg_fail(err, errlen, "%s:%d: unknown setting \"%s\"", cfg->path, lineno, k);
}

static int parse_file(struct s3_config *cfg, FILE *f, char *err, size_t errlen)
{
    char line[CONFIG_MAX_LINE];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            return cfg_fail(err, errlen, "%s:%d: expected \"key = value\"", cfg->path, lineno);
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        err[0] = '\0';
        if (apply(cfg, k, v, err, errlen, lineno) < 0)
            return err[0] ? -1 : cfg_fail(err, errlen, "out of memory");
    }
    return 0;
}

/* Normalises the prefix to "" or "/x/y" (leading '/', no trailing '/'). */
static int normalise_prefix(struct s3_config *cfg, char *err, size_t errlen)
{
    char *p = cfg->prefix ? cfg->prefix : "";
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        n--;
    char *d = malloc(n + 2);
    if (!d)
        return cfg_fail(err, errlen, "out of memory");
    size_t o = 0;
    if (n && p[0] != '/')
        d[o++] = '/';
    memcpy(d + o, p, n);
    d[o + n] = '\0';
    free(cfg->prefix);
    cfg->prefix = d;
    cfg->prefix_len = strlen(d);
    return 0;
}

int s3_config_load(struct s3_config *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->root_fd = -1;
    cfg->fsync = 1;
    cfg->max_skew = 900;
    cfg->log_level = 1;
    cfg->sigv2 = 1;
    cfg->mp_max_age = 7L * 24 * 3600;
    if (set_str(&cfg->path, path && *path ? path : S3CGI_DEFAULT_CONFIG) < 0)
        return cfg_fail(err, errlen, "out of memory");
    FILE *f = fopen(cfg->path, "re");
    if (!f)
        return cfg_fail(err, errlen, "cannot open configuration %s: %s (set S3CGI_CONFIG)",
                        cfg->path, strerror(errno));
    int rc = parse_file(cfg, f, err, errlen);
    fclose(f);
    if (rc < 0)
        return -1;
    if (!cfg->root || cfg->root[0] != '/')
        return cfg_fail(err, errlen, "%s: \"root\" must be set to an absolute directory", cfg->path);
    size_t rl = strlen(cfg->root);
    while (rl > 1 && cfg->root[rl - 1] == '/')
        cfg->root[--rl] = '\0';
    if (!cfg->region && set_str(&cfg->region, "us-east-1") < 0)
        return cfg_fail(err, errlen, "out of memory");
    if (normalise_prefix(cfg, err, errlen) < 0)
        return -1;
    if (cfg->credentials_path) {
        if (load_credentials(cfg, err, errlen) < 0)
            return -1;
    } else if (!cfg->anonymous_full) {
        return cfg_fail(err, errlen, "%s: \"credentials\" must name the credentials file", cfg->path);
    }
    cfg->root_fd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cfg->root_fd < 0)
        return cfg_fail(err, errlen, "cannot open data root %s: %s", cfg->root, strerror(errno));
    return 0;
}

void s3_config_free(struct s3_config *cfg)
{
    for (size_t i = 0; i < cfg->ncreds; i++)
        free_cred(&cfg->creds[i]);
    free(cfg->creds);
    for (size_t i = 0; i < cfg->ndomains; i++)
        free(cfg->domains[i]);
    free(cfg->path);
    free(cfg->root);
    free(cfg->credentials_path);
    free(cfg->region);
    free(cfg->prefix);
    if (cfg->root_fd >= 0)
        close(cfg->root_fd);
    memset(cfg, 0, sizeof *cfg);
    cfg->root_fd = -1;
}

const struct s3_credential *s3_config_find_key(const struct s3_config *cfg, const char *ak,
                                               size_t ak_len)
{
    for (size_t i = 0; i < cfg->ncreds; i++)
        if (strlen(cfg->creds[i].access_key) == ak_len &&
            memcmp(cfg->creds[i].access_key, ak, ak_len) == 0)
            return &cfg->creds[i];
    return NULL;
}

const struct s3_credential *s3_config_find_id(const struct s3_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->ncreds; i++)
        if (strcmp(cfg->creds[i].id, id) == 0)
            return &cfg->creds[i];
    return NULL;
}

const struct s3_credential *s3_config_first_admin(const struct s3_config *cfg)
{
    for (size_t i = 0; i < cfg->ncreds; i++)
        if (cfg->creds[i].admin)
            return &cfg->creds[i];
    return NULL;
}

int s3_credential_grant(const struct s3_credential *cred, const char *bucket)
{
    int best = 0;
    for (size_t i = 0; cred && i < cred->ngrants; i++)
        if (strcmp(cred->grants[i].bucket, bucket) == 0 && 1 + cred->grants[i].write > best)
            best = 1 + cred->grants[i].write;
    return best;
}
