/*
 * test_malloc.c — hs_malloc's paths: zerobase, tiny packing, size classes,
 * heap bits and malloc headers, large objects, zeroing of reused memory, and
 * the MemStats counts that follow.
 */
#include "rtutil.h"

static hs_runtime *rt;
static hs_p *p0;

static void setup(void)
{
    rt = rt_new(1, false);
    p0 = hs_runtime_p(rt, 0);
}

static void teardown(void)
{
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}

START_TEST(test_zerobase)
{
    void *a = hs_malloc(p0, 0, NULL);
    void *b = hs_malloc(p0, 0, &rt_node16);
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_null(spanOfHeap(&rt->heap, (uintptr_t)a));
}
END_TEST

START_TEST(test_tiny_packing)
{
    /* 1, 2, 4 then 8 byte objects share one 16 B block with Go's alignment. */
    uintptr_t a = (uintptr_t)hs_malloc(p0, 1, NULL);
    uintptr_t b = (uintptr_t)hs_malloc(p0, 2, NULL);
    uintptr_t c = (uintptr_t)hs_malloc(p0, 4, NULL);
    uintptr_t d = (uintptr_t)hs_malloc(p0, 8, NULL);
    ck_assert_uint_eq(a % 16, 0);
    ck_assert_uint_eq(b, a + 2);  /* 2-aligned after 1 byte */
    ck_assert_uint_eq(c, a + 4);  /* 4-aligned after 4 bytes */
    ck_assert_uint_eq(d, a + 8);  /* 8-aligned after 8 bytes */
    /* The block is full: the next object opens a new block. */
    uintptr_t e = (uintptr_t)hs_malloc(p0, 3, NULL);
    ck_assert_uint_eq(e % 16, 0);
    ck_assert_uint_ne(e, a);
    mspan *s = spanOfHeap(&rt->heap, a);
    ck_assert_int_eq(s->spanclass, tinySpanClass);
    ck_assert_uint_eq(s->elemsize, 16);
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    ck_assert_uint_eq(ms.TinyAllocs, 3);          /* b, c, d fit in a's block */
    ck_assert_uint_eq(ms.BySize[2].Mallocs, 2);   /* two 16 B blocks */
    ck_assert_uint_eq(ms.Mallocs, 5);
}
END_TEST

START_TEST(test_tiny_keeps_roomier_block)
{
    uintptr_t a = (uintptr_t)hs_malloc(p0, 12, NULL);  /* block A, 4 left */
    uintptr_t b = (uintptr_t)hs_malloc(p0, 10, NULL);  /* new block B: 6 left, keep B */
    uintptr_t c = (uintptr_t)hs_malloc(p0, 6, NULL);   /* fits B at 10 -> aligned 10 */
    ck_assert_uint_eq(b % 16, 0);
    ck_assert_uint_ne(b, a);
    ck_assert_uint_eq(c, b + 10);
}
END_TEST

START_TEST(test_small_classes)
{
    for (size_t size = 16; size <= maxSmallSize - mallocHeaderSize; size += 40) {
        uint8_t *x = hs_malloc(p0, size, NULL);
        mspan *s = spanOfHeap(&rt->heap, (uintptr_t)x);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(s->spanclass, makeSpanClass(sizeToClass(size), true));
        ck_assert_uint_eq(((uintptr_t)x - s->startAddr) % s->elemsize, 0);
        ck_assert(rt_is_zero(x, size));
        memset(x, 0xab, size);
    }
}
END_TEST

START_TEST(test_heap_bits_small_scan)
{
    static const uint8_t mask[] = {0x05}; /* words 0 and 2 are pointers */
    static const hs_type t = {"t24", 24, 24, mask};
    /* An array of two: 48 B, class 5 scan, bits 0b100101 (words 0, 2, 3, 5). */
    uintptr_t x = (uintptr_t)hs_malloc(p0, 48, &t);
    mspan *s = spanOfHeap(&rt->heap, x);
    ck_assert_int_eq(s->spanclass, makeSpanClass(5, false));
    ck_assert_uint_eq(s->nelems, (8192 - 128) / 48);
    uint64_t *hb = mspan_heapBits(s, HS_GC_CLASSIC);
    ck_assert_uint_eq((uintptr_t)hb, s->startAddr + 8192 - 128);
    uintptr_t w0 = (x - s->startAddr) / 8;
    uint64_t got = 0;
    for (int i = 0; i < 6; i++)
        got |= ((hb[(w0 + i) / 64] >> ((w0 + i) % 64)) & 1) << i;
    ck_assert_uint_eq(got, 0x2d);
    /* The heap bits lie past every object. */
    ck_assert_uint_le(s->limit, (uintptr_t)hb);
}
END_TEST

START_TEST(test_malloc_header_large_scan)
{
    static const hs_type big = {"big", 1000, 8, rt_ptr_first};
    uintptr_t x = (uintptr_t)hs_malloc(p0, 1000, &big);
    mspan *s = spanOfHeap(&rt->heap, x);
    ck_assert_uint_eq(s->elemsize, class_to_size[sizeToClass(1008)]);
    uintptr_t slot = s->startAddr + mspan_objIndex(s, x) * s->elemsize;
    ck_assert_uint_eq(x, slot + mallocHeaderSize);
    ck_assert_ptr_eq(*(const hs_type **)slot, &big);
    ck_assert_ptr_null(mspan_heapBits(s, HS_GC_CLASSIC));
}
END_TEST

START_TEST(test_large_objects)
{
    size_t size = 100000;
    uint8_t *x = hs_malloc(p0, size, &rt_node16);
    mspan *s = spanOfHeap(&rt->heap, (uintptr_t)x);
    ck_assert_int_eq(spanClass_sizeclass(s->spanclass), 0);
    ck_assert_uint_eq(s->npages, (size + pageSize - 1) / pageSize);
    ck_assert_ptr_eq(s->largeType, &rt_node16);
    ck_assert_uint_eq(s->limit, (uintptr_t)x + size);
    ck_assert_ptr_eq(spanOfHeap(&rt->heap, (uintptr_t)x + size - 1), s);
    ck_assert_ptr_null(spanOfHeap(&rt->heap, (uintptr_t)x + size)); /* past limit */
    /* 32761..32768 B noscan objects are large too, as in Go. */
    mspan *s2 = spanOfHeap(&rt->heap, (uintptr_t)hs_malloc(p0, 32761, NULL));
    ck_assert_int_eq(s2->spanclass, makeSpanClass(0, true));
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    ck_assert_uint_eq(ms.Mallocs, 2);
    ck_assert_uint_eq(ms.HeapAlloc, (13 + 4) * pageSize);
    ck_assert_uint_eq(ms.HeapInuse, (13 + 4) * pageSize);
}
END_TEST

/* Every small size, odd multiples of 8 and 16 among them, is zeroed whole
 * when its memory comes back: the object's last word as much as its first. */
START_TEST(test_reused_memory_is_zeroed_every_size)
{
    static const size_t sizes[] = {24, 48, 80, 112, 144, 208, 240, 288, 352, 416, 480, 512, 576, 1024};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t size = sizes[k];
        for (int i = 0; i < 100; i++)
            memset(hs_malloc(p0, size, NULL), 0xee, size);
        gcStartSweepCycle(rt); /* nothing marked: all of it is free again */
        finishsweep(rt);
        for (int i = 0; i < 100; i++) {
            uint8_t *x = hs_malloc(p0, size, NULL);
            ck_assert_msg(rt_is_zero(x, size), "a reused %zu-byte object is not zero", size);
        }
    }
}
END_TEST

/* Memory handed out again after a sweep freed it reads as zero. */
START_TEST(test_reused_memory_is_zeroed)
{
    uint8_t *objs[200];
    for (int i = 0; i < 200; i++) {
        objs[i] = hs_malloc(p0, 64, NULL);
        memset(objs[i], 0xee, 64);
    }
    rt_mark(rt, objs[0]);
    gcStartSweepCycle(rt);
    finishsweep(rt);
    for (int i = 0; i < 199; i++) {
        uint8_t *x = hs_malloc(p0, 64, NULL);
        ck_assert_ptr_ne(x, objs[0]);
        ck_assert(rt_is_zero(x, 64));
    }
    ck_assert_uint_eq(objs[0][0], 0xee); /* the survivor is untouched */
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    ck_assert_uint_eq(ms.BySize[6].Mallocs, 399);
    ck_assert_uint_eq(ms.BySize[6].Frees, 199);
    ck_assert_uint_eq(ms.HeapObjects, 200);
    ck_assert_uint_eq(ms.HeapAlloc, 200 * 64);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("malloc");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_zerobase);
    tcase_add_test(tc, test_tiny_packing);
    tcase_add_test(tc, test_tiny_keeps_roomier_block);
    tcase_add_test(tc, test_small_classes);
    tcase_add_test(tc, test_heap_bits_small_scan);
    tcase_add_test(tc, test_malloc_header_large_scan);
    tcase_add_test(tc, test_large_objects);
    tcase_add_test(tc, test_reused_memory_is_zeroed);
    tcase_add_test(tc, test_reused_memory_is_zeroed_every_size);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
