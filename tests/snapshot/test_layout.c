/*
 * test_layout.c — what a snapshot costs and how it is laid out, as the header
 * documents it, and hs_snapshot_check refusing what it cannot read.
 */
#include <stdlib.h>
#include <string.h>

#include "snaputil.h"

START_TEST(test_element_sizes)
{
    ck_assert_uint_eq(sizeof(hs_snap_span), 48);
    ck_assert_uint_eq(sizeof(hs_snap_arena), 16);
    ck_assert_uint_eq(sizeof(hs_snap_central), 48);
    ck_assert_uint_eq(sizeof(hs_snap_p), 624);
    ck_assert_uint_eq(sizeof(hs_snap_event), 40);
    ck_assert_uint_eq(sizeof(hs_snapshot) % 8, 0);
    /* Per page: its state and its span index. */
    size_t fixed = hs_snapshot_layout_bytes(1, 1, 8192, 0, 0, 0);
    ck_assert_uint_eq(hs_snapshot_layout_bytes(1, 2, 16384, 0, 0, 0) - fixed, 16 + 8192 * 5);
    ck_assert_uint_eq(hs_snapshot_layout_bytes(1, 1, 8192, 0, 1, 0) - fixed, 48);
    ck_assert_uint_eq(hs_snapshot_layout_bytes(1, 1, 8192, 0, 0, 256) - fixed,
                      256); /* 1024 objects */
}
END_TEST

/* A heap of known shape: 1000 nodes (48 B), 1000 pointer-free 1 KiB objects
 * and 4 large objects. */
static void build_heap(hs_runtime *rt)
{
    hs_p *pp = hs_runtime_p(rt, 0);
    hs_p_acquire(pp);
    void **globals = hs_runtime_globals(rt);
    for (int i = 0; i < 1000; i++) {
        node *n = node_new(pp, (uint64_t)i);
        hs_write_ptr(pp, (void **)&n->next[0], hs_read_ptr(&globals[0]));
        hs_write_ptr(pp, &globals[0], n);
        hs_malloc(pp, 1024, NULL);
    }
    for (int i = 0; i < 4; i++)
        hs_write_ptr(pp, &globals[1 + i], hs_malloc(pp, 100000, NULL));
    hs_p_release(pp);
}

START_TEST(test_snapshot_size_matches_layout)
{
    hs_snapshotter *ss = hs_snapshotter_new(NULL);
    hs_runtime *rt = snap_rt_new(1, -1, ss);
    build_heap(rt);
    ck_assert(hs_snapshotter_start(ss, rt));
    ck_assert_uint_ne(hs_snapshotter_capture(ss), 0);
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    ck_assert_ptr_null(hs_snapshot_check(s, s->size, NULL, 0));
    ck_assert_uint_eq(s->npages, s->narenas * HS_SNAP_PAGES_PER_ARENA);
    uint64_t cells = 0, objects = 0, small = 0, large = 0;
    const hs_snap_span *sp = hs_snap_spans(s);
    for (uint32_t i = 0; i < s->nspans; i++) {
        ck_assert_uint_eq(sp[i].cells, cells);
        cells += (sp[i].nelems + 3u) / 4u;
        objects += sp[i].nelems;
        small += sp[i].spanclass >> 1 ? sp[i].alloc_count : 0;
        large += sp[i].spanclass >> 1 ? 0 : sp[i].alloc_count;
    }
    ck_assert_uint_eq(s->ncell_bytes, cells);
    ck_assert_uint_le(cells,
                      objects / 4 + s->nspans); /* 2 bits an object, a byte's rounding a span */
    ck_assert_uint_eq(small, 2000);
    ck_assert_uint_eq(large, 4);
    ck_assert_uint_eq(s->size, hs_snapshot_layout_bytes(s->nprocs, s->narenas, s->npages,
                                                        s->nevents, s->nspans, s->ncell_bytes));
    hs_snapshot_release(s);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

/* ---- hs_snapshot_check ------------------------------------------------------------ */

/* A private copy of a real snapshot, to damage. */
static hs_snapshot *copy_of_snapshot(void)
{
    hs_snapshotter *ss = hs_snapshotter_new(NULL);
    hs_runtime *rt = snap_rt_new(2, -1, NULL);
    build_heap(rt);
    hs_snapshotter_start(ss, rt);
    hs_snapshotter_capture(ss);
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    hs_snapshot *c = malloc(s->size);
    memcpy(c, s, s->size);
    hs_snapshot_release(s);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
    ck_assert_ptr_null(hs_snapshot_check(c, c->size, NULL, 0));
    return c;
}

static void expect_refused(const hs_snapshot *s, size_t bytes, const char *want)
{
    char buf[200];
    const char *why = hs_snapshot_check(s, bytes, buf, sizeof(buf));
    ck_assert_ptr_eq(why, buf);
    ck_assert_ptr_nonnull(hs_snapshot_check(s, bytes, NULL, 0));
    ck_assert_msg(strstr(why, want) != NULL, "got \"%s\", want \"%s\"", why, want);
}

START_TEST(test_check_refuses_newer_version)
{
    hs_snapshot *s = copy_of_snapshot();
    s->version = HS_SNAPSHOT_VERSION + 1;
    char want[128];
    snprintf(want, sizeof(want),
             "snapshot version %d is newer than this heapscope understands (%d)",
             HS_SNAPSHOT_VERSION + 1, HS_SNAPSHOT_VERSION);
    char why[200];
    ck_assert_str_eq(hs_snapshot_check(s, s->size, why, sizeof(why)), want);
    s->version = 7;
    snprintf(want, sizeof(want), "snapshot version 7 is newer than this heapscope understands (%d)",
             HS_SNAPSHOT_VERSION);
    expect_refused(s, s->size, want);
    s->version = 1;
    snprintf(want, sizeof(want), "snapshot version 1 is older than this heapscope reads (%d)",
             HS_SNAPSHOT_VERSION);
    expect_refused(s, s->size, want);
    s->version = 0;
    expect_refused(s, s->size, "version 0");
    free(s);
}
END_TEST

START_TEST(test_check_refuses_bad_size)
{
    hs_snapshot *s = copy_of_snapshot();
    expect_refused(s, s->size - 8, "says it is");
    expect_refused(s, s->size + 8, "says it is");
    expect_refused(s, 100, "header");
    expect_refused(s, 4, "too few");
    free(s);
}
END_TEST

START_TEST(test_check_refuses_bad_offsets)
{
    hs_snapshot *s = copy_of_snapshot();
    uint32_t off = s->spans_off;
    s->spans_off = s->size - 8;
    expect_refused(s, s->size, "span table");
    s->spans_off = off + 4;
    expect_refused(s, s->size, "not aligned");
    s->spans_off = off;
    s->pages_off = 16;
    expect_refused(s, s->size, "overlaps the snapshot header");
    s->pages_off = s->size - 1;
    expect_refused(s, s->size, "page array");
    free(s);
}
END_TEST

START_TEST(test_check_refuses_bad_indices)
{
    hs_snapshot *s = copy_of_snapshot();
    int32_t *ps = (int32_t *)((char *)s + s->page_span_off);
    int32_t old = ps[0];
    ps[0] = (int32_t)s->nspans;
    expect_refused(s, s->size, "page 0 maps to span");
    ps[0] = old;
    hs_snap_span *sp = (hs_snap_span *)((char *)s + s->spans_off);
    sp[0].cells = s->ncell_bytes;
    expect_refused(s, s->size, "run past the cell array");
    free(s);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("layout");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_element_sizes);
    tcase_add_test(tc, test_snapshot_size_matches_layout);
    tcase_add_test(tc, test_check_refuses_newer_version);
    tcase_add_test(tc, test_check_refuses_bad_size);
    tcase_add_test(tc, test_check_refuses_bad_offsets);
    tcase_add_test(tc, test_check_refuses_bad_indices);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
