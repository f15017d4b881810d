/*
 * test_parse.c — the value parsers of the command line: hs_parse_size,
 * hs_parse_duration and hs_parse_int, exact values and every kind of rejection.
 */
#include <config.h>

#include "heapscope/cli.h"

#include "../testutil.h"

#include <inttypes.h>

#define KIB ((uint64_t)1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)
#define EIB (TIB * 1024 * 1024)
#define NS_MS UINT64_C(1000000)
#define NS_S UINT64_C(1000000000)

typedef struct size_case {
    const char *text;
    uint64_t bytes;
} size_case;

typedef struct reject_case {
    const char *text;
    hs_parse_status status;
} reject_case;

/* ---- sizes ----------------------------------------------------------------- */

static const size_case sizes[] = {
    {"0", 0},
    {"4096", 4096},
    {"100B", 100},
    {"512KiB", 512 * KIB},
    {"64MiB", 64 * MIB},
    {"1GiB", GIB},
    {"1.5GiB", 1610612736},
    {"0.5KiB", 512},
    {"1.1KiB", 1126}, /* 1126.4 truncated */
    {"2TiB", 2 * TIB},
    {"1EiB", EIB},
    {"15EiB", 15 * EIB},
    {"1K", KIB},
    {"3M", 3 * MIB},
    {"2G", 2 * GIB},
    {"1KB", 1000},
    {"5MB", 5000000},
    {"1GB", 1000000000},
    {"2.5GB", 2500000000},
    {"64mib", 64 * MIB},
    {"1gib", GIB},
    {"7kb", 7000},
    {"007MiB", 7 * MIB},
    {"1.0000000001GiB", GIB}, /* digits past the ninth are dropped */
    {"18446744073709551615", UINT64_MAX},
    {"15.999999999EiB", UINT64_C(18446744072556630111)},
};

START_TEST(test_size_values)
{
    uint64_t got = 12345;
    const size_case *c = &sizes[_i];
    ck_assert_msg(hs_parse_size(c->text, &got) == HS_PARSE_OK, "'%s' was rejected", c->text);
    ck_assert_msg(got == c->bytes, "'%s' gave %" PRIu64 ", want %" PRIu64, c->text, got, c->bytes);
}
END_TEST

static const reject_case bad_sizes[] = {
    {"", HS_PARSE_EMPTY},
    {"-5MiB", HS_PARSE_NEGATIVE},
    {"-0", HS_PARSE_NEGATIVE},
    {"12parsecs", HS_PARSE_SYNTAX},
    {"MiB", HS_PARSE_SYNTAX},
    {"5 MiB", HS_PARSE_SYNTAX},
    {" 5", HS_PARSE_SYNTAX},
    {"5MiB ", HS_PARSE_SYNTAX},
    {"+5", HS_PARSE_SYNTAX},
    {"1.5", HS_PARSE_SYNTAX}, /* a fraction of a byte */
    {"1.5B", HS_PARSE_SYNTAX},
    {"1.", HS_PARSE_SYNTAX},
    {".5KiB", HS_PARSE_SYNTAX},
    {"1..5KiB", HS_PARSE_SYNTAX},
    {"0x10", HS_PARSE_SYNTAX},
    {"1e3", HS_PARSE_SYNTAX},
    {"5MiBs", HS_PARSE_SYNTAX},
    {"5Mi", HS_PARSE_SYNTAX},
    {"5ZiB", HS_PARSE_SYNTAX},
    {"99999999999999999999999parsecs", HS_PARSE_SYNTAX},
    {"18446744073709551616", HS_PARSE_RANGE},
    {"16EiB", HS_PARSE_RANGE},
    {"17179869184GiB", HS_PARSE_RANGE},
    {"99999999999999999999999MiB", HS_PARSE_RANGE},
};

START_TEST(test_size_rejects)
{
    uint64_t got = 777;
    const reject_case *c = &bad_sizes[_i];
    hs_parse_status st = hs_parse_size(c->text, &got);
    ck_assert_msg(st == c->status, "'%s': status %d, want %d", c->text, st, c->status);
    ck_assert_msg(got == 777, "'%s' wrote its result on failure", c->text);
}
END_TEST

/* ---- durations ------------------------------------------------------------- */

static const size_case durations[] = {
    {"500ms", 500 * NS_MS},
    {"10s", 10 * NS_S},
    {"2m", 120 * NS_S},
    {"1h", 3600 * NS_S},
    {"250us", 250000},
    {"250\xc2\xb5s", 250000},
    {"250\xce\xbcs", 250000},
    {"1ns", 1},
    {"0s", 0},
    {"1.5s", 1500 * NS_MS},
    {"0.25h", 900 * NS_S},
    {"1.999999999999s", 1999999999},
    {"1h30m", 5400 * NS_S},
    {"1m30.5s", 90500 * NS_MS},
    {"2h45m30s100ms", (2 * 3600 + 45 * 60 + 30) * NS_S + 100 * NS_MS},
    {"9223372036854775807ns", INT64_MAX},
    {"2562047h", UINT64_C(2562047) * 3600 * NS_S},
    {"2562047h47m16.854775807s", INT64_MAX},
};

START_TEST(test_duration_values)
{
    uint64_t got = 12345;
    const size_case *c = &durations[_i];
    ck_assert_msg(hs_parse_duration(c->text, &got) == HS_PARSE_OK, "'%s' was rejected", c->text);
    ck_assert_msg(got == c->bytes, "'%s' gave %" PRIu64 ", want %" PRIu64, c->text, got, c->bytes);
}
END_TEST

static const reject_case bad_durations[] = {
    {"", HS_PARSE_EMPTY},
    {"-1s", HS_PARSE_NEGATIVE},
    {"-0s", HS_PARSE_NEGATIVE},
    {"5x", HS_PARSE_SYNTAX},
    {"10", HS_PARSE_SYNTAX}, /* no unit */
    {"1.5", HS_PARSE_SYNTAX},
    {"s", HS_PARSE_SYNTAX},
    {"1 s", HS_PARSE_SYNTAX},
    {" 1s", HS_PARSE_SYNTAX},
    {"1S", HS_PARSE_SYNTAX},
    {"1sec", HS_PARSE_SYNTAX},
    {"1h-5m", HS_PARSE_SYNTAX},
    {"1h 5m", HS_PARSE_SYNTAX},
    {"1.s", HS_PARSE_SYNTAX},
    {".5s", HS_PARSE_SYNTAX},
    {"+1s", HS_PARSE_SYNTAX},
    {"1d", HS_PARSE_SYNTAX},
    {"9223372036854775808ns", HS_PARSE_RANGE},
    {"2562048h", HS_PARSE_RANGE},
    {"2562047h48m", HS_PARSE_RANGE},
    {"2562047h47m16.854775808s", HS_PARSE_RANGE},
    {"99999999999999999999999s", HS_PARSE_RANGE},
};

START_TEST(test_duration_rejects)
{
    uint64_t got = 777;
    const reject_case *c = &bad_durations[_i];
    hs_parse_status st = hs_parse_duration(c->text, &got);
    ck_assert_msg(st == c->status, "'%s': status %d, want %d", c->text, st, c->status);
    ck_assert_msg(got == 777, "'%s' wrote its result on failure", c->text);
}
END_TEST

/* ---- integers -------------------------------------------------------------- */

START_TEST(test_int_values)
{
    int64_t v = 0;
    ck_assert_int_eq(hs_parse_int("0", INT64_MIN, INT64_MAX, &v), HS_PARSE_OK);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(hs_parse_int("42", INT64_MIN, INT64_MAX, &v), HS_PARSE_OK);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(hs_parse_int("-7", INT64_MIN, INT64_MAX, &v), HS_PARSE_OK);
    ck_assert_int_eq(v, -7);
    ck_assert_int_eq(hs_parse_int("-0", 0, 0, &v), HS_PARSE_OK);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(hs_parse_int("0012", 0, 100, &v), HS_PARSE_OK);
    ck_assert_int_eq(v, 12);
    ck_assert_int_eq(hs_parse_int("9223372036854775807", INT64_MIN, INT64_MAX, &v), HS_PARSE_OK);
    ck_assert(v == INT64_MAX);
    ck_assert_int_eq(hs_parse_int("-9223372036854775808", INT64_MIN, INT64_MAX, &v), HS_PARSE_OK);
    ck_assert(v == INT64_MIN);
    ck_assert_int_eq(hs_parse_int("1", 1, 240, &v), HS_PARSE_OK);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(hs_parse_int("240", 1, 240, &v), HS_PARSE_OK);
    ck_assert_int_eq(v, 240);
}
END_TEST

typedef struct int_reject {
    const char *text;
    int64_t min, max;
    hs_parse_status status;
} int_reject;

static const int_reject bad_ints[] = {
    {"", 0, 10, HS_PARSE_EMPTY},
    {"abc", 0, 10, HS_PARSE_SYNTAX},
    {"1.5", 0, 10, HS_PARSE_SYNTAX},
    {"12a", 0, 100, HS_PARSE_SYNTAX},
    {" 1", 0, 10, HS_PARSE_SYNTAX},
    {"1 ", 0, 10, HS_PARSE_SYNTAX},
    {"+1", 0, 10, HS_PARSE_SYNTAX},
    {"-", 0, 10, HS_PARSE_SYNTAX},
    {"--1", -10, 10, HS_PARSE_SYNTAX},
    {"0x1", 0, 10, HS_PARSE_SYNTAX},
    {"1e3", 0, 10000, HS_PARSE_SYNTAX},
    {"99999999999999999999x", INT64_MIN, INT64_MAX, HS_PARSE_SYNTAX},
    {"9223372036854775808", INT64_MIN, INT64_MAX, HS_PARSE_RANGE},
    {"-9223372036854775809", INT64_MIN, INT64_MAX, HS_PARSE_RANGE},
    {"99999999999999999999", INT64_MIN, INT64_MAX, HS_PARSE_RANGE},
    {"0", 1, 240, HS_PARSE_RANGE},
    {"241", 1, 240, HS_PARSE_RANGE},
    {"-1", 0, 10, HS_PARSE_RANGE},
};

START_TEST(test_int_rejects)
{
    int64_t v = 777;
    const int_reject *c = &bad_ints[_i];
    hs_parse_status st = hs_parse_int(c->text, c->min, c->max, &v);
    ck_assert_msg(st == c->status, "'%s': status %d, want %d", c->text, st, c->status);
    ck_assert_msg(v == 777, "'%s' wrote its result on failure", c->text);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *make_suite(void)
{
    Suite *s = suite_create("cli/parse");
    TCase *tc = tcase_create("sizes");
    tcase_add_loop_test(tc, test_size_values, 0, N(sizes));
    tcase_add_loop_test(tc, test_size_rejects, 0, N(bad_sizes));
    suite_add_tcase(s, tc);
    tc = tcase_create("durations");
    tcase_add_loop_test(tc, test_duration_values, 0, N(durations));
    tcase_add_loop_test(tc, test_duration_rejects, 0, N(bad_durations));
    suite_add_tcase(s, tc);
    tc = tcase_create("integers");
    tcase_add_test(tc, test_int_values);
    tcase_add_loop_test(tc, test_int_rejects, 0, N(bad_ints));
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
