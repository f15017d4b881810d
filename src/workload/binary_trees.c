/*
 * binary_trees.c — the benchmarks game's binary-trees, on heapscope's heap.
 *
 * The reference programs (Go's among them), with N the depth parameter,
 * max = max(N, 6) and min = 4:
 *   1. build a "stretch" tree of depth max+1, check it, drop it;
 *   2. build a long-lived tree of depth max and keep it to the end;
 *   3. for d = 4, 6, ..., max: build and check 1 << (max - d + 4) trees of
 *      depth d, one goroutine per depth (as Go's program does), the depths
 *      shared out over the Ps;
 *   4. check the long-lived tree;
 * and print, in this order:
 *   stretch tree of depth 19\t check: 1048575
 *   262144\t trees of depth 4\t check: 8126464
 *   ...
 *   long lived tree of depth 18\t check: 524287
 * A check is the number of nodes (Go's itemCheck), and every one is verified
 * against the closed form 2^(d+1) - 1 per tree of depth d: a mismatch means
 * the collector freed or a mutator lost a node, and fails the run.
 *
 * Here: P 0's goroutine does steps 1, 2 and 4 while the other Ps wait at a
 * barrier with their P released (Go's idle Ps); every P takes depths from a
 * shared counter for step 3, each depth on a goroutine of its own.
 *
 * Roots: a tree under construction is kept in its goroutine's slots.  Trees
 * are built bottom-up like Go's bottomUpTree (left subtree, right subtree,
 * then their parent), a tree of depth d into slot k using slots k..k+d: the
 * finished subtrees wait in slots k and k+1 while the parent is allocated, so
 * every node is reachable from a slot or from a reachable node at each safe
 * point.  Nodes are 16 bytes with two pointer words, linked with hs_write_ptr.
 */
#include <config.h>

#include "workload/scenario.h"

#include <inttypes.h>

#define MIN_DEPTH 4
#define DEPTH_PARAM_MAX 30
#define NDEPTHS ((DEPTH_PARAM_MAX - MIN_DEPTH) / 2 + 1)
#define POLL_HEIGHT 8                /* item_check polls at subtrees this high */
#define TOO_DEEP ((uint64_t)1 << 40) /* counted for a node below depth 0: never a valid check */

typedef struct bt_node {
    void *left, *right;
} bt_node;

static const uint8_t node_ptrmask[] = {0x03}; /* both words are pointers */
static const hs_type node_type = {"main.Node", sizeof(bt_node), sizeof(bt_node), node_ptrmask};

typedef struct bt_depth {
    bool done;
    uint64_t iterations, check;
} bt_depth;

typedef struct bt_shared {
    int max_depth; /* immutable after init */
    uint32_t next; /* atomic: index of the next depth to take */
    /* Written by P 0 (stretch, long-lived) or the P that ran a depth; read
     * after join. */
    bool stretch_done, long_done;
    uint64_t stretch_check, long_check;
    bt_depth depths[NDEPTHS];
} bt_shared;

enum { P_DEPTH };

static const wl_param params[] = {
    {"depth", WL_INT, 18, 0, DEPTH_PARAM_MAX, "max depth N; below 6 counts as 6"},
};

static int max_depth_of(const int64_t *values)
{
    return values[P_DEPTH] < MIN_DEPTH + 2 ? MIN_DEPTH + 2 : (int)values[P_DEPTH];
}

/* The closed form of itemCheck for a tree of depth d. */
static uint64_t nodes_of(int d)
{
    return ((uint64_t)1 << (d + 1)) - 1;
}

/* ---- trees ---------------------------------------------------------------------- */

/* Go's bottomUpTree: a tree of depth d into slots[k], using slots k..k+d.
 * False when out of memory. */
static bool build(mut_ctx *c, void **slots, size_t k, int d)
{
    if (d > 0 && (!build(c, slots, k, d - 1) || !build(c, slots, k + 1, d - 1)))
        return false;
    bt_node *n = mut_alloc(c, sizeof *n, &node_type);
    if (n == NULL)
        return false;
    if (d > 0) {
        hs_write_ptr(c->pp, &n->left, slots[k]);
        hs_write_ptr(c->pp, &n->right, slots[k + 1]);
        slots[k + 1] = NULL;
    }
    slots[k] = n;
    return true;
}

/* Go's itemCheck, the nodes under n (a tree of depth `height`).  It never
 * goes below height 0, so a corrupted tree cannot run it away. */
static uint64_t item_check(mut_ctx *c, const bt_node *n, int height)
{
    const bt_node *l = hs_read_ptr(&n->left), *r = hs_read_ptr(&n->right);
    if (height >= POLL_HEIGHT)
        hs_safepoint(c->pp);
    if (height == 0)
        return l == NULL && r == NULL ? 1 : TOO_DEEP;
    uint64_t count = 1;
    if (l != NULL)
        count += item_check(c, l, height - 1);
    if (r != NULL)
        count += item_check(c, r, height - 1);
    return count;
}

/* Build, check and drop one tree of depth d in slots[0]: its check, or 0. */
static uint64_t one_tree(mut_ctx *c, void **slots, int d, const char *what)
{
    if (!build(c, slots, 0, d))
        return 0;
    uint64_t n = item_check(c, slots[0], d);
    slots[0] = NULL;
    c->ops++;
    if (!mut_check(c, n == nodes_of(d), "%s of depth %d: check %" PRIu64 ", want %" PRIu64, what, d,
                   n, nodes_of(d)))
        return 0;
    return n;
}

/* ---- the program's steps ---------------------------------------------------------- */

static void stretch(mut_ctx *c, bt_shared *s)
{
    uint64_t n = one_tree(c, hs_g_slots(c->g), s->max_depth + 1, "stretch tree");
    if (n != 0) {
        s->stretch_check = n;
        s->stretch_done = true;
    }
}

static void check_long_lived(mut_ctx *c, bt_shared *s)
{
    int d = s->max_depth;
    uint64_t n = item_check(c, hs_g_slots(c->g)[0], d);
    if (mut_check(c, n == nodes_of(d),
                  "long lived tree of depth %d: check %" PRIu64 ", want %" PRIu64, d, n,
                  nodes_of(d))) {
        s->long_check = n;
        s->long_done = true;
    }
}

/* One depth's goroutine: iterations trees of depth d. */
static void run_depth(mut_ctx *c, bt_shared *s, uint32_t i, int d)
{
    hs_g *g = mut_g_new(c, (size_t)d + 1);
    if (g == NULL)
        return;
    uint64_t iterations = (uint64_t)1 << (s->max_depth - d + MIN_DEPTH), check = 0, it;
    for (it = 0; it < iterations && mut_poll(c); it++) {
        uint64_t n = one_tree(c, hs_g_slots(g), d, "tree");
        if (n == 0)
            break;
        check += n;
    }
    hs_g_free(g);
    if (it == iterations &&
        mut_check(c, check == iterations * nodes_of(d),
                  "%" PRIu64 " trees of depth %d: check %" PRIu64 ", want %" PRIu64, iterations, d,
                  check, iterations * nodes_of(d)))
        s->depths[i] = (bt_depth){true, iterations, check};
}

static void depths(mut_ctx *c, bt_shared *s)
{
    for (;;) {
        uint32_t i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
        int d = MIN_DEPTH + 2 * (int)i;
        if (d > s->max_depth || !mut_running(c))
            return;
        run_depth(c, s, i, d);
    }
}

static void bt_run(mut_ctx *c)
{
    bt_shared *s = c->shared;
    void **slots = hs_g_slots(c->g);
    if (c->id == 0 && mut_running(c)) {
        stretch(c, s);
        if (mut_running(c) && build(c, slots, 0, s->max_depth))
            c->ops++;
    }
    mut_barrier(c); /* Go: the goroutines start after the long-lived tree */
    depths(c, s);
    mut_barrier(c); /* Go: wg.Wait() */
    if (c->id == 0 && mut_running(c))
        check_long_lived(c, s);
    slots[0] = NULL;
}

/* ---- the scenario --------------------------------------------------------------- */

static void bt_init(void *shared, const int64_t *values, int nprocs)
{
    bt_shared *s = shared;
    s->max_depth = max_depth_of(values);
}

static void bt_report(const void *shared, const int64_t *values, FILE *out)
{
    const bt_shared *s = shared;
    int max = s->max_depth;
    if (s->stretch_done)
        fprintf(out, "stretch tree of depth %d\t check: %" PRIu64 "\n", max + 1, s->stretch_check);
    for (int i = 0; MIN_DEPTH + 2 * i <= max; i++)
        if (s->depths[i].done)
            fprintf(out, "%" PRIu64 "\t trees of depth %d\t check: %" PRIu64 "\n",
                    s->depths[i].iterations, MIN_DEPTH + 2 * i, s->depths[i].check);
    if (s->long_done)
        fprintf(out, "long lived tree of depth %d\t check: %" PRIu64 "\n", max, s->long_check);
}

/* Enough for the stretch tree: depth max + 1 uses max + 2 slots. */
static size_t bt_nslots(const int64_t *values)
{
    return (size_t)max_depth_of(values) + 2;
}

const wl_scenario wl_binary_trees = {
    .name = "binary-trees",
    .help = "the benchmarks game's binary-trees, checked against its output",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 0,
    .shared_size = sizeof(bt_shared),
    .nglobals = wl_nglobals_none,
    .nslots = bt_nslots,
    .init = bt_init,
    .run = bt_run,
    .report = bt_report,
};
