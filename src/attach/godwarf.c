/*
 * godwarf.c — the table: every global, constant and field the reader uses,
 * found in the program's DWARF by name, with the names of each Go version.
 *
 * Go's DWARF, as the linker writes it (checked on Go 1.19 and 1.26):
 *   - every package is a compile unit whose top-level DIEs are its
 *     variables (DW_TAG_variable, DW_AT_location a DW_OP_addr block, which
 *     libdw's dwarf_getlocation refuses, so the block is decoded here),
 *     constants (DW_TAG_constant, DW_AT_const_value) and types;
 *   - each named type appears twice, as a DW_TAG_structure_type and a
 *     DW_TAG_typedef of the same name: fields are looked up on the first;
 *   - a member's place is a constant DW_AT_data_member_location.
 *
 * Resolution:
 *   1. one pass over the top-level DIEs of every unit keeps those whose
 *      names the table asks for;
 *   2. each entry is tried name by name ("a|b": b where a is missing): a
 *      constant's value, a global's address plus the load bias and its
 *      width, a field's offset, width and (arrays) element width, following
 *      nested fields ("state.s") and typedefs;
 *   3. the first required entry that is missing makes the answer: one
 *      sentence naming it.
 * A field whose type changed between versions (uint32 to atomic.Uint32,
 * uintptr to uint16) needs no entry of its own: its width comes from DWARF
 * and go_get reads an integer of that width.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach/attachint.h"

#define MAX_WANTED 96

typedef enum entry_kind { E_CONST, E_VAR, E_FIELD, E_SIZE } entry_kind;

typedef struct entry {
    entry_kind kind;
    const char *root; /* constant, global or type (or global whose type is meant) */
    const char *path; /* field path, for E_FIELD */
    bool optional;
    size_t dst; /* offsetof into go_layout */
} entry;

#define L(f) offsetof(go_layout, f)
/* clang-format off */
#define CONST(n, f) {E_CONST, n, NULL, false, L(f)}
#define VAR(n, f) {E_VAR, n, NULL, false, L(f)}
#define OPTVAR(n, f) {E_VAR, n, NULL, true, L(f)}
#define FIELD(t, p, f) {E_FIELD, t, p, false, L(f)}
#define OPTFIELD(t, p, f) {E_FIELD, t, p, true, L(f)}
/* clang-format on */

/* Names in 1.19 first; "|" separates those of other versions. */
static const entry table[] = {
    CONST("runtime._PageSize|internal/runtime/gc.PageSize", page_size),
    CONST("runtime.heapArenaBytes", arena_bytes),
    CONST("runtime.arenaL1Bits", arena_l1_bits),
    CONST("runtime.arenaL2Bits", arena_l2_bits),
    CONST("runtime.arenaBaseOffsetUintptr|runtime.arenaBaseOffset", arena_base),
    VAR("runtime.mheap_", mheap),
    VAR("runtime.allp", allp),
    VAR("runtime.gcphase", gcphase),
    VAR("runtime.work", work),
    VAR("runtime.memstats", memstats),
    VAR("runtime.gcController", gc_controller),
    VAR("runtime.emptymspan", emptymspan),
    VAR("runtime.gomaxprocs", gomaxprocs),
    OPTVAR("runtime.class_to_size|internal/runtime/gc.SizeClassToSize", class_size),
    OPTVAR("runtime.class_to_allocnpages|internal/runtime/gc.SizeClassToNPages", class_npages),
    FIELD("runtime.mheap", "sweepgen", mh_sweepgen),
    FIELD("runtime.mheap", "arenas", mh_arenas),
    FIELD("runtime.mheap", "allArenas|heapArenas", mh_all_arenas),
    {E_CONST, "runtime.heapAddrBits", NULL, true, L(heap_addr_bits)},
    {E_CONST, "runtime.logPallocChunkBytes", NULL, true, L(log_chunk_bytes)},
    OPTFIELD("runtime.mheap", "pages.chunks", mh_chunks),
    OPTFIELD("runtime.mheap", "pages.inUse.ranges", mh_in_use),
    OPTFIELD("runtime.pallocData", "pallocBits", pd_alloc),
    OPTFIELD("runtime.pallocData", "scavenged", pd_scavenged),
    {E_SIZE, "runtime.pallocData", NULL, true, L(pd_size)},
    FIELD("runtime.heapArena", "spans", ha_spans),
    FIELD("runtime.heapArena", "pageInUse", ha_page_in_use),
    OPTFIELD("runtime.heapArena", "pageUseSpanInlineMarkBits", ha_inline_marks),
    {E_SIZE, "runtime.mspan", NULL, false, L(span_size)},
    FIELD("runtime.mspan", "startAddr", sp_start),
    FIELD("runtime.mspan", "npages", sp_npages),
    FIELD("runtime.mspan", "freeindex", sp_freeindex),
    FIELD("runtime.mspan", "nelems", sp_nelems),
    FIELD("runtime.mspan", "allocCount", sp_alloc_count),
    FIELD("runtime.mspan", "spanclass", sp_spanclass),
    FIELD("runtime.mspan", "state", sp_state),
    FIELD("runtime.mspan", "sweepgen", sp_sweepgen),
    FIELD("runtime.mspan", "elemsize", sp_elemsize),
    FIELD("runtime.mspan", "allocBits", sp_alloc_bits),
    FIELD("runtime.mspan", "gcmarkBits", sp_gcmark_bits),
    FIELD("runtime.mcache", "alloc", mc_alloc),
    FIELD("runtime.mcache", "tiny", mc_tiny),
    FIELD("runtime.mcache", "tinyoffset", mc_tinyoffset),
    OPTFIELD("runtime.mcache", "tinyAllocs", mc_tiny_allocs),
    FIELD("runtime.p", "id", p_id),
    FIELD("runtime.p", "status", p_status),
    FIELD("runtime.p", "mcache", p_mcache),
    OPTFIELD("runtime.p", "gcMarkWorkerMode", p_worker_mode),
    FIELD("runtime.work", "cycles", wk_cycles),
    FIELD("runtime.memstats", "numgc", ms_numgc),
    FIELD("runtime.memstats", "numforcedgc", ms_numforcedgc),
    FIELD("runtime.memstats", "pause_total_ns", ms_pause_total),
    FIELD("runtime.memstats", "pause_ns", ms_pause_ns),
    OPTFIELD("runtime.memstats", "heapStats.stats", ms_heap_stats),
    OPTFIELD("runtime.heapStatsDelta", "tinyAllocCount", hd_tiny),
    OPTFIELD("runtime.heapStatsDelta", "largeAlloc", hd_large_alloc),
    OPTFIELD("runtime.heapStatsDelta", "largeAllocCount", hd_large_count),
    OPTFIELD("runtime.heapStatsDelta", "smallAllocCount", hd_small_count),
    OPTFIELD("runtime.heapStatsDelta", "largeFree", hd_large_free),
    OPTFIELD("runtime.heapStatsDelta", "largeFreeCount", hd_large_free_count),
    OPTFIELD("runtime.heapStatsDelta", "smallFreeCount", hd_small_free),
    FIELD("runtime.gcController", "heapLive", gc_heap_live),
    FIELD("runtime.gcController", "heapMarked", gc_heap_marked),
    FIELD("runtime.gcController", "gcPercentHeapGoal|lastHeapGoal", gc_heap_goal),
    FIELD("runtime.gcController", "gcPercent", gc_percent),
    OPTFIELD("runtime.gcController", "heapScanWork", gc_heap_scan_work),
    OPTFIELD("runtime.gcController", "stackScanWork", gc_stack_scan_work),
    OPTFIELD("runtime.gcController", "globalsScanWork", gc_globals_scan_work),
    OPTFIELD("runtime.gcController", "lastHeapScan", gc_last_heap_scan),
    OPTFIELD("runtime.gcController", "lastStackScan", gc_last_stack_scan),
    OPTFIELD("runtime.gcController", "globalsScan", gc_globals_scan),
    OPTFIELD("runtime.spanInlineMarkBits", "marks", im_marks),
    OPTFIELD("runtime.spanInlineMarkBits", "scans", im_scans),
    OPTFIELD("runtime.spanInlineMarkBits", "owned", im_owned),
    {E_CONST, "runtime.spanScanManyMark", NULL, true, L(many_mark)},
    {E_SIZE, "runtime.spanInlineMarkBits", NULL, true, L(im_size)},
};

/* The DIEs the table names, found in one pass. */
typedef struct found {
    const char *name;
    Dwarf_Die die;
    int tag; /* 0: not found */
} found;

typedef struct dindex {
    found f[MAX_WANTED];
    size_t n;
} dindex;

static void want(dindex *ix, const char *names)
{
    while (*names != '\0') {
        size_t len = strcspn(names, "|");
        bool dup = false;
        for (size_t i = 0; i < ix->n; i++)
            dup |= strncmp(ix->f[i].name, names, len) == 0 && ix->f[i].name[len] == '\0';
        if (!dup && ix->n < MAX_WANTED)
            ix->f[ix->n++].name = strndup(names, len);
        names += len + (names[len] == '|');
    }
}

static found *lookup(dindex *ix, const char *name, size_t len)
{
    for (size_t i = 0; i < ix->n; i++)
        if (strncmp(ix->f[i].name, name, len) == 0 && ix->f[i].name[len] == '\0')
            return &ix->f[i];
    return NULL;
}

/* A structure wins over the typedef of the same name. */
static void keep(dindex *ix, Dwarf_Die *d)
{
    int tag = dwarf_tag(d);
    if (tag != DW_TAG_variable && tag != DW_TAG_constant && tag != DW_TAG_structure_type)
        return;
    const char *name = dwarf_diename(d);
    if (name == NULL || (strncmp(name, "runtime.", 8) != 0 && strncmp(name, "internal/", 9) != 0))
        return;
    found *f = lookup(ix, name, strlen(name));
    if (f != NULL && f->tag == 0) {
        f->die = *d;
        f->tag = tag;
    }
}

static void scan_units(Dwarf *dw, dindex *ix)
{
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, d;
        if (dwarf_offdie(dw, off + hsize, &cu) != NULL && dwarf_child(&cu, &d) == 0) {
            do
                keep(ix, &d);
            while (dwarf_siblingof(&d, &d) == 0);
        }
        off = next;
    }
}

/* ---- types ---------------------------------------------------------------------- */

static bool type_of(Dwarf_Die *d, Dwarf_Die *t)
{
    Dwarf_Attribute a;
    return dwarf_attr_integrate(d, DW_AT_type, &a) != NULL && dwarf_formref_die(&a, t) != NULL;
}

/* Through typedefs and qualifiers to the type itself. */
static bool strip(Dwarf_Die *t)
{
    for (int i = 0; i < 16; i++) {
        int tag = dwarf_tag(t);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type)
            return true;
        if (!type_of(t, t))
            return false;
    }
    return false;
}

static uint64_t type_size(Dwarf_Die *t)
{
    Dwarf_Die s = *t;
    if (!strip(&s))
        return 0;
    Dwarf_Word sz;
    if (dwarf_aggregate_size(&s, &sz) == 0)
        return sz;
    if (dwarf_tag(&s) == DW_TAG_pointer_type)
        return 8;
    return 0;
}

static uint32_t elem_size(Dwarf_Die *t)
{
    Dwarf_Die s = *t, e;
    if (!strip(&s) || dwarf_tag(&s) != DW_TAG_array_type || !type_of(&s, &e))
        return 0;
    return (uint32_t)type_size(&e);
}

static bool member(Dwarf_Die *strct, const char *name, size_t len, Dwarf_Die *m)
{
    if (dwarf_child(strct, m) != 0)
        return false;
    do {
        const char *n = dwarf_diename(m);
        if (dwarf_tag(m) == DW_TAG_member && n != NULL && strncmp(n, name, len) == 0 &&
            n[len] == '\0')
            return true;
    } while (dwarf_siblingof(m, m) == 0);
    return false;
}

/* A dotted path ("state.s") inside the structure t. */
static bool field(Dwarf_Die t, const char *path, go_field *out)
{
    uint64_t off = 0;
    Dwarf_Die m;
    for (;;) {
        if (!strip(&t))
            return false;
        size_t len = strcspn(path, ".");
        Dwarf_Attribute a;
        Dwarf_Word mo;
        if (!member(&t, path, len, &m) || dwarf_attr(&m, DW_AT_data_member_location, &a) == NULL ||
            dwarf_formudata(&a, &mo) != 0)
            return false;
        off += mo;
        if (!type_of(&m, &t))
            return false;
        if (path[len] == '\0')
            break;
        path += len + 1;
    }
    *out = (go_field){
        .off = (uint32_t)off, .size = (uint32_t)type_size(&t), .elem = elem_size(&t), .ok = true};
    return out->size > 0;
}

/* ---- entries -------------------------------------------------------------------- */

static bool var_addr(Dwarf_Die *d, uint64_t *addr)
{
    Dwarf_Attribute a;
    Dwarf_Block b;
    if (dwarf_attr(d, DW_AT_location, &a) == NULL || dwarf_formblock(&a, &b) != 0)
        return false;
    if (b.length != 9 || b.data[0] != DW_OP_addr)
        return false;
    memcpy(addr, b.data + 1, 8);
    return true;
}

/* The structure a root names: a type, or a global's type. */
static bool root_type(dindex *ix, const char *root, Dwarf_Die *t)
{
    found *f = lookup(ix, root, strlen(root));
    if (f == NULL || f->tag == 0)
        return false;
    if (f->tag == DW_TAG_structure_type) {
        *t = f->die;
        return true;
    }
    return f->tag == DW_TAG_variable && type_of(&f->die, t) && strip(t);
}

static bool try_one(dindex *ix, const entry *e, const char *name, size_t len, uint64_t bias,
                    go_layout *l)
{
    char *dst = (char *)l + e->dst;
    found *f = lookup(ix, name, len);
    Dwarf_Attribute a;
    switch (e->kind) {
    case E_CONST: {
        Dwarf_Sword v;
        if (f == NULL || f->tag != DW_TAG_constant ||
            dwarf_attr(&f->die, DW_AT_const_value, &a) == NULL || dwarf_formsdata(&a, &v) != 0)
            return false;
        *(uint64_t *)(void *)dst = (uint64_t)v;
        return true;
    }
    case E_VAR: {
        go_var v = {.ok = true};
        Dwarf_Die t;
        if (f == NULL || f->tag != DW_TAG_variable || !var_addr(&f->die, &v.addr))
            return false;
        v.addr += bias;
        v.size = type_of(&f->die, &t) ? (uint32_t)type_size(&t) : 0;
        memcpy(dst, &v, sizeof v);
        return true;
    }
    case E_SIZE: {
        Dwarf_Die t;
        char root[128];
        snprintf(root, sizeof root, "%.*s", (int)len, name);
        if (!root_type(ix, root, &t))
            return false;
        *(uint32_t *)(void *)dst = (uint32_t)type_size(&t);
        return true;
    }
    case E_FIELD: {
        Dwarf_Die t;
        char path[128];
        snprintf(path, sizeof path, "%.*s", (int)len, name);
        return root_type(ix, e->root, &t) && field(t, path, (go_field *)(void *)dst);
    }
    }
    return false;
}

/* The alternatives of an entry, in order; for a field they are paths. */
static bool resolve_entry(dindex *ix, const entry *e, uint64_t bias, go_layout *l)
{
    const char *names = e->kind == E_FIELD ? e->path : e->root;
    while (*names != '\0') {
        size_t len = strcspn(names, "|");
        if (try_one(ix, e, names, len, bias, l))
            return true;
        names += len + (names[len] == '|');
    }
    return false;
}

static void describe(const entry *e, char *buf, size_t n)
{
    const char *what = e->kind == E_CONST  ? "constant"
                       : e->kind == E_VAR  ? "variable"
                       : e->kind == E_SIZE ? "type"
                                           : "field";
    if (e->kind == E_FIELD)
        snprintf(buf, n, "%s %s.%s", what, e->root, e->path);
    else
        snprintf(buf, n, "%s %s", what, e->root);
}

static int resolve_all(dindex *ix, uint64_t bias, go_layout *l, char *why, size_t n)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (resolve_entry(ix, &table[i], bias, l) || table[i].optional)
            continue;
        char what[160];
        describe(&table[i], what, sizeof what);
        snprintf(why, n, "its DWARF has no %s, which heapscope needs", what);
        return HS_ATTACH_BAD;
    }
    return HS_ATTACH_OK;
}

int go_layout_resolve(const char *path, uint64_t bias, go_layout *l, char *why, size_t n)
{
    memset(l, 0, sizeof *l);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    Dwarf *dw = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : NULL;
    if (dw == NULL) {
        snprintf(why, n, "cannot read the DWARF of %s: %s", path,
                 fd < 0 ? "it cannot be opened" : dwarf_errmsg(-1));
        if (fd >= 0)
            close(fd);
        return HS_ATTACH_BAD;
    }
    dindex ix = {.n = 0};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        want(&ix, table[i].root);
    scan_units(dw, &ix);
    int rc = resolve_all(&ix, bias, l, why, n);
    for (size_t i = 0; i < ix.n; i++)
        free((void *)ix.f[i].name);
    dwarf_end(dw);
    close(fd);
    return rc;
}
