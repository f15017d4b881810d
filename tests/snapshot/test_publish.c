/*
 * test_publish.c — lock-free publication: readers always get the newest
 * complete snapshot, a held snapshot never changes under its reader, the
 * writer never waits, and the pool stays small.
 *
 * The snapshots here are made by hand: a header and a body whose every byte
 * is the snapshot's seq, so a reader can tell a torn or recycled buffer.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "heapscope/snapshot.h"
#include "testutil.h"

/* Publish a snapshot of size bytes (>= the header) whose body bytes are seq. */
static void publish(hs_snapshot_publisher *pub, uint64_t seq, size_t size)
{
    hs_snapshot *s = hs_snapshot_publisher_reserve(pub, size);
    ck_assert_ptr_nonnull(s);
    memset(s, (int)(seq & 0xff), size);
    s->size = (uint32_t)size;
    s->version = HS_SNAPSHOT_VERSION;
    s->seq = seq;
    hs_snapshot_publisher_publish(pub, s);
}

/* The body of s is all seq: the snapshot is whole and unchanged. */
static bool whole(const hs_snapshot *s)
{
    const uint8_t *b = (const uint8_t *)s;
    for (size_t i = sizeof(hs_snapshot); i < s->size; i++)
        if (b[i] != (uint8_t)(s->seq & 0xff))
            return false;
    return true;
}

START_TEST(test_empty_and_newest)
{
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    ck_assert_ptr_null(hs_snapshot_acquire(pub));
    for (uint64_t i = 1; i <= 5; i++) {
        publish(pub, i, 4096);
        const hs_snapshot *s = hs_snapshot_acquire(pub);
        ck_assert_uint_eq(s->seq, i);
        ck_assert(whole(s));
        hs_snapshot_release(s);
    }
    hs_snapshot_publisher_free(pub);
}
END_TEST

/* A reader holds one snapshot while the writer publishes 1000 more: it keeps
 * seeing identical bytes, and every publish completes. */
START_TEST(test_held_snapshot_is_immutable)
{
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    publish(pub, 7, 64 << 10);
    const hs_snapshot *held = hs_snapshot_acquire(pub);
    static uint8_t copy[64 << 10];
    memcpy(copy, held, held->size);
    for (uint64_t i = 0; i < 1000; i++) {
        publish(pub, 100 + i, (size_t)(32 + i % 64) << 10); /* sizes vary: buffers grow */
        const hs_snapshot *now = hs_snapshot_acquire(pub);
        ck_assert_uint_eq(now->seq, 100 + i);
        hs_snapshot_release(now);
    }
    ck_assert_int_eq(memcmp(copy, held, sizeof(copy)), 0);
    hs_publisher_stats st = hs_snapshot_publisher_stats(pub);
    ck_assert_uint_eq(st.published, 1001);
    ck_assert_uint_le(st.buffers, 3); /* the held one, latest, the one being filled */
    hs_snapshot_release(held);
    hs_snapshot_publisher_free(pub);
}
END_TEST

/* With no reader holding, 300 frames reuse two buffers and allocate nothing. */
START_TEST(test_steady_state_pool)
{
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    for (uint64_t i = 0; i < 10; i++)
        publish(pub, i, 1 << 20);
    hs_publisher_stats before = hs_snapshot_publisher_stats(pub);
    for (uint64_t i = 0; i < 300; i++) {
        publish(pub, i, 1 << 20);
        hs_snapshot_release(hs_snapshot_acquire(pub));
    }
    hs_publisher_stats after = hs_snapshot_publisher_stats(pub);
    ck_assert_uint_eq(after.allocations, before.allocations);
    ck_assert_uint_eq(after.buffers, 2);
    ck_assert_uint_eq(after.bytes, before.bytes);
    hs_snapshot_publisher_free(pub);
}
END_TEST

/* Growing a reserved buffer keeps what was written. */
START_TEST(test_reserve_grows_in_place)
{
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    hs_snapshot *s = hs_snapshot_publisher_reserve(pub, 4096);
    memset(s, 0x5a, 4096);
    s = hs_snapshot_publisher_reserve(pub, 1 << 20);
    const uint8_t *b = (const uint8_t *)s;
    for (size_t i = 0; i < 4096; i++)
        ck_assert_uint_eq(b[i], 0x5a);
    s->size = 1 << 20;
    s->seq = 1;
    hs_snapshot_publisher_publish(pub, s);
    ck_assert_uint_eq(hs_snapshot_acquire(pub)->seq, 1);
    hs_snapshot_release(s);
    hs_snapshot_publisher_free(pub);
}
END_TEST

/* ---- threads: a writer that never waits, readers that check every byte ---- */

typedef struct race {
    hs_snapshot_publisher *pub;
    uint32_t stop;     /* atomic */
    uint64_t frames;   /* atomic: published by the writer */
    uint64_t acquired; /* atomic */
    uint32_t bad;      /* atomic */
    int holdMs;        /* reader: how long to keep each snapshot */
} race;

static void *writer(void *arg)
{
    race *r = arg;
    for (uint64_t i = 1; i <= 1000; i++) {
        publish(r->pub, i, (size_t)(4 + i % 8) << 10);
        __atomic_store_n(&r->frames, i, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void *reader(void *arg)
{
    race *r = arg;
    uint64_t last = 0;
    while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
        const hs_snapshot *s = hs_snapshot_acquire(r->pub);
        if (s == NULL)
            continue;
        uint64_t seq = s->seq;
        bool ok = whole(s) && seq >= last;
        if (r->holdMs > 0) {
            struct timespec ts = {0, r->holdMs * 1000000L};
            nanosleep(&ts, NULL);
            ok = ok && s->seq == seq && whole(s);
        }
        if (!ok)
            __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
        last = seq;
        hs_snapshot_release(s);
        __atomic_add_fetch(&r->acquired, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

START_TEST(test_concurrent_readers)
{
    race r = {.pub = hs_snapshot_publisher_new()};
    race slow = r;
    slow.holdMs = 20; /* a reader that sleeps holding what it has */
    publish(r.pub, 0, 4096);
    pthread_t w, rd[3];
    pthread_create(&rd[0], NULL, reader, &r);
    pthread_create(&rd[1], NULL, reader, &r);
    pthread_create(&rd[2], NULL, reader, &slow);
    while (__atomic_load_n(&r.acquired, __ATOMIC_RELAXED) < 2 ||
           __atomic_load_n(&slow.acquired, __ATOMIC_RELAXED) < 1)
        sched_yield(); /* every reader is at work before the writer starts */
    pthread_create(&w, NULL, writer, &r);
    pthread_join(w, NULL); /* the writer finishes: it never waits for a reader */
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&slow.stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 3; i++)
        pthread_join(rd[i], NULL);
    ck_assert_uint_eq(r.bad + slow.bad, 0);
    ck_assert_uint_gt(r.acquired, 0);
    hs_publisher_stats st = hs_snapshot_publisher_stats(r.pub);
    ck_assert_uint_eq(st.published, 1001);
    ck_assert_uint_le(st.buffers, 2 + 3 + 3); /* held + caught mid-acquire, at most */
    hs_snapshot_publisher_free(r.pub);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("publish");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_empty_and_newest);
    tcase_add_test(tc, test_held_snapshot_is_immutable);
    tcase_add_test(tc, test_steady_state_pool);
    tcase_add_test(tc, test_reserve_grows_in_place);
    tcase_add_test(tc, test_concurrent_readers);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
