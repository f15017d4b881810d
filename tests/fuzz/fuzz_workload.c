/*
 * fuzz_workload.c — the workload spec parser on any text.  Never a crash;
 * a spec it accepts, written back out in full (hs_workload_format, as
 * "NAME:k=v,..."), parses again to the same workload.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "binary-trees depth=18" (the format) as a spec: "binary-trees:depth=18". */
static void as_spec(const char *formatted, char *spec, size_t n)
{
    snprintf(spec, n, "%s", formatted);
    char *sp = strchr(spec, ' ');
    if (sp != NULL)
        *sp = ':';
    for (char *p = sp ? sp + 1 : spec; *p; p++)
        if (*p == ' ')
            *p = ',';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 512)
        return 0;
    char text[513], why[256], f1[512], f2[512], spec[512];
    memcpy(text, data, size);
    text[size] = '\0';
    hs_workload *w = NULL;
    if (hs_workload_parse(text, &w, why, sizeof(why)) != HS_WORKLOAD_OK) {
        if (w != NULL || strlen(why) == 0)
            abort(); /* a refusal comes with a sentence and no workload */
        return 0;
    }
    hs_workload_format(w, f1, sizeof(f1));
    as_spec(f1, spec, sizeof(spec));
    hs_workload *again = NULL;
    if (hs_workload_parse(spec, &again, why, sizeof(why)) != HS_WORKLOAD_OK)
        abort();
    hs_workload_format(again, f2, sizeof(f2));
    if (strcmp(f1, f2) != 0)
        abort();
    hs_workload_free(again);
    hs_workload_free(w);
    return 0;
}
