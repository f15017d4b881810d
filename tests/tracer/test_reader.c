/*
 * test_reader.c — the trace reader against traces written by hand: every
 * field of every op decoded exactly, thread state carried across blocks,
 * every truncation and each kind of corruption rejected with the byte
 * offset where it is, and no byte flip that crashes it.
 */
#include <config.h>

#include "heapscope/trace.h"
#include "tracegen.h"

#include "../testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static tracegen g; /* 1.5 MiB: not on the stack */

typedef struct want {
    int op;
    uint32_t thread;
    uint64_t t, old, align, size, addr;
} want;

/* Two threads, thread 0 in two blocks; every op once. */
static const want script[] = {
    {HS_TRACE_MALLOC, 0, 100, 0, 0, 24, 0x7f0000001000},
    {HS_TRACE_CALLOC, 0, 150, 0, 0, 4096, 0x7f0000002000},
    {HS_TRACE_REALLOC, 0, 151, 0x7f0000001000, 0, 48, 0x7f0000000800},
    {HS_TRACE_MALLOC, 1, 120, 0, 0, 0, 0x55550000},
    {HS_TRACE_POSIX_MEMALIGN, 1, 300, 0, 64, 640, 0x55560000},
    {HS_TRACE_ALIGNED_ALLOC, 1, 301, 0, 4096, 8192, 0x7f0000100000},
    {HS_TRACE_FREE, 0, 400, 0, 0, 0, 0x55550000},
    {HS_TRACE_MEMALIGN, 0, 401, 0, 32, 33, 0},
    {HS_TRACE_VALLOC, 0, 402, 0, 0, 100, 0x7f0000200000},
    {HS_TRACE_PVALLOC, 0, 1ULL << 40, 0, 0, UINT64_MAX, 0x7f0000300000},
};
static const int blocks[] = {3, 3, 4}; /* records per block, in script order */

static void build(void)
{
    tg_begin(&g);
    size_t k = 0;
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        tg_chunk(&g, script[k].thread);
        for (int i = 0; i < blocks[b]; i++, k++) {
            const want *w = &script[k];
            tg_rec(&g, w->op, w->t, w->old, w->align, w->size, w->addr);
        }
        tg_chunk_end(&g);
    }
    tg_end(&g);
}

/* Read len bytes of g to the end: 0 when whole, else -1 with why. */
static int read_to_end(size_t len, char *why, size_t n, size_t *records)
{
    hs_trace_reader *r = hs_trace_open_mem(g.buf, len, why, n);
    hs_trace_record rec;
    int st = -1;
    *records = 0;
    if (r == NULL)
        return -1;
    while ((st = hs_trace_next(r, &rec, why, n)) == 1)
        (*records)++;
    hs_trace_close(r);
    return st;
}

static void expect_error(size_t len, const char *words)
{
    char why[256] = "";
    size_t records;
    ck_assert_int_eq(read_to_end(len, why, sizeof why, &records), -1);
    ck_assert_msg(strstr(why, words) != NULL, "'%s' lacks '%s'", why, words);
    ck_assert_ptr_null(strchr(why, '\n'));
}

START_TEST(test_decode_every_op)
{
    char why[256] = "";
    build();
    hs_trace_reader *r = hs_trace_open_mem(g.buf, g.len, why, sizeof why);
    ck_assert_msg(r != NULL, "%s", why);
    const hs_trace_header *h = hs_trace_get_header(r);
    ck_assert_uint_eq(h->version, 1);
    ck_assert_uint_eq(h->pid, 1234);
    ck_assert_uint_eq(h->start_ns, 5000);
    hs_trace_record rec;
    for (size_t k = 0; k < sizeof script / sizeof script[0]; k++) {
        const want *w = &script[k];
        ck_assert_msg(hs_trace_next(r, &rec, why, sizeof why) == 1, "record %zu: %s", k, why);
        ck_assert_int_eq(rec.op, w->op);
        ck_assert_uint_eq(rec.thread, w->thread);
        ck_assert_uint_eq(rec.t_ns, w->t);
        ck_assert_uint_eq(rec.old, w->old);
        ck_assert_uint_eq(rec.align, w->align);
        ck_assert_uint_eq(rec.size, w->size);
        ck_assert_uint_eq(rec.addr, w->addr);
    }
    ck_assert_int_eq(hs_trace_next(r, &rec, why, sizeof why), 0);
    ck_assert_int_eq(hs_trace_next(r, &rec, why, sizeof why), 0);
    ck_assert_uint_eq(hs_trace_threads(r), 2);
    hs_trace_close(r);
    ck_assert_str_eq(hs_trace_op_name(HS_TRACE_POSIX_MEMALIGN), "posix_memalign");
    ck_assert_str_eq(hs_trace_op_name(0), "?");
}
END_TEST

/* Cut anywhere past the magic, the reader says it is truncated, there. */
START_TEST(test_every_truncation)
{
    build();
    char words[64];
    expect_error(0, "no \"HSTRACE\" magic at byte 0");
    expect_error(7, "no \"HSTRACE\" magic at byte 0");
    for (size_t cut = 8; cut < g.len; cut++) {
        snprintf(words, sizeof words, "truncated at byte %zu", cut);
        expect_error(cut, words);
    }
}
END_TEST

START_TEST(test_header_errors)
{
    build();
    g.buf[8] = 2;
    expect_error(g.len, "at byte 8: trace format version 2");
    build();
    g.buf[10] = 47;
    expect_error(g.len, "at byte 10: a header length of 47");
    build();
    g.buf[3] = 'X';
    expect_error(g.len, "not a heapscope trace");
}
END_TEST

/* A trace of one block of one malloc: offsets are easy to name. */
static size_t one_malloc(void)
{
    tg_begin(&g);
    tg_chunk(&g, 0);
    tg_rec(&g, HS_TRACE_MALLOC, 10, 0, 0, 24, 0x1000);
    tg_chunk_end(&g); /* 48 'C', 49 thread, 50 length, 51 op, 52 dt, 53 size, 54-55 addr */
    return g.len;
}

START_TEST(test_block_errors)
{
    size_t end = one_malloc();
    tg_end(&g);
    g.buf[end] = 'Z';
    expect_error(g.len, "at byte 56: unknown block type 0x5a");

    one_malloc();
    tg_end(&g);
    g.buf[51] = 0;
    expect_error(g.len, "at byte 51: unknown record type 0");
    g.buf[51] = HS_TRACE_OP_MAX + 1;
    expect_error(g.len, "at byte 51: unknown record type 10");

    one_malloc();
    g.buf[50]--; /* the block claims one byte less than its record needs */
    g.buf[g.len - 1] = HS_TRACE_BLOCK_END;
    g.buf[g.len++] = 1;
    expect_error(g.len, "at byte 54: the address runs past the end of its block (byte 55)");

    one_malloc();
    tg_varint(&g, 0); /* not a tag: a stray zero */
    expect_error(g.len, "at byte 56: unknown block type 0x00");
}
END_TEST

START_TEST(test_end_errors)
{
    one_malloc();
    g.buf[g.len++] = HS_TRACE_BLOCK_END;
    tg_varint(&g, 2);
    expect_error(g.len, "at byte 56: the end block counts 2 blocks, the file has 1");

    one_malloc();
    tg_end(&g);
    g.buf[g.len++] = 0;
    expect_error(g.len, "at byte 58: 1 bytes follow the end block");
}
END_TEST

START_TEST(test_long_varint)
{
    tg_begin(&g);
    g.buf[g.len++] = HS_TRACE_BLOCK_CHUNK;
    for (int i = 0; i < 10; i++)
        g.buf[g.len++] = 0xff;
    g.buf[g.len++] = 0x01;
    expect_error(g.len, "at byte 49: the block's thread number is longer than 64 bits");

    tg_begin(&g);
    g.buf[g.len++] = HS_TRACE_BLOCK_CHUNK;
    tg_varint(&g, HS_TRACE_MAX_THREADS);
    tg_varint(&g, 0);
    tg_end(&g);
    expect_error(g.len, "at byte 48: thread number 1048576 is past this reader's bound");
}
END_TEST

/* No flipped byte makes the reader crash or read out of bounds (the
 * sanitizer builds check the second); it accepts or names a byte. */
START_TEST(test_byte_flips)
{
    build();
    size_t len = g.len;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char why[256] = "";
            size_t records;
            build();
            g.buf[i] ^= (uint8_t)(1u << bit);
            if (read_to_end(len, why, sizeof why, &records) != 0)
                ck_assert_msg(strstr(why, "byte") != NULL || strstr(why, "magic"), "%s", why);
        }
    }
}
END_TEST

START_TEST(test_open_files)
{
    char why[256] = "", path[] = "/tmp/hs-test-reader.XXXXXX";
    ck_assert_ptr_null(hs_trace_open("/nonexistent/x.hst", why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "cannot read it"));
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_ptr_null(hs_trace_open(path, why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "empty"));
    build();
    ck_assert_int_eq(tg_write(&g, g.len, path), 0);
    hs_trace_reader *r = hs_trace_open(path, why, sizeof why);
    ck_assert_msg(r != NULL, "%s", why);
    hs_trace_record rec;
    size_t n = 0;
    while (hs_trace_next(r, &rec, why, sizeof why) == 1)
        n++;
    ck_assert_uint_eq(n, sizeof script / sizeof script[0]);
    hs_trace_close(r);
    unlink(path);
}
END_TEST

static void write_bytes(const char *dir, const char *name, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < len; i++)
        fputc('x', f);
    fclose(f);
}

/* FILE is missing but the traced program's children wrote FILE.<pid>: the
 * sentence names the one there, or counts them and names the largest. */
START_TEST(test_missing_names_pid_files)
{
    char why[512] = "", dir[] = "/tmp/hs-test-reader.XXXXXX", path[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.hst", dir);
    write_bytes(dir, "out.hstx.5", 10); /* not out.hst's */
    write_bytes(dir, "out.hst.12a", 10);
    ck_assert_ptr_null(hs_trace_open(path, why, sizeof why));
    ck_assert_msg(strstr(why, "is there") == NULL && strstr(why, "are there") == NULL, "%s", why);
    write_bytes(dir, "out.hst.4242", 10);
    ck_assert_ptr_null(hs_trace_open(path, why, sizeof why));
    ck_assert_msg(strstr(why, "No such file") && strstr(why, "out.hst.4242 is there"), "%s", why);
    write_bytes(dir, "out.hst.77", 100);
    ck_assert_ptr_null(hs_trace_open(path, why, sizeof why));
    ck_assert_msg(strstr(why, "2 files") && strstr(why, "out.hst.77 the largest"), "%s", why);
    const char *names[] = {"out.hstx.5", "out.hst.12a", "out.hst.4242", "out.hst.77"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}
END_TEST

/* The example of doc/trace-format.md, byte for byte. */
START_TEST(test_doc_example)
{
    static const uint8_t bytes[] = {0x43, 0x00, 0x08, 0x01, 0x0a, 0x18, 0x80,
                                   0x40, 0x04, 0x14, 0x00, 0x45, 0x01};
    tg_example(&g);
    ck_assert_uint_eq(g.len, HS_TRACE_HEADER_BYTES + sizeof bytes);
    ck_assert_mem_eq(g.buf, "HSTRACE\0\x01\x00\x30\x00", 12);
    ck_assert_mem_eq(g.buf + HS_TRACE_HEADER_BYTES, bytes, sizeof bytes);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("trace reader");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_decode_every_op);
    tcase_add_test(tc, test_doc_example);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_test(tc, test_header_errors);
    tcase_add_test(tc, test_block_errors);
    tcase_add_test(tc, test_end_errors);
    tcase_add_test(tc, test_long_varint);
    tcase_add_test(tc, test_byte_flips);
    tcase_add_test(tc, test_open_files);
    tcase_add_test(tc, test_missing_names_pid_files);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
