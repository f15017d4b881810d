/*
 * trace.c — replays a real program's malloc trace through the Go-style heap:
 * trace:file=PATH[,speed=X].
 *
 * The trace (written by libheapscope-trace.so, read and planned by
 * trace_plan.c when the spec is parsed, so a bad file is bad input before
 * anything runs) becomes a list of operations on pointer slots.  The replay:
 *   - each allocation is an object of the same size, allocated pointer-free
 *     (a C block's words are not known to be pointers, and Go would allocate
 *     bytes as noscan too), so tiny blocks go to the tiny allocator;
 *   - each object is kept alive by its slot in a table: the runtime's first
 *     global points at a directory object, whose words point at chunk
 *     objects of CHUNK pointer slots each;
 *   - each free stores NULL into the slot: the object's last reference is
 *     gone and the collector reclaims it in its next cycle;
 *   - a realloc allocates the new object, then drops the old one.
 *
 * Threads: the trace's thread t runs on P t % nprocs.  Each P walks the
 * whole list in time order and runs its own threads' operations; an
 * operation on a slot waits until every earlier operation on that slot has
 * run (per-slot counters, planned ahead), so a block allocated by one thread
 * and freed by another is freed after it exists, whichever Ps they are on.
 * The wait is always for an earlier operation, so it cannot deadlock.
 *
 * Pace: speed=1 replays at the program's own pace, speed=X X times as
 * fast (trace time / X), speed=0 as fast as the heap allows.  A P that is
 * ahead sleeps with its P released (mut_pace), and time the world was
 * stopped is forgiven, not caught up (pace.c).
 *
 * Checks: every object of 8 bytes or more carries its slot and sequence in
 * its first word, checked when it is dropped: an object the collector freed
 * too early and handed out again fails the check.
 *
 * The report says what was replayed (allocations, bytes, frees) and what
 * the trace held that could not be (frees of blocks it never allocated,
 * failed calls), so the numbers can be checked against the file.
 *
 * Sharing: P 0 makes the slot table and the counters before the first
 * barrier; after it, slot counters are atomic (release after an operation,
 * acquire before one), and each slot's `tagged` is written before its
 * counter's release and read after its acquire.
 */
#include <config.h>

#include "workload/scenario.h"
#include "workload/trace_plan.h"

#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 1024 /* slots per chunk object */
#define NS_PER_S 1000000000LL
#define TAG_MAGIC 0x7472616365000000ULL /* "trace" */
#define MILLION 1000000                 /* decimals are kept in millionths */

enum { P_FILE, P_SPEED };

static const wl_param params[] = {
    {.key = "file", .kind = WL_STRING, .help = "the trace to replay (what HEAPSCOPE_TRACE named)"},
    {.key = "speed",
     .kind = WL_DECIMAL,
     .def = MILLION,
     .min = 0,
     .max = (int64_t)MILLION * MILLION,
     .help = "times the program's own pace; 0: as fast as possible"},
};

static const uint8_t slots_mask[] = {0x01};
static const hs_type slots_type = {"[]*trace.block", sizeof(void *), sizeof(void *), slots_mask};

typedef struct tr_shared {
    const tr_plan *plan;           /* P 0, before the first barrier */
    uint32_t *seq;                 /* [nslots], atomic: operations run on each slot */
    uint8_t *tagged;               /* [nslots]: the slot's object carries a tag */
    int64_t start_ns;              /* P 0, before the first barrier: mut_clock's reading */
    bool ready;                    /* P 0, before the first barrier */
    int nprocs;                    /* init */
    int active;                    /* atomic: Ps still in run(); the last frees seq and tagged */
    uint64_t allocs, bytes, frees; /* atomic sums of the Ps' counts */
} tr_shared;

typedef struct tr_count {
    uint64_t allocs, bytes, frees;
} tr_count;

static uint64_t tag_of(uint32_t slot, uint32_t seq)
{
    return TAG_MAGIC ^ ((uint64_t)slot << 32 | seq);
}

/* ---- the slot table ---------------------------------------------------------------- */

static void **slot_ref(mut_ctx *c, uint32_t slot)
{
    void **dir = hs_read_ptr(&hs_runtime_globals(c->rt)[0]);
    void **chunk = hs_read_ptr(&dir[slot / CHUNK]);
    return &chunk[slot % CHUNK];
}

static bool make_table(mut_ctx *c, uint32_t nslots)
{
    size_t nchunks = ((size_t)nslots + CHUNK - 1) / CHUNK;
    void **dir = mut_alloc(c, (nchunks > 0 ? nchunks : 1) * sizeof(void *), &slots_type);
    if (dir == NULL)
        return false;
    hs_write_ptr(c->pp, &hs_runtime_globals(c->rt)[0], dir);
    for (size_t i = 0; i < nchunks; i++) {
        void **chunk = mut_alloc(c, CHUNK * sizeof(void *), &slots_type);
        if (chunk == NULL)
            return false;
        hs_write_ptr(c->pp, &dir[i], chunk);
    }
    return true;
}

/* P 0, before the first barrier. */
static void setup(mut_ctx *c, tr_shared *sh)
{
    const tr_plan *pl = c->w->data;
    size_t n = pl->nslots > 0 ? pl->nslots : 1;
    sh->seq = calloc(n, sizeof *sh->seq);
    sh->tagged = calloc(n, sizeof *sh->tagged);
    if (!mut_check(c, sh->seq != NULL && sh->tagged != NULL,
                   "no memory for the counters of %u slots", pl->nslots) ||
        !make_table(c, pl->nslots))
        return;
    sh->plan = pl;
    sh->start_ns = mut_clock(c);
    sh->ready = true;
}

/* ---- one operation ------------------------------------------------------------------ */

/* Wait for op's time; false when the run stops first. */
static bool pace(mut_ctx *c, const tr_shared *sh, const tr_op *op)
{
    int64_t speed = c->values[P_SPEED]; /* millionths */
    if (speed == 0)
        return true;
    return mut_pace(c, sh->start_ns + (int64_t)((double)op->t_ns * MILLION / (double)speed));
}

static bool slot_ready(const tr_shared *sh, uint32_t slot, uint32_t seq)
{
    return slot == TR_NONE || __atomic_load_n(&sh->seq[slot], __ATOMIC_ACQUIRE) == seq;
}

/* Wait until every earlier operation on op's slots has run (on other Ps). */
static bool wait_turn(mut_ctx *c, const tr_shared *sh, const tr_op *op)
{
    while (!slot_ready(sh, op->slot, op->slot_seq) || !slot_ready(sh, op->drop, op->drop_seq)) {
        if (!mut_poll(c))
            return false;
        sched_yield();
    }
    return true;
}

static bool put_object(mut_ctx *c, tr_shared *sh, const tr_op *op, tr_count *n)
{
    void *obj = mut_alloc(c, op->size, NULL);
    if (obj == NULL)
        return false;
    bool tagged = op->size >= sizeof(uint64_t);
    if (tagged) {
        uint64_t tag = tag_of(op->slot, op->slot_seq);
        memcpy(obj, &tag, sizeof tag); /* a tiny object may be unaligned */
    }
    sh->tagged[op->slot] = tagged;
    hs_write_ptr(c->pp, slot_ref(c, op->slot), obj);
    n->allocs++;
    n->bytes += op->size;
    return true;
}

static bool drop_object(mut_ctx *c, tr_shared *sh, const tr_op *op, tr_count *n)
{
    void **ref = slot_ref(c, op->drop);
    void *obj = hs_read_ptr(ref);
    if (sh->tagged[op->drop]) {
        uint64_t tag, want = tag_of(op->drop, op->drop_seq - 1);
        memcpy(&tag, obj, sizeof tag);
        if (!mut_check(c, tag == want, "slot %u: object %p holds tag %#" PRIx64 ", not %#" PRIx64,
                       op->drop, obj, tag, want))
            return false;
    }
    hs_write_ptr(c->pp, ref, NULL);
    n->frees++;
    return true;
}

static bool apply(mut_ctx *c, tr_shared *sh, const tr_op *op, tr_count *n)
{
    if (op->slot != TR_NONE && !put_object(c, sh, op, n))
        return false;
    if (op->drop != TR_NONE && !drop_object(c, sh, op, n))
        return false;
    if (op->slot != TR_NONE)
        __atomic_store_n(&sh->seq[op->slot], op->slot_seq + 1, __ATOMIC_RELEASE);
    if (op->drop != TR_NONE)
        __atomic_store_n(&sh->seq[op->drop], op->drop_seq + 1, __ATOMIC_RELEASE);
    c->ops++;
    return true;
}

/* ---- the scenario --------------------------------------------------------------------- */

static void replay(mut_ctx *c, tr_shared *sh)
{
    const tr_plan *pl = sh->plan;
    tr_count n = {0};
    for (size_t i = 0; i < pl->nops; i++) {
        const tr_op *op = &pl->ops[i];
        if (op->thread % (uint32_t)c->nprocs != (uint32_t)c->id)
            continue;
        if (!mut_poll(c) || !pace(c, sh, op) || !wait_turn(c, sh, op) || !apply(c, sh, op, &n))
            break;
    }
    __atomic_fetch_add(&sh->allocs, n.allocs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->bytes, n.bytes, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->frees, n.frees, __ATOMIC_RELAXED);
}

static void trace_init(void *shared, const int64_t *values, int nprocs)
{
    tr_shared *sh = shared;
    sh->nprocs = nprocs;
    sh->active = nprocs;
}

static void trace_run(mut_ctx *c)
{
    tr_shared *sh = c->shared;
    if (c->id == 0)
        setup(c, sh);
    mut_barrier(c);
    if (sh->ready)
        replay(c, sh);
    if (__atomic_sub_fetch(&sh->active, 1, __ATOMIC_ACQ_REL) == 0) {
        free(sh->seq);
        free(sh->tagged);
    }
}

static void trace_report(const void *shared, const int64_t *values, FILE *out)
{
    const tr_shared *sh = shared;
    const tr_plan *pl = sh->plan;
    if (pl == NULL)
        return;
    fprintf(out, "trace %s: %" PRIu64 " records from %u thread%s over %.3f s\n", pl->path,
            pl->records, pl->nthreads, pl->nthreads == 1 ? "" : "s",
            (double)pl->span_ns / NS_PER_S);
    fprintf(out,
            "replayed %" PRIu64 " allocations (%" PRIu64 " bytes) and %" PRIu64 " frees on %d Ps\n",
            sh->allocs, sh->bytes, sh->frees, sh->nprocs);
    fprintf(out,
            "skipped %" PRIu64 " frees of blocks the trace never allocated, %" PRIu64
            " failed calls\n",
            pl->unknown, pl->failed);
}

static bool trace_load(hs_workload *w, char *why, size_t n)
{
    w->data = tr_plan_load(w->texts[P_FILE], why, n);
    return w->data != NULL;
}

static void trace_unload(void *data)
{
    tr_plan_free(data);
}

static size_t trace_nglobals(const int64_t *values, int nprocs)
{
    return 1; /* the slot table's directory */
}

static size_t trace_nslots(const int64_t *values)
{
    return 1;
}

const wl_scenario wl_trace = {
    .name = "trace",
    .help = "replay a real program's malloc trace (from libheapscope-trace.so)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 0,
    .shared_size = sizeof(tr_shared),
    .nglobals = trace_nglobals,
    .nslots = trace_nslots,
    .init = trace_init,
    .run = trace_run,
    .report = trace_report,
    .load = trace_load,
    .unload = trace_unload,
};
