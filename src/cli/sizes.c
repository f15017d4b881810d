/*
 * sizes.c — byte counts as people read them ("38.2 MiB"), for the summary
 * and for the out-of-memory sentence every mode prints alike.
 */
#include <config.h>

#include <inttypes.h>

#include "cli/sizes.h"

/* "38.2 MiB", "512 B", "none" for 0 when none0 is set. */
const char *cli_fmt_bytes(char *buf, size_t n, uint64_t b, bool none0)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (b == 0 && none0) {
        snprintf(buf, n, "none");
        return buf;
    }
    if (b < 1024) {
        snprintf(buf, n, "%" PRIu64 " B", b);
        return buf;
    }
    double v = (double)b / 1024;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    snprintf(buf, n, "%.1f %s", v, units[u]);
    return buf;
}

void cli_report_oom(FILE *err, const hs_oom_info *oom)
{
    char asked[32], inuse[32], cap[32];
    fprintf(err,
            "heapscope: out of memory: asked for %s more with %s of heap in use; "
            "the cap, --max-heap, is %s\n",
            cli_fmt_bytes(asked, sizeof asked, oom->requested, false),
            cli_fmt_bytes(inuse, sizeof inuse, oom->heap_inuse, false),
            cli_fmt_bytes(cap, sizeof cap, oom->max_heap, false));
}
