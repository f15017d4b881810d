/*
 * test_inline.c — the span layouts of both marking modes: every size class
 * hands out exactly nelems objects per span, none of them reaching into the
 * span's reserved tail (the pointer bitmap, and Green Tea's 128 B inline mark
 * block), and the inline block keeps its class byte and clear bits however
 * hard the objects around it are written.
 */
#include "rtutil.h"

static hs_runtime *rt_new_mode(hs_gcmode mode)
{
    hs_config cfg = hs_config_default();
    cfg.background = false;
    cfg.gogc = -1;
    cfg.gcmode = mode;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    return rt;
}

static const hs_type ptrWords = {"ptrs", 8, 8, rt_ptr_all};

/* Bytes at the end of a span of class c that no object may use. */
static size_t reservedTail(int c, bool noscan, hs_gcmode mode)
{
    size_t size = class_to_size[c], span = (size_t)class_to_allocnpages[c] * pageSize, r = 0;
    if (!noscan && size <= 512)
        r += span / 64;
    if (mode == HS_GC_GREENTEA && size >= 16 && size <= 512)
        r += 128;
    return r;
}

/* Fill two spans of class c and check where every object lies. */
static void checkClass(hs_runtime *rt, hs_p *pp, int c, bool noscan, hs_gcmode mode)
{
    size_t size = class_to_size[c];
    size_t req = !noscan && size > 512 ? size - mallocHeaderSize : size;
    if (req > maxSmallSize - mallocHeaderSize) /* small objects end 8 B short of 32 KiB */
        req = maxSmallSize - mallocHeaderSize;
    const hs_type *typ = noscan ? NULL : &ptrWords;
    mspan *first = NULL, *cur = NULL;
    unsigned inCur = 0, spans = 0;
    for (;;) {
        uint8_t *p = hs_malloc(pp, req, typ);
        ck_assert_ptr_nonnull(p);
        mspan *s = spanOfHeap(&rt->heap, (uintptr_t)p);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(spanClass_sizeclass(s->spanclass), c);
        if (s != cur) {
            if (cur != NULL)
                ck_assert_msg(inCur == cur->nelems, "class %d: %u objects from a span of %u", c,
                              inCur, cur->nelems);
            if (++spans == 3)
                break;
            cur = s;
            inCur = 0;
            if (first == NULL)
                first = s;
            ck_assert_int_eq(s->nelems, spanClass_nelems(s->spanclass, mode));
            ck_assert_int_eq(s->inlineMarks, reservedTail(c, true, mode) != 0);
        }
        inCur++;
        uintptr_t end = s->startAddr + s->npages * pageSize - reservedTail(c, noscan, mode);
        uintptr_t obj = s->startAddr + mspan_objIndex(s, (uintptr_t)p) * s->elemsize;
        ck_assert_msg(obj + s->elemsize <= end, "class %d %s: object %#lx ends past %#lx", c,
                      noscan ? "noscan" : "scan", (unsigned long)obj, (unsigned long)end);
        memset((void *)obj, 0xa5, s->elemsize); /* scribble over the whole slot */
    }
    if (!first->inlineMarks)
        return;
    const spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(first->startAddr);
    ck_assert_int_eq(imb_class(imb), first->spanclass);
    for (int w = 0; w < 8; w++) {
        ck_assert_uint_eq(imb->marks[w] & ~inlineBitsTopByte, 0);
        ck_assert_uint_eq(imb->scans[w], 0);
    }
}

static void checkMode(hs_gcmode mode)
{
    hs_runtime *rt = rt_new_mode(mode);
    hs_p *pp = hs_runtime_p(rt, 0);
    hs_p_acquire(pp);
    for (int c = 1; c < numSizeClasses; c++)
        for (int noscan = 0; noscan < 2; noscan++)
            if (!(noscan && c == 1)) /* 8 B pointer-free objects go to the tiny allocator */
                checkClass(rt, pp, c, noscan, mode);
    hs_p_release(pp);
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}

START_TEST(test_classic_layout)
{
    checkMode(HS_GC_CLASSIC);
}
END_TEST

START_TEST(test_greentea_layout)
{
    checkMode(HS_GC_GREENTEA);
}
END_TEST

/* Go's scanSpan computes nelems from the division magic; it must agree. */
START_TEST(test_greentea_nelems_by_divmagic)
{
    for (int c = 2; c <= 26; c++) {
        for (int noscan = 0; noscan < 2; noscan++) {
            uint64_t usable = pageSize - 128 - (noscan ? 0 : pageSize / 64);
            uint16_t n = (uint16_t)((usable * class_to_divmagic[c]) >> 32);
            ck_assert_int_eq(n, spanClass_nelems(makeSpanClass(c, noscan), HS_GC_GREENTEA));
            ck_assert_int_le(n, 504); /* object bits never reach owned or class */
        }
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("inline");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_classic_layout);
    tcase_add_test(tc, test_greentea_layout);
    tcase_add_test(tc, test_greentea_nelems_by_divmagic);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
