/*
 * fuzz_trace.c — the trace reader (src/tracer/reader.c) on any bytes: it
 * must never crash or read outside the buffer, and every refusal is a
 * sentence naming a byte offset inside the file.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so a read past the end is caught. */
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    char why[256];
    hs_trace_reader *r = hs_trace_open_mem(buf, size, why, sizeof(why));
    if (r == NULL) {
        if (strstr(why, "byte") == NULL && strstr(why, "offset") == NULL)
            abort(); /* a refusal must say where */
        free(buf);
        return 0;
    }
    hs_trace_record rec;
    int rc;
    uint64_t last = 0;
    while ((rc = hs_trace_next(r, &rec, why, sizeof(why))) == 1) {
        if (rec.offset >= size || rec.offset < last)
            abort(); /* records lie inside the file, in order */
        last = rec.offset;
    }
    if (rc < 0 && strstr(why, "byte") == NULL && strstr(why, "offset") == NULL)
        abort();
    hs_trace_close(r);
    free(buf);
    return 0;
}
