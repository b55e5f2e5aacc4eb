/* admin/main.c - s3cgi-admin, the operator's maintenance tool (run by hand or from
 * cron, as the user the fronts run as).
 *
 *   s3cgi-admin purge [--config FILE] [--max-age SECONDS] [--tmp-max-age SECONDS]
 *
 * purge: removes multipart uploads initiated more than --max-age seconds ago
 * (default: the configuration's mp_max_age, 7 days unless set), finished or half-removed uploads and
 * stale temp files older than --tmp-max-age (default MP_TMP_MAX_AGE, a day: long
 * enough never to touch an upload still streaming): part temp files, ".s3cgi-tmp-*"
 * files beneath the buckets, files in root/.s3cgi/tmp (multipart.h). Uploads that
 * are being completed or aborted right now are skipped, never waited for.
 *
 * The configuration is FILE, else $S3CGI_CONFIG, else the compiled-in default, as
 * for the fronts. Exit status: 0 done, 1 failure (configuration, or some entries
 * could not be removed), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "multipart.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: s3cgi-admin purge [--config FILE] [--max-age SECONDS] [--tmp-max-age SECONDS]\n");
}

/* Value of option name at argv[*i] ("--name VALUE" or "--name=VALUE"), advancing *i;
 * NULL when argv[*i] is not that option. *bad is set when the value is missing. */
static const char *option(int argc, char **argv, int *i, const char *name, int *bad)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *bad = 1;
        return NULL;
    }
    return argv[++*i];
}

int main(int argc, char **argv)
{
    const char *config = NULL, *v;
    long max_age = 0, tmp_age = 0;
    int bad = 0;
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "purge") != 0) {
        usage(stderr);
        return 2;
    }
    for (int i = 2; i < argc && !bad; i++) {
        if ((v = option(argc, argv, &i, "--config", &bad))) {
            config = v;
        } else if ((v = option(argc, argv, &i, "--max-age", &bad))) {
            char *end;
            errno = 0;
            max_age = strtol(v, &end, 10);
            bad = errno || end == v || *end || max_age <= 0;
        } else if ((v = option(argc, argv, &i, "--tmp-max-age", &bad))) {
            char *end;
            errno = 0;
            tmp_age = strtol(v, &end, 10);
            bad = errno || end == v || *end || tmp_age <= 0;
        } else {
            bad = 1;
        }
    }
    if (bad) {
        usage(stderr);
        return 2;
    }
    if (!config)
        config = getenv("S3CGI_CONFIG");

    struct s3_config cfg;
    char err[512];
    if (s3_config_load(&cfg, config, err, sizeof err) < 0) {
        fprintf(stderr, "s3cgi-admin: %s\n", err);
        s3_config_free(&cfg);
        return 1;
    }
    struct mp_purge_opts o = { .max_age = max_age ? max_age : cfg.mp_max_age, .tmp_age = tmp_age,
                               .temp_files = 1 };
    struct mp_purge_stats st;
    enum s3_err e = mp_purge(&cfg, &o, time(NULL), &st);
    int rc = 0;
    if (e != S3E_OK) {
        fprintf(stderr, "s3cgi-admin: purge of %s failed (%s)\n", cfg.root, s3_err_info(e)->code);
        rc = 1;
    } else {
        printf("uploads: %ld examined, %ld removed, %ld busy; temp files: %ld removed; "
               "trash: %lld bytes freed; errors: %ld\n",
               st.uploads_examined, st.uploads_removed, st.busy, st.tmp_removed, st.trash_freed,
               st.errors);
        rc = st.errors ? 1 : 0;
    }
    s3_config_free(&cfg);
    return rc;
}
