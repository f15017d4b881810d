/*
 * churn.c — a long-lived pointer graph rewired under the collector, with
 * short-lived garbage streaming through.
 *
 * Each P owns a part of the graph and touches nothing else (no two threads
 * store into one object):
 *   - a table of nodes, in chunk objects of CHUNK pointers; the chunks hang
 *     from the runtime's globals (P i owns globals [i*chunks, (i+1)*chunks));
 *   - nodes of eight kinds, 24 to 512 bytes with 1 to 4 pointer fields, whose
 *     fields point at other nodes of the P.
 * The table holds about `live` bytes of nodes.  Nodes that left the table
 * but are still linked from a field stay alive on top of that; they have no
 * fields of their own any more, so they keep nothing else alive, and the
 * live heap stays below about twice `live`.
 *
 * One mutation step:
 *   1. `rate` pointer stores: a random field of a random table node is set to
 *      another random table node with hs_write_ptr (the old pointee dropped);
 *   2. one table node is replaced by a new node; the old one's fields are
 *      cleared, and it becomes garbage unless a field still links it;
 *   3. `garbage` bytes of short-lived objects: nodes chained from the
 *      goroutine's slot and pointer-free buffers (tiny ones included), all
 *      dropped at the end of the step.
 * Step 1 is what the hybrid write barrier exists for: under concurrent mark
 * a node reachable only through a field that is being overwritten must still
 * be marked.
 *
 * The run ends with the duration or, with steps > 0, after that many steps
 * on each P: same seed and steps, same operations.
 *
 * Checks: every node carries a tag in word 0 (magic, owning P, kind, graph or
 * garbage) and its complement in its last word.  Every node the step reads —
 * the table node and the old pointee of each store — is checked, and at the
 * end the whole table and its fields are.  A node the collector freed too
 * early and handed out again fails the check.
 */
#include <config.h>

#include "workload/scenario.h"
#include "workload/rand.h"

#include <inttypes.h>

#define CHUNK 1024                       /* table pointers per chunk object */
#define TAG_MAGIC ((uint64_t)0x6368726e) /* "chrn" */
#define TAG_GARBAGE 0x100
#define MAX_BUFFER 1024 /* pointer-free garbage buffers: 1..MAX_BUFFER bytes */
#define NS_PER_S 1000000000ULL

typedef struct churn_node {
    uint64_t tag; /* word 0; the last word holds ~tag */
    void *ptrs[]; /* 1..4 pointer fields, then pointer-free payload */
} churn_node;

typedef struct churn_kind {
    hs_type type;
    int nptrs;
} churn_kind;

/* Word 0 is the tag; words 1..nptrs are pointers. */
static const uint8_t mask1[] = {0x02}, mask2[] = {0x06}, mask3[] = {0x0e}, mask4[] = {0x1e};
static const churn_kind kinds[] = {
    {{"churn.node24", 24, 16, mask1}, 1},   {{"churn.node32", 32, 24, mask2}, 2},
    {{"churn.node48", 48, 24, mask2}, 2},   {{"churn.node64", 64, 32, mask3}, 3},
    {{"churn.node96", 96, 40, mask4}, 4},   {{"churn.node128", 128, 16, mask1}, 1},
    {{"churn.node256", 256, 40, mask4}, 4}, {{"churn.node512", 512, 24, mask2}, 2},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const uint8_t chunk_mask[] = {0x01};
static const hs_type chunk_type = {"[]*churn.node", sizeof(void *), sizeof(void *), chunk_mask};

enum { P_LIVE, P_RATE, P_GARBAGE, P_STEPS };

static const wl_param params[] = {
    {"live", WL_SIZE, 64 << 20, 1 << 10, (int64_t)1 << 40,
     "bytes of nodes the graph's table holds"},
    {"rate", WL_INT, 4, 0, 4096, "pointer stores into the graph per step"},
    {"garbage", WL_SIZE, 1 << 10, 0, 16 << 20, "bytes of short-lived garbage per step"},
    {"steps", WL_INT, 0, 0, 1000000000, "steps per P, then stop; 0: until the duration ends"},
};

/* One P's part of the graph; lives on its thread's stack. */
typedef struct churn_p {
    wl_rand rng;
    void **globals;
    size_t first_chunk, nchunks, nodes;
    uint64_t tag_base; /* magic and P */
} churn_p;

/* ---- sizes ---------------------------------------------------------------------- */

static uint64_t mean_node_size(void)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < NKINDS; i++)
        sum += kinds[i].type.size;
    return sum / NKINDS;
}

static size_t nodes_per_p(const int64_t *values, int nprocs)
{
    uint64_t total = (uint64_t)values[P_LIVE] / mean_node_size();
    if (total == 0)
        total = 1;
    return (size_t)((total + (uint64_t)nprocs - 1) / (uint64_t)nprocs);
}

static size_t chunks_per_p(const int64_t *values, int nprocs)
{
    return (nodes_per_p(values, nprocs) + CHUNK - 1) / CHUNK;
}

/* ---- nodes -------------------------------------------------------------------- */

static void **table_slot(const churn_p *st, size_t j)
{
    void **chunk = hs_read_ptr(&st->globals[st->first_chunk + j / CHUNK]);
    return &chunk[j % CHUNK];
}

static churn_node *random_node(churn_p *st, size_t below)
{
    return hs_read_ptr(table_slot(st, (size_t)wl_rand_below(&st->rng, below)));
}

static uint64_t *guard_of(churn_node *n, const churn_kind *k)
{
    return (uint64_t *)((char *)n + k->type.size) - 1;
}

static bool node_ok(const churn_p *st, churn_node *n, uint64_t want_garbage)
{
    uint64_t tag = n->tag;
    size_t kind = tag & 0xff;
    if ((tag & ~(uint64_t)0x1ff) != st->tag_base || (tag & TAG_GARBAGE) != want_garbage ||
        kind >= NKINDS)
        return false;
    return *guard_of(n, &kinds[kind]) == ~tag;
}

static bool check_node(mut_ctx *c, const churn_p *st, churn_node *n, const char *what)
{
    return mut_check(c, n != NULL && node_ok(st, n, 0), "%s %p: tag %#" PRIx64, what, (void *)n,
                     n != NULL ? n->tag : 0);
}

/* A node of a random kind, its fields linked to random table nodes among the
 * first `targets`.  NULL when out of memory. */
static churn_node *new_node(mut_ctx *c, churn_p *st, size_t targets, uint64_t garbage)
{
    size_t kind = (size_t)wl_rand_below(&st->rng, NKINDS);
    const churn_kind *k = &kinds[kind];
    churn_node *n = mut_alloc(c, k->type.size, &k->type);
    if (n == NULL)
        return NULL;
    n->tag = st->tag_base | garbage | kind;
    *guard_of(n, k) = ~n->tag;
    for (int f = 0; f < k->nptrs && targets > 0; f++)
        hs_write_ptr(c->pp, &n->ptrs[f], random_node(st, targets));
    return n;
}

/* ---- building and checking the graph ------------------------------------------------ */

static bool build_table(mut_ctx *c, churn_p *st)
{
    for (size_t i = 0; i < st->nchunks; i++) {
        void **chunk = mut_alloc(c, CHUNK * sizeof(void *), &chunk_type);
        if (chunk == NULL)
            return false;
        hs_write_ptr(c->pp, &st->globals[st->first_chunk + i], chunk);
        if (!mut_poll(c))
            return false;
    }
    return true;
}

static bool build_graph(mut_ctx *c, churn_p *st)
{
    if (!build_table(c, st))
        return false;
    for (size_t j = 0; j < st->nodes; j++) {
        churn_node *n = new_node(c, st, j, 0);
        if (n == NULL)
            return false;
        hs_write_ptr(c->pp, table_slot(st, j), n);
        if (!mut_poll(c))
            return false;
    }
    return true;
}

static bool check_fields(mut_ctx *c, const churn_p *st, churn_node *n)
{
    const churn_kind *k = &kinds[n->tag & 0xff];
    for (int f = 0; f < k->nptrs; f++) {
        churn_node *t = hs_read_ptr(&n->ptrs[f]);
        if (t != NULL && !check_node(c, st, t, "linked node"))
            return false;
    }
    return true;
}

/* The whole table and every field, at the end of the run. */
static void check_graph(mut_ctx *c, const churn_p *st)
{
    for (size_t j = 0; j < st->nodes; j++) {
        churn_node *n = hs_read_ptr(table_slot(st, j));
        if (!check_node(c, st, n, "table node") || !check_fields(c, st, n))
            return;
        if (j % CHUNK == 0)
            hs_safepoint(c->pp);
    }
}

/* ---- a mutation step ----------------------------------------------------------------- */

static bool store_edge(mut_ctx *c, churn_p *st)
{
    churn_node *a = random_node(st, st->nodes);
    if (!check_node(c, st, a, "table node"))
        return false;
    void **field = &a->ptrs[wl_rand_below(&st->rng, (uint64_t)kinds[a->tag & 0xff].nptrs)];
    churn_node *old = hs_read_ptr(field);
    if (old != NULL && !check_node(c, st, old, "old pointee"))
        return false;
    hs_write_ptr(c->pp, field, random_node(st, st->nodes));
    return true;
}

/* The old node loses its fields as it leaves the table: a node still linked
 * from a field then keeps nothing else alive, so retention stays one hop. */
static bool replace_node(mut_ctx *c, churn_p *st)
{
    size_t j = (size_t)wl_rand_below(&st->rng, st->nodes);
    churn_node *n = new_node(c, st, st->nodes, 0);
    if (n == NULL)
        return false;
    void **slot = table_slot(st, j);
    churn_node *old = hs_read_ptr(slot);
    if (!check_node(c, st, old, "replaced node"))
        return false;
    hs_write_ptr(c->pp, slot, n);
    for (int f = 0; f < kinds[old->tag & 0xff].nptrs; f++)
        hs_write_ptr(c->pp, &old->ptrs[f], NULL);
    return true;
}

/* Garbage nodes chain from slot 0 (a root while the step runs); buffers are
 * dropped at once. */
static bool stream_garbage(mut_ctx *c, churn_p *st, void **slot)
{
    uint64_t want = (uint64_t)c->values[P_GARBAGE], done = 0;
    while (done < want) {
        if (wl_rand_next(&st->rng) & 1) {
            size_t size = 1 + (size_t)wl_rand_below(&st->rng, MAX_BUFFER);
            if (mut_alloc(c, size, NULL) == NULL)
                return false;
            done += size;
            continue;
        }
        churn_node *n = new_node(c, st, 0, TAG_GARBAGE);
        if (n == NULL)
            return false;
        hs_write_ptr(c->pp, &n->ptrs[0], *slot);
        *slot = n;
        done += kinds[n->tag & 0xff].type.size;
    }
    *slot = NULL;
    return true;
}

static bool step(mut_ctx *c, churn_p *st)
{
    void **slots = hs_g_slots(c->g);
    for (int64_t i = 0; i < c->values[P_RATE]; i++)
        if (!store_edge(c, st))
            return false;
    if (!replace_node(c, st) || !stream_garbage(c, st, &slots[0]))
        return false;
    c->ops++;
    return true;
}

/* ---- the scenario ------------------------------------------------------------------- */

static void churn_run(mut_ctx *c)
{
    churn_p st = {
        .globals = hs_runtime_globals(c->rt),
        .nchunks = chunks_per_p(c->values, c->nprocs),
        .nodes = nodes_per_p(c->values, c->nprocs),
        .tag_base = TAG_MAGIC << 32 | (uint64_t)(c->id & 0xffff) << 16,
    };
    st.first_chunk = (size_t)c->id * st.nchunks;
    wl_rand_seed(&st.rng, c->seed, c->id);
    if (!build_graph(c, &st))
        return;
    uint64_t steps = (uint64_t)c->values[P_STEPS];
    for (uint64_t i = 0; (steps == 0 || i < steps) && mut_poll(c); i++)
        if (!step(c, &st))
            break;
    check_graph(c, &st);
}

static size_t churn_nglobals(const int64_t *values, int nprocs)
{
    return (size_t)nprocs * chunks_per_p(values, nprocs);
}

const wl_scenario wl_churn = {
    .name = "churn",
    .help = "a long-lived pointer graph rewired as garbage streams through",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 10 * NS_PER_S,
    .shared_size = 0,
    .nglobals = churn_nglobals,
    .nslots = wl_nslots_one,
    .init = NULL,
    .run = churn_run,
    .report = NULL,
};
