/*
 * fuzz_parse.c — the size and duration parsers on any text.  Never a crash;
 * an accepted size or duration is consistent with its digits: a plain
 * number of bytes parses to itself, and a value parsed twice parses alike.
 */
#include <config.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char text[257];
    memcpy(text, data, size);
    text[size] = '\0';
    uint64_t a, b;
    hs_parse_status s1 = hs_parse_size(text, &a), s2 = hs_parse_size(text, &b);
    if (s1 != s2 || (s1 == HS_PARSE_OK && a != b))
        abort();
    if (s1 == HS_PARSE_OK && size > 0 && strspn(text, "0123456789") == size) {
        char again[32];
        snprintf(again, sizeof(again), "%" PRIu64, a);
        if (strtoull(text, NULL, 10) != a)
            abort();
    }
    s1 = hs_parse_duration(text, &a);
    s2 = hs_parse_duration(text, &b);
    if (s1 != s2 || (s1 == HS_PARSE_OK && a != b))
        abort();
    return 0;
}
