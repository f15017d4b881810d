/*
 * setup.c — the first steps shared by the headless and the live sessions.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/setup.h"

int cli_parse_workload(const hs_options *o, FILE *err, hs_workload **w, char *name, size_t n)
{
    char why[768]; /* a trace's sentence names its path and, when missing, another */
    if (hs_workload_parse(o->workload, w, why, sizeof why) == HS_WORKLOAD_OK) {
        hs_workload_format(*w, name, n);
        return 0;
    }
    fprintf(err, "heapscope: --workload: %s\n", why);
    fputs("Try 'heapscope --workload help' for the workloads and their parameters.\n", err);
    return EXIT_USAGE;
}

hs_config cli_config(const hs_options *o, const hs_workload *w)
{
    hs_config cfg = hs_config_default();
    size_t need = hs_workload_nglobals(w, o->procs);
    cfg.nprocs = o->procs;
    cfg.gogc = o->gogc;
    cfg.max_heap = o->max_heap;
    cfg.memory_limit = o->memory_limit;
    cfg.gcmode = o->gc == HS_CLI_GC_GREENTEA ? HS_GC_GREENTEA : HS_GC_CLASSIC;
    cfg.background = true;
    cfg.verify = o->verify;
    cfg.nglobals = need > cfg.nglobals ? need : cfg.nglobals;
    return cfg;
}

int cli_start_runtime(const hs_config *cfg, FILE *err, hs_runtime **rt)
{
    hs_status st = hs_runtime_new(cfg, rt);
    if (st == HS_OK)
        return 0;
    fprintf(err, "heapscope: cannot start the runtime: %s\n",
            st == HS_EINVAL ? "it refused the configuration" : "the system refused memory");
    return st == HS_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

uint64_t cli_pick_seed(const hs_options *o)
{
    if (o->seed_given)
        return o->seed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^ (uint64_t)getpid() << 40;
    return x & (uint64_t)INT64_MAX; /* --seed takes 0..INT64_MAX */
}

int cli_check_record_path(const hs_options *o, FILE *err)
{
    if (o->record == NULL)
        return 0;
    int fd = open(o->record, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) { /* it can be made: leave no empty file behind */
        close(fd);
        unlink(o->record);
        return 0;
    }
    if (errno == EEXIST && access(o->record, W_OK) == 0)
        return 0;
    fprintf(err, "heapscope: --record: cannot create the recording %s: %s\n", o->record,
            strerror(errno));
    return EXIT_USAGE;
}
