/*
 * test_sizeclasses.c — the size-class table against Go's published one, and
 * the rules it was built by.
 */
#include "rtutil.h"

/* Go's table (internal/runtime/gc/sizeclasses.go, unchanged since Go 1.19):
 * class, bytes/obj, bytes/span, objects, tail waste. */
static const struct {
    int cls, size, spanBytes, objects, tailWaste;
} goTable[] = {
    {1, 8, 8192, 1024, 0},
    {2, 16, 8192, 512, 0},
    {3, 24, 8192, 341, 8},
    {4, 32, 8192, 256, 0},
    {5, 48, 8192, 170, 32},
    {6, 64, 8192, 128, 0},
    {7, 80, 8192, 102, 32},
    {8, 96, 8192, 85, 32},
    {9, 112, 8192, 73, 16},
    {10, 128, 8192, 64, 0},
    {11, 144, 8192, 56, 128},
    {12, 160, 8192, 51, 32},
    {13, 176, 8192, 46, 96},
    {14, 192, 8192, 42, 128},
    {15, 208, 8192, 39, 80},
    {16, 224, 8192, 36, 128},
    {17, 240, 8192, 34, 32},
    {18, 256, 8192, 32, 0},
    {19, 288, 8192, 28, 128},
    {20, 320, 8192, 25, 192},
    {21, 352, 8192, 23, 96},
    {22, 384, 8192, 21, 128},
    {23, 416, 8192, 19, 288},
    {24, 448, 8192, 18, 128},
    {25, 480, 8192, 17, 32},
    {26, 512, 8192, 16, 0},
    {27, 576, 8192, 14, 128},
    {28, 640, 8192, 12, 512},
    {29, 704, 8192, 11, 448},
    {30, 768, 8192, 10, 512},
    {31, 896, 8192, 9, 128},
    {32, 1024, 8192, 8, 0},
    {33, 1152, 8192, 7, 128},
    {34, 1280, 8192, 6, 512},
    {35, 1408, 16384, 11, 896},
    {36, 1536, 8192, 5, 512},
    {37, 1792, 16384, 9, 256},
    {38, 2048, 8192, 4, 0},
    {39, 2304, 16384, 7, 256},
    {40, 2688, 8192, 3, 128},
    {41, 3072, 24576, 8, 0},
    {42, 3200, 16384, 5, 384},
    {43, 3456, 24576, 7, 384},
    {44, 4096, 8192, 2, 0},
    {45, 4864, 24576, 5, 256},
    {46, 5376, 16384, 3, 256},
    {47, 6144, 24576, 4, 0},
    {48, 6528, 32768, 5, 128},
    {49, 6784, 40960, 6, 256},
    {50, 6912, 49152, 7, 768},
    {51, 8192, 8192, 1, 0},
    {52, 9472, 57344, 6, 512},
    {53, 9728, 49152, 5, 512},
    {54, 10240, 40960, 4, 0},
    {55, 10880, 32768, 3, 128},
    {56, 12288, 24576, 2, 0},
    {57, 13568, 40960, 3, 256},
    {58, 14336, 57344, 4, 0},
    {59, 16384, 16384, 1, 0},
    {60, 18432, 73728, 4, 0},
    {61, 19072, 57344, 3, 128},
    {62, 20480, 40960, 2, 0},
    {63, 21760, 65536, 3, 256},
    {64, 24576, 24576, 1, 0},
    {65, 27264, 81920, 3, 128},
    {66, 28672, 57344, 2, 0},
    {67, 32768, 32768, 1, 0},
};

START_TEST(test_table_matches_go)
{
    ck_assert_int_eq(sizeof(goTable) / sizeof(goTable[0]), numSizeClasses - 1);
    for (size_t i = 0; i < sizeof(goTable) / sizeof(goTable[0]); i++) {
        int c = goTable[i].cls;
        ck_assert_int_eq(c, (int)i + 1);
        ck_assert_int_eq(class_to_size[c], goTable[i].size);
        ck_assert_int_eq(class_to_allocnpages[c] * pageSize, goTable[i].spanBytes);
        /* Pointer-free spans in classic mode hold span/size objects. */
        ck_assert_int_eq(spanClass_nelems(makeSpanClass(c, true), HS_GC_CLASSIC), goTable[i].objects);
        ck_assert_int_eq(goTable[i].spanBytes - goTable[i].objects * goTable[i].size,
                         goTable[i].tailWaste);
    }
    ck_assert_int_eq(class_to_size[0], 0);
}
END_TEST

START_TEST(test_size_to_class_is_smallest_fit)
{
    ck_assert_int_eq(sizeToClass(0), 0);
    for (size_t size = 1; size <= maxSmallSize; size++) {
        int c = sizeToClass(size);
        ck_assert_msg(c >= 1 && c < numSizeClasses, "size %zu -> class %d", size, c);
        ck_assert_msg(class_to_size[c] >= size, "size %zu in class %d of %d", size, c, class_to_size[c]);
        ck_assert_msg(class_to_size[c - 1] < size || c == 1, "size %zu fits class %d", size, c - 1);
    }
    ck_assert_int_eq(hs_size_to_class(maxSmallSize + 1), 0);
    ck_assert_int_eq(hs_size_to_class(1024), 32);
    ck_assert_int_eq(hs_size_to_class(1025), 33);
}
END_TEST

START_TEST(test_divmagic_is_exact)
{
    for (int c = 1; c < numSizeClasses; c++) {
        mspan s = {.startAddr = 0xc000000000, .divMul = class_to_divmagic[c]};
        uintptr_t size = class_to_size[c];
        uintptr_t n = spanClass_nelems(makeSpanClass(c, true), HS_GC_CLASSIC);
        for (uintptr_t i = 0; i < n; i++) {
            ck_assert_uint_eq(mspan_objIndex(&s, s.startAddr + i * size), i);
            ck_assert_uint_eq(mspan_objIndex(&s, s.startAddr + i * size + size - 1), i);
        }
    }
}
END_TEST

START_TEST(test_span_classes)
{
    for (int c = 0; c < numSizeClasses; c++) {
        for (int noscan = 0; noscan < 2; noscan++) {
            spanClass sc = makeSpanClass(c, noscan);
            ck_assert_int_eq(spanClass_sizeclass(sc), c);
            ck_assert_int_eq(spanClass_noscan(sc), noscan);
        }
    }
    ck_assert_int_eq(numSpanClasses, 136);
    ck_assert_int_eq(tinySpanClass, 5);
}
END_TEST

/* Go 1.22+: scannable spans of objects <= 512 B give 128 B per page to heap
 * bits; Green Tea (Go 1.26) also reserves 128 B of inline marks for 16..512 B. */
START_TEST(test_nelems_by_mode)
{
    for (int c = 1; c < numSizeClasses; c++) {
        size_t size = class_to_size[c], span = (size_t)class_to_allocnpages[c] * pageSize;
        size_t heapBits = size <= 512 ? span / 64 : 0;
        size_t inlineMarks = size >= 16 && size <= 512 ? 128 : 0;
        ck_assert_int_eq(spanClass_nelems(makeSpanClass(c, true), HS_GC_CLASSIC), span / size);
        ck_assert_int_eq(spanClass_nelems(makeSpanClass(c, false), HS_GC_CLASSIC), (span - heapBits) / size);
        ck_assert_int_eq(spanClass_nelems(makeSpanClass(c, true), HS_GC_GREENTEA),
                         (span - inlineMarks) / size);
        ck_assert_int_eq(spanClass_nelems(makeSpanClass(c, false), HS_GC_GREENTEA),
                         (span - heapBits - inlineMarks) / size);
    }
    /* The figures GO-RUNTIME.md quotes. */
    ck_assert_int_eq(spanClass_nelems(makeSpanClass(2, false), HS_GC_GREENTEA), 496);
    ck_assert_int_eq(spanClass_nelems(makeSpanClass(2, false), HS_GC_CLASSIC), 504);
    ck_assert_int_eq(spanClass_nelems(makeSpanClass(1, false), HS_GC_GREENTEA), 1008);
    ck_assert_int_eq(spanClass_nelems(makeSpanClass(27, false), HS_GC_GREENTEA), 14);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("sizeclasses");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_table_matches_go);
    tcase_add_test(tc, test_size_to_class_is_smallest_fit);
    tcase_add_test(tc, test_divmagic_is_exact);
    tcase_add_test(tc, test_span_classes);
    tcase_add_test(tc, test_nelems_by_mode);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
