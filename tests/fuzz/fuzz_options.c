/*
 * fuzz_options.c — the command line parser on any words: the input is split
 * into argv at NUL and newline bytes.  It must never crash, and a command
 * line it accepts must hold values inside their documented ranges.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    static char prog[] = "heapscope";
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[65] = {prog};
    int argc = 1;
    char *p = buf;
    for (size_t i = 0; i <= size && argc < 64; i++) {
        if (buf[i] == '\n' || buf[i] == '\0') {
            buf[i] = '\0';
            argv[argc++] = p;
            p = buf + i + 1;
        }
    }
    argv[argc] = NULL;
    FILE *err = fopen("/dev/null", "w");
    hs_options o;
    /* --help and --version print to stdout: keep it quiet. */
    FILE *saved = stdout;
    stdout = err;
    hs_options_result r = hs_options_parse(argc, argv, &o, err);
    stdout = saved;
    if (r == HS_OPTIONS_RUN) {
        if (o.procs < 1 || o.procs > HS_PROCS_MAX || o.fps < HS_FPS_MIN || o.fps > HS_FPS_MAX ||
            (o.gctrace < 0 || o.gctrace > 2) || o.workload == NULL)
            abort();
        (void)hs_options_mode(&o);
    }
    fclose(err);
    free(buf);
    return 0;
}
