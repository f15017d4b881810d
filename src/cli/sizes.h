/*
 * sizes.h — readable byte counts, and the out-of-memory sentence (src/cli/
 * only).  Nothing here calls the runtime: the summary links it without one.
 */
#ifndef HS_CLI_SIZES_H
#define HS_CLI_SIZES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "heapscope/runtime.h"

/* "38.2 MiB", "512 B"; "none" for 0 when none0 is set.  Returns buf. */
const char *cli_fmt_bytes(char *buf, size_t n, uint64_t b, bool none0);
/* The out-of-memory sentence, the same for every mode: what was asked, the
 * heap in use and the cap, in readable sizes. */
void cli_report_oom(FILE *err, const hs_oom_info *oom);

#endif
