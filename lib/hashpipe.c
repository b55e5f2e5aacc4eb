/* hashpipe.c - see hashpipe.h. A single-producer single-consumer byte ring guarded by
 * one mutex; the consumer hashes straight out of the ring without holding the lock, so
 * the producer only waits when the ring is full (the digest is the slower side). */
#include "hashpipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct hashpipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more;            /* producer -> consumer: data or the end */
    pthread_cond_t room;            /* consumer -> producer: space freed */
    struct hash_ctx ctx;            /* owned by the consumer while it runs */
    unsigned char *ring;
    size_t head;                    /* total bytes written (producer) */
    size_t tail;                    /* total bytes hashed (consumer) */
    int closing;                    /* no more data: finish after the last byte */
    int stop;                       /* drop everything and end */
    int joined;                     /* the consumer has ended (producer's flag) */
};

static void *consume(void *arg)
{
    struct hashpipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->head == p->tail && !p->closing && !p->stop)
            pthread_cond_wait(&p->more, &p->mu);
        if (p->stop || (p->head == p->tail && p->closing))
            break;
        size_t at = p->tail % HASHPIPE_RING;
        size_t n = p->head - p->tail;
        if (n > HASHPIPE_RING - at)
            n = HASHPIPE_RING - at;     /* up to the end of the ring; the rest next turn */
        pthread_mutex_unlock(&p->mu);
        hash_update(&p->ctx, p->ring + at, n);
        pthread_mutex_lock(&p->mu);
        p->tail += n;
        pthread_cond_signal(&p->room);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct hashpipe *hashpipe_start(const struct hash_ctx *ctx)
{
    struct hashpipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ctx = *ctx;
    p->ring = malloc(HASHPIPE_RING);
    if (!p->ring || pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->ring);
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->more, NULL);
    pthread_cond_init(&p->room, NULL);
    if (pthread_create(&p->thread, NULL, consume, p) != 0) {
        pthread_cond_destroy(&p->more);
        pthread_cond_destroy(&p->room);
        pthread_mutex_destroy(&p->mu);
        free(p->ring);
        free(p);
        return NULL;
    }
    return p;
}

void hashpipe_feed(struct hashpipe *p, const void *data, size_t len)
{
    const unsigned char *d = data;
    pthread_mutex_lock(&p->mu);
    while (len > 0) {
        while (p->head - p->tail == HASHPIPE_RING)
            pthread_cond_wait(&p->room, &p->mu);
        size_t at = p->head % HASHPIPE_RING;
        size_t n = HASHPIPE_RING - (p->head - p->tail);         /* free space */
        if (n > HASHPIPE_RING - at)
            n = HASHPIPE_RING - at;
        if (n > len)
            n = len;
        /* the consumer never reads [head, tail + RING): copying unlocked is safe */
        pthread_mutex_unlock(&p->mu);
        memcpy(p->ring + at, d, n);
        pthread_mutex_lock(&p->mu);
        p->head += n;
        d += n;
        len -= n;
        pthread_cond_signal(&p->more);
    }
    pthread_mutex_unlock(&p->mu);
}

static void end_thread(struct hashpipe *p, int drop)
{
    pthread_mutex_lock(&p->mu);
    if (drop)
        p->stop = 1;
    else
        p->closing = 1;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->joined = 1;
}

size_t hashpipe_finish(struct hashpipe *p, unsigned char *out)
{
    if (!p->joined)
        end_thread(p, 0);
    return hash_final(&p->ctx, out);
}

void hashpipe_free(struct hashpipe *p)
{
    if (!p)
        return;
    if (!p->joined)
        end_thread(p, 1);
    pthread_cond_destroy(&p->more);
    pthread_cond_destroy(&p->room);
    pthread_mutex_destroy(&p->mu);
    free(p->ring);
    free(p);
}
