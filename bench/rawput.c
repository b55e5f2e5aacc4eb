/* rawput.c - the ceiling for small PUTs: what the filesystem costs for an atomic,
 * durable publish of a small file, without any HTTP or S3 in the way.
 *
 *   rawput [--threads T] [--size BYTES] [--files N] [--seconds S] [--no-fsync] DIR
 *
 * T threads each loop: create a temporary file in DIR, write BYTES, fsync it, close,
 * rename it over one of N final names (cycling, so objects are overwritten as a PUT
 * benchmark cycling over N keys does), fsync DIR. --no-fsync skips both fsyncs. Runs
 * for S seconds (default 2) and prints the loadgen line:
 * "requests=N ok=N errors=N seconds=S rate=R".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static int dirfd_, do_fsync = 1;
static long size = 4096, files = 100;
static double seconds = 2.0, t0;
static char *payload;
static atomic_long seq, ok, errors;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int publish(long id, long n)
{
    char tmp[64], final[64];
    snprintf(tmp, sizeof tmp, ".tmp-%ld-%ld", id, n);
    snprintf(final, sizeof final, "raw%ld", n % files);
    int fd = openat(dirfd_, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    for (long off = 0; off < size;) {
        ssize_t w = write(fd, payload + off, (size_t)(size - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlinkat(dirfd_, tmp, 0);
            return -1;
        }
        off += w;
    }
    if ((do_fsync && fsync(fd) != 0) | (close(fd) != 0) ||
        renameat(dirfd_, tmp, dirfd_, final) != 0 || (do_fsync && fsync(dirfd_) != 0)) {
        unlinkat(dirfd_, tmp, 0);
        return -1;
    }
    return 0;
}

static void *worker(void *arg)
{
    long id = (long)arg;
    while (now() - t0 < seconds) {
        long n = atomic_fetch_add(&seq, 1);
        if (publish(id, n) == 0)
            atomic_fetch_add(&ok, 1);
        else
            atomic_fetch_add(&errors, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "threads", 1, 0, 't' }, { "size", 1, 0, 'b' }, { "files", 1, 0, 'n' },
        { "seconds", 1, 0, 's' }, { "no-fsync", 0, 0, 'F' }, { 0, 0, 0, 0 },
    };
    long threads = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 't': threads = atol(optarg); break;
        case 'b': size = atol(optarg); break;
        case 'n': files = atol(optarg); break;
        case 's': seconds = atof(optarg); break;
        case 'F': do_fsync = 0; break;
        default: goto usage;
        }
    }
    if (optind != argc - 1 || threads < 1 || threads > 1024 || size < 0 || files < 1 || seconds <= 0)
        goto usage;
    dir = argv[optind];
    if ((dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        perror(dir);
        return 1;
    }
    payload = malloc((size_t)size + 1);
    if (!payload)
        return 1;
    for (long i = 0; i < size; i++)
        payload[i] = (char)('a' + i % 26);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    t0 = now();
    for (long i = 0; i < threads; i++)
        if (pthread_create(&tid[i], NULL, worker, (void *)i) != 0)
            return 1;
    for (long i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double secs = now() - t0;
    long done = ok + errors;
    printf("requests=%ld ok=%ld errors=%ld seconds=%.3f rate=%.1f\n", done, (long)ok, (long)errors, secs,
           done / secs);
    free(tid);
    free(payload);
    close(dirfd_);
    return errors ? 1 : 0;
usage:
    fprintf(stderr, "usage: rawput [--threads T] [--size BYTES] [--files N] [--seconds S] [--no-fsync] DIR\n");
    return 2;
}
