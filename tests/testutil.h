/*
 * testutil.h — shared scaffolding for heapscope's Check suites.
 *
 * Each test binary defines one suite with make_suite() and uses HS_TEST_MAIN to
 * run it; CK_FORK stays at Check's default so a crashing test fails alone.
 */
#ifndef HS_TESTUTIL_H
#define HS_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

#define HS_TEST_MAIN(make_suite)                                         \
    int main(void)                                                       \
    {                                                                    \
        SRunner *sr = srunner_create(make_suite());                      \
        srunner_run_all(sr, CK_NORMAL);                                  \
        int failed = srunner_ntests_failed(sr);                          \
        srunner_free(sr);                                                \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                \
    }

#endif
