/*
 * test_mspan.c — a span's allocation bitmap: the order slots are handed out,
 * allocCache windows across 64-bit words, free-slot tests and counts.
 */
#include "rtutil.h"

static uint64_t bitsA[spanBitWords], bitsB[spanBitWords];

/* A span of class cls over a fake address; no heap memory is touched. */
static mspan make_span(int cls)
{
    mspan s;
    mspan_init(&s, 0xc000000000, class_to_allocnpages[cls]);
    memset(bitsA, 0, sizeof(bitsA));
    memset(bitsB, 0, sizeof(bitsB));
    s.spanclass = makeSpanClass(cls, true);
    s.elemsize = class_to_size[cls];
    s.nelems = spanClass_nelems(s.spanclass, HS_GC_CLASSIC);
    s.limit = s.startAddr + s.elemsize * s.nelems;
    s.divMul = class_to_divmagic[cls];
    s.allocBits = bitsA;
    s.gcmarkBits = bitsB;
    s.state = mSpanInUse;
    mspan_refillAllocCache(&s, 0);
    return s;
}

/* Allocate as the mcache does: next free index, then count it. */
static uint16_t take(mspan *s)
{
    uint16_t i = mspan_nextFreeIndex(s);
    if (i < s->nelems)
        s->allocCount++;
    return i;
}

START_TEST(test_fresh_span_in_order)
{
    mspan s = make_span(1); /* 8 B: 1024 objects, 16 words of bits */
    for (uint16_t i = 0; i < 1024; i++)
        ck_assert_uint_eq(take(&s), i);
    ck_assert_uint_eq(take(&s), 1024); /* full: nextFreeIndex returns nelems */
    ck_assert_uint_eq(s.allocCount, 1024);
    ck_assert(mspan_is_valid(&s));
}
END_TEST

START_TEST(test_skips_allocated_bits_across_words)
{
    mspan s = make_span(3); /* 24 B: 341 objects */
    /* Pretend a sweep kept objects 0..62, 64, 127..130 and 340. */
    for (int i = 0; i < 63; i++)
        bitsA[0] |= 1ull << i;
    bitsA[1] |= 1ull << 0 | 1ull << 63;
    bitsA[2] |= 0x7;
    bitsA[5] |= 1ull << (340 - 320);
    s.allocCount = 63 + 1 + 4 + 1;
    mspan_refillAllocCache(&s, 0);
    ck_assert(mspan_is_valid(&s));
    uint16_t want[] = {63, 65, 66};
    for (size_t k = 0; k < 3; k++)
        ck_assert_uint_eq(take(&s), want[k]);
    for (uint16_t i = 67; i < 127; i++)
        ck_assert_uint_eq(take(&s), i);
    ck_assert_uint_eq(take(&s), 131); /* 127..130 are taken */
    for (uint16_t i = 132; i < 340; i++)
        ck_assert_uint_eq(take(&s), i);
    ck_assert_uint_eq(take(&s), 341); /* 340 taken, then full */
    ck_assert_uint_eq(s.allocCount, 341);
    ck_assert(mspan_is_valid(&s));
}
END_TEST

START_TEST(test_isfree_and_count)
{
    mspan s = make_span(6); /* 64 B: 128 objects */
    bitsA[1] = 1ull << 3; /* object 67 allocated before the sweep */
    s.allocCount = 1;
    mspan_refillAllocCache(&s, 0);
    ck_assert(mspan_isFree(&s, 0));
    ck_assert(!mspan_isFree(&s, 67));
    ck_assert_uint_eq(take(&s), 0);
    ck_assert(!mspan_isFree(&s, 0)); /* below freeindex */
    ck_assert(mspan_isFree(&s, 1));
    bits_set_atomic(s.gcmarkBits, 5);
    bits_set_atomic(s.gcmarkBits, 127);
    bits_set_atomic(s.gcmarkBits, 127);
    ck_assert_uint_eq(mspan_countAlloc(&s), 2);
    ck_assert(mspan_is_valid(&s));
    s.allocCount = 5; /* a lie the validator must catch */
    ck_assert(!mspan_is_valid(&s));
}
END_TEST

START_TEST(test_span_list)
{
    mSpanList l = {0};
    mspan a, b, c;
    mspan_init(&a, 0x1000, 1);
    mspan_init(&b, 0x2000, 1);
    mspan_init(&c, 0x3000, 1);
    mSpanList_push(&l, &a);
    mSpanList_push(&l, &b);
    mSpanList_push(&l, &c);
    ck_assert_uint_eq(l.n, 3);
    mSpanList_remove(&l, &b);
    ck_assert_ptr_null(b.list);
    ck_assert_ptr_eq(mSpanList_pop(&l), &a);
    ck_assert_ptr_eq(mSpanList_pop(&l), &c);
    ck_assert_ptr_null(mSpanList_pop(&l));
    ck_assert_uint_eq(l.n, 0);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("mspan");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fresh_span_in_order);
    tcase_add_test(tc, test_skips_allocated_bits_across_words);
    tcase_add_test(tc, test_isfree_and_count);
    tcase_add_test(tc, test_span_list);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
