/*
 * test_history.c — the live view's ring of recent snapshots (src/ui/history.c):
 * copies of any size kept in one region, oldest dropped first, never more
 * frames or bytes than allowed, and every kept copy intact after the ring
 * has turned many times.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "ui/uistate.h"
#include "testutil.h"

enum { maxSize = 6000 };

/* The bytes of frame seq: a header, then a pattern only seq gives. */
static void make_frame(uint8_t *buf, uint64_t seq, uint32_t size)
{
    hs_snapshot *s = (hs_snapshot *)buf;
    memset(s, 0, sizeof(*s));
    s->size = size;
    s->seq = seq;
    for (uint32_t i = sizeof(*s); i < size; i++)
        buf[i] = (uint8_t)(seq * 131 + i * 7);
}

static uint32_t size_of(uint64_t seq)
{
    return (uint32_t)(sizeof(hs_snapshot) + (seq * 2654435761u) % (maxSize - sizeof(hs_snapshot)));
}

/* Every frame kept is intact, the newest is last, seqs follow each other. */
static void check_ring(const history *h, uint64_t newest)
{
    static uint8_t want[maxSize];
    ck_assert_uint_ge(h->n, 1);
    size_t bytes = 0;
    for (size_t i = 0; i < h->n; i++) {
        const frame *f = hist_at(h, i);
        uint64_t seq = newest - (h->n - 1 - i);
        ck_assert_uint_eq(f->s->seq, seq);
        make_frame(want, seq, size_of(seq));
        ck_assert_uint_eq(f->s->size, size_of(seq));
        ck_assert_int_eq(memcmp(f->s, want, f->s->size), 0);
        bytes += f->s->size;
    }
    ck_assert_uint_le(bytes, h->size);
    ck_assert_uint_eq(hist_find(h, newest), h->n - 1);
}

START_TEST(kept_intact_as_the_ring_turns)
{
    static uint8_t buf[maxSize];
    history h;
    ck_assert(hist_init(&h, 1000, 40000)); /* bytes, not frames, bound it */
    size_t most = 0;
    for (uint64_t seq = 1; seq <= 3000; seq++) {
        make_frame(buf, seq, size_of(seq));
        ck_assert(hist_push(&h, (const hs_snapshot *)buf, (int64_t)seq));
        check_ring(&h, seq);
        most = h.n > most ? h.n : most;
    }
    ck_assert_uint_ge(most, 8); /* 40,000 bytes hold at least 8 frames of < 6,000 */
    hist_free(&h);
}
END_TEST

START_TEST(frames_bound_it_too)
{
    static uint8_t buf[maxSize];
    history h;
    ck_assert(hist_init(&h, 5, 1 << 20));
    for (uint64_t seq = 1; seq <= 50; seq++) {
        make_frame(buf, seq, size_of(seq));
        ck_assert(hist_push(&h, (const hs_snapshot *)buf, 0));
        check_ring(&h, seq);
        ck_assert_uint_eq(h.n, seq < 5 ? seq : 5);
    }
    hist_clear(&h);
    ck_assert_uint_eq(h.n, 0);
    make_frame(buf, 7, size_of(7));
    ck_assert(hist_push(&h, (const hs_snapshot *)buf, 0));
    check_ring(&h, 7);
    hist_free(&h);
}
END_TEST

START_TEST(too_big_is_refused)
{
    static uint8_t buf[maxSize];
    history h;
    ck_assert(hist_init(&h, 10, 4096));
    make_frame(buf, 1, 3000);
    ck_assert(hist_push(&h, (const hs_snapshot *)buf, 0));
    make_frame(buf, 2, 5000);
    ck_assert(!hist_push(&h, (const hs_snapshot *)buf, 0));
    ck_assert_uint_eq(h.n, 1); /* what was kept stays */
    ck_assert_uint_eq(hist_at(&h, 0)->s->seq, 1);
    hist_free(&h);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, kept_intact_as_the_ring_turns);
    tcase_add_test(tc, frames_bound_it_too);
    tcase_add_test(tc, too_big_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
