/*
 * runtime2.h — the runtime's types and internal functions (Go: runtime2.go,
 * malloc.go, mheap.go, mcache.go, mcentral.go, sizeclasses.go).
 *
 * One hs_runtime owns one mheap (arenas, page allocator, mcentrals), the sweeper
 * and the scavenger; each P owns an mcache.  Nothing is global but immutable
 * tables, so several runtimes live in one process.
 *
 * Who may touch what (each field below repeats its own rule):
 *   - an mcache, and the freeindex/allocCache/allocCount of a span it caches,
 *     belong to the thread running that P: no lock on the allocation fast path;
 *   - an mcentral's span sets are guarded by that mcentral's lock;
 *   - the page allocator, arena list and heap counters by mheap.lock;
 *   - a span being swept belongs to the sweeper that moved its sweepgen from
 *     sg-2 to sg-1 (the sweepgen CAS is the ownership handoff);
 *   - heapArena.spans[] entries are published with release stores and read
 *     lock-free (spanOf) by anyone.
 *
 * Lock order (a lock may be taken while holding those above it, never below):
 *   1. gc.lock          (the collector's requests, step state, work lists)
 *   2. sched.lock       (P status, stop-the-world)
 *   3. mcentral.lock    (leaf in practice: never held across mheap calls)
 *   4. mheap.lock
 *   5. sweep.lock, scav.lock, errlock, gc.spmcLock  (condition-variable and leaf locks)
 * No code holds two mcentral locks, and no code takes an mcentral lock while
 * holding mheap.lock.
 */
#ifndef HS_RUNTIME_RUNTIME2_H
#define HS_RUNTIME_RUNTIME2_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "heapscope/runtime.h"
#include "runtime/atomic.h"
#include "runtime/mem.h"
#include "runtime/mpagealloc.h"

#ifndef HS_DEBUG
#define HS_DEBUG 0
#endif

/* ---- constants (malloc.go, sizeclasses.go) ---------------------------------- */
enum {
    pageShift = 13,
    pageSize = 1 << pageShift,
    maxSmallSize = 32768,
    maxTinySize = 16,
    tinySizeClass = 2,
    smallSizeDiv = 8,
    smallSizeMax = 1024,
    largeSizeDiv = 128,
    numSizeClasses = 68,
    numSpanClasses = numSizeClasses << 1,
    mallocHeaderSize = 8,
    minSizeForMallocHeader = 512, /* objects larger than this carry a type header */
    heapBitsSize = pageSize / 8 / 8, /* 128 B of pointer bits per one-page span */
    spanInlineMarkBitsSize = 128,    /* Green Tea's inline mark block */
    logHeapArenaBytes = 26,
    pagesPerArena = (1 << logHeapArenaBytes) / pageSize, /* 8192 */
    arenaL2Bits = heapAddrBits - logHeapArenaBytes,      /* 22: one level on amd64 */
    maxObjsPerSpan = pageSize / 8,                       /* 1024 */
    spanBitWords = maxObjsPerSpan / 64,                  /* 16 */
    spanBitmaps = 4, /* alloc, mark, scan, checkmark: one block per span */
};
#define heapArenaBytes ((uintptr_t)1 << logHeapArenaBytes)
#define arenaBaseHint ((uintptr_t)0x00c0 << 32)

extern const uint16_t class_to_size[numSizeClasses];
extern const uint8_t class_to_allocnpages[numSizeClasses];
extern const uint32_t class_to_divmagic[numSizeClasses];
extern const uint8_t size_to_class8[smallSizeMax / smallSizeDiv + 1];
extern const uint8_t size_to_class128[(maxSmallSize - smallSizeMax) / largeSizeDiv + 1];

static inline int sizeToClass(size_t size)
{
    if (size <= smallSizeMax - 8)
        return size_to_class8[(size + smallSizeDiv - 1) / smallSizeDiv];
    return size_to_class128[(size - smallSizeMax + largeSizeDiv - 1) / largeSizeDiv];
}

/* spanClass = sizeclass<<1 | noscan (mheap.go). */
typedef uint8_t spanClass;
static inline spanClass makeSpanClass(int sizeclass, bool noscan)
{
    return (spanClass)((sizeclass << 1) | (noscan ? 1 : 0));
}
static inline int spanClass_sizeclass(spanClass sc) { return sc >> 1; }
static inline bool spanClass_noscan(spanClass sc) { return sc & 1; }
#define tinySpanClass makeSpanClass(tinySizeClass, true)

/* heapBitsInSpan: objects this small keep their pointer bits at the span's
 * end instead of behind a malloc header (mbitmap.go). */
static inline bool heapBitsInSpan(size_t userSize) { return userSize <= minSizeForMallocHeader; }
/* Green Tea keeps inline mark bits in spans of 16..512 B objects. */
static inline bool gcUsesSpanInlineMarkBits(size_t elemsize)
{
    return heapBitsInSpan(elemsize) && elemsize >= 16;
}

/* ---- fixalloc: fixed-size metadata allocator (mfixalloc.go) -------------------- */
typedef struct fixalloc {
    size_t size;        /* immutable */
    void *list;         /* free list */
    uint8_t *chunk;     /* current chunk */
    size_t nchunk;      /* bytes left in it */
    void **chunks;      /* every chunk, to give back at destroy */
    size_t nchunks, capchunks;
    uint64_t inuse;     /* bytes handed out */
    uint64_t sys;       /* bytes obtained from the OS */
    const hs_sysops *os;
} fixalloc;

void fixalloc_init(fixalloc *f, size_t size, const hs_sysops *os);
void *fixalloc_alloc(fixalloc *f); /* zeroed; NULL when the OS refuses */
void fixalloc_free(fixalloc *f, void *p);
void fixalloc_destroy(fixalloc *f);

/* ---- mspan (mheap.go) ------------------------------------------------------------ */
enum mSpanState { mSpanDead = 0, mSpanInUse = 1 };

typedef struct mspan mspan;
typedef struct mSpanList mSpanList;

struct mspan {
    mspan *next, *prev;   /* links in *list; guarded by that list's owner lock */
    mSpanList *list;      /* which span set holds it, or NULL */

    uintptr_t startAddr;  /* immutable while in use */
    uintptr_t npages;     /* immutable while in use */
    uintptr_t limit;      /* end of object data (before heap bits / inline marks) */
    uintptr_t elemsize;   /* immutable while in use */
    uint32_t divMul;      /* objIndex = (off * divMul) >> 32 */
    uint16_t nelems;      /* immutable while in use */
    spanClass spanclass;  /* immutable while in use */
    uint8_t state;        /* atomic: mSpanDead / mSpanInUse */
    uint8_t needzero;     /* owner: memory may be dirty */
    /* Green Tea: the span's last 128 B hold its marks (spanInlineMarkBits), and
     * gcmarkBits/gcscanBits stay clear until sweep folds the marks in.
     * Immutable while in use. */
    uint8_t inlineMarks;

    /* Allocation state: owned by the P caching the span, or its sweeper.
     * A slot is allocated iff index < freeindex or its allocBits bit is set. */
    uint16_t freeindex;             /* atomic store by owner; next slot to examine */
    uint16_t allocCount;            /* atomic store by owner; objects allocated */
    uint16_t allocCountBeforeCache; /* owner: allocCount when cached */
    uint16_t premarked;   /* owner: free slots marked black while cached in mark
                           * (allocate black by span, mgcmark.c) */
    uint64_t allocCache;            /* owner: ~allocBits from freeindex, shifted */
    uint64_t *allocBits;            /* 1 = allocated before the last sweep */
    uint64_t *gcmarkBits;           /* 1 = marked this cycle (gray or black); atomic OR */
    /* heapscope's own: 1 = scanned this cycle, so marked & scanned = black and
     * marked & !scanned = gray (Go does not keep this).  Atomic OR. */
    uint64_t *gcscanBits;
    uint64_t *checkmarkBits;        /* the checkmark verifier's marks (world stopped) */

    uint64_t *heapBits;   /* immutable while in use: the objects' pointer bits
                           * at the span's end, or NULL (mspan_heapBits) */
    uint32_t sweepgen;    /* atomic; see the table in mgcsweep.c */
    const hs_type *largeType; /* large spans with pointers: the object's type */
    int64_t allocTime;    /* nanotime when the span was allocated */
#if HS_DEBUG
    uint32_t spanqCount;  /* atomic: span work queue entries for it (0 or 1) */
#endif
};

static inline uintptr_t mspan_base(const mspan *s) { return s->startAddr; }
static inline uintptr_t mspan_objIndex(const mspan *s, uintptr_t p)
{
    return (uintptr_t)(((uint64_t)(p - s->startAddr) * s->divMul) >> 32);
}
static inline bool bits_isset(const uint64_t *b, uintptr_t i) { return (b[i / 64] >> (i % 64)) & 1; }
static inline void bits_set_atomic(uint64_t *b, uintptr_t i)
{
    atomic_or_relaxed_u64(&b[i / 64], (uint64_t)1 << (i % 64));
}
static inline int mspan_bitWords(const mspan *s) { return (s->nelems + 63) / 64; }

/* nelems for a span of this class under this GC mode (mheap.go initSpan). */
uint16_t spanClass_nelems(spanClass sc, hs_gcmode mode);
void mspan_init(mspan *s, uintptr_t base, uintptr_t npages);
void mspan_refillAllocCache(mspan *s, uint16_t whichWord);
uint16_t mspan_nextFreeIndex(mspan *s);
bool mspan_isFree(const mspan *s, uintptr_t index);
uint16_t mspan_countAlloc(const mspan *s); /* popcount of gcmarkBits */
/* Where this span keeps its objects' pointer bits (NULL if it keeps none):
 * found once when the span is set up, read on every scan and allocation. */
uint64_t *mspan_findHeapBits(const mspan *s, hs_gcmode mode);
static inline uint64_t *mspan_heapBits(const mspan *s, hs_gcmode mode)
{
    (void)mode; /* the span was set up for the runtime's mode */
    return s->heapBits;
}
bool mspan_is_valid(const mspan *s);

/* ---- Green Tea's inline mark bits (Go: mgcmark_greenteagc.go) -------------------- */
/* The last 128 B of a span of 16..512 B objects in Green Tea mode, byte for
 * byte as Go lays them out: scans[63], owned, marks[63], class.  Held here as
 * words so the collector reads 64 objects at a time: object i is bit i%64 of
 * word i/64 (little-endian, so also bit i%8 of byte i/8, as in Go).  The owned
 * byte is the top byte of scans word 7 and the class byte the top byte of
 * marks word 7; object bits never reach them, as nelems <= 504.
 *   marks: set (atomic OR) by whoever shades the object first: "seen";
 *   scans: set (atomic OR) by the scanner, or at allocation during mark;
 *   white = !mark, gray = mark & !scan, black = mark & scan (noscan: mark).
 *   owned: spanScanUnowned / OneMark / ManyMark, byte atomics only; a span is
 *   in a work queue iff owned != 0 and its scan has not yet begun. */
typedef struct spanInlineMarkBits {
    uint64_t scans[8];
    uint64_t marks[8];
} spanInlineMarkBits;
_Static_assert(sizeof(spanInlineMarkBits) == spanInlineMarkBitsSize, "inline mark bits are 128 B");
enum { spanScanUnowned = 0, spanScanOneMark = 1, spanScanManyMark = 2 };
#define inlineBitsTopByte ((uint64_t)0xff << 56) /* owned in scans[7], class in marks[7] */

static inline spanInlineMarkBits *spanInlineMarkBitsFromBase(uintptr_t base)
{
    return (spanInlineMarkBits *)(base + pageSize - spanInlineMarkBitsSize);
}
static inline uint8_t *imb_owned(spanInlineMarkBits *imb) { return (uint8_t *)imb + 63; }
static inline spanClass imb_class(const spanInlineMarkBits *imb)
{
    return atomic_load_relaxed_u8((const uint8_t *)imb + 127);
}
/* Reset the block for a span of class spc (zeroing it when it may be dirty). */
void imb_init(spanInlineMarkBits *imb, spanClass spc, bool needzero);
/* Sweep: OR the marks into s->gcmarkBits and reset the block. */
void mspan_moveInlineMarks(mspan *s);
/* Marked (gray or black) and black, whichever bits the span keeps. */
bool mspan_isMarked(const mspan *s, uintptr_t idx);
bool mspan_isBlack(const mspan *s, uintptr_t idx);

/* Nobody-owned span lists (mcentral span sets use these under the mcentral lock). */
struct mSpanList {
    mspan *first, *last;
    uint32_t n;
};
void mSpanList_push(mSpanList *l, mspan *s);
mspan *mSpanList_pop(mSpanList *l);
void mSpanList_remove(mSpanList *l, mspan *s);

/* ---- mcentral (mcentral.go) ------------------------------------------------------ */
typedef struct mcentral {
    pthread_mutex_t lock;
    spanClass spanclass;   /* immutable */
    /* partial/full x swept/unswept; which index is swept flips each cycle:
     * swept = [sg/2 % 2], unswept = [1 - sg/2 % 2].  Guarded by lock. */
    mSpanList partial[2];
    mSpanList full[2];
    uint64_t nmalloc;      /* spans handed to mcaches; atomic */
} __attribute__((aligned(64))) mcentral;

/* ---- mcache (mcache.go) ---------------------------------------------------------- */
typedef struct mcache {
    mspan *alloc[numSpanClasses]; /* owner; &heap.emptymspan when none */
    uintptr_t tiny;               /* owner: current 16 B tiny block, 0 if none */
    uintptr_t tinyoffset;         /* owner */
    /* Statistics, written only by the owner with relaxed atomics, read by anyone. */
    uint64_t tinyAllocs;
    uint64_t smallAllocCount[numSizeClasses];
    uint64_t largeAlloc, largeAllocCount;
    uint64_t scanAlloc;
} mcache;

/* ---- mheap (mheap.go) ------------------------------------------------------------ */
typedef struct heapArena {
    mspan *spans[pagesPerArena];         /* page -> span; release stores, lock-free reads */
    uint8_t pageInUse[pagesPerArena / 8]; /* atomic: span starts here and is in use */
    uint8_t pageMarks[pagesPerArena / 8]; /* atomic: span starts here and has a mark */
    /* atomic: an in-use one-page span with inline mark bits is here (Green
     * Tea; Go: pageUseSpanInlineMarkBits), so shading a pointer into it needs
     * neither spans[] nor the mspan: its class is in the inline block. */
    uint8_t pageUseSpanInlineMarkBits[pagesPerArena / 8];
    uintptr_t zeroedBase;                /* atomic: offset below which memory may be dirty */
} heapArena;

typedef struct mheap {
    pthread_mutex_t lock;
    pageAlloc pages;              /* lock */
    uint32_t sweepgen;            /* atomic; rises by 2 per cycle, only with the world stopped */
    heapArena **arenas;           /* [1 << arenaL2Bits], lazily committed; release stores */
    uintptr_t *allArenas;         /* lock: base address of every arena, in order of growth */
    size_t nallArenas, capArenas; /* lock */
    uintptr_t arenaHint;          /* lock: next address to try */
    uintptr_t curArenaBase, curArenaEnd; /* lock: reserved, not yet grown into */
    mcentral central[numSpanClasses];
    fixalloc spanalloc;           /* lock */
    fixalloc bitsalloc[spanBitWords]; /* lock: [n-1] gives spanBitmaps*n words of span bits */
    mspan emptymspan;             /* the empty span every unused mcache slot points at */

    /* Statistics (atomic unless noted). */
    uint64_t pagesInUse;          /* pages in in-use spans */
    uint64_t heapSys;             /* lock: bytes grown into */
    uint64_t heapReleased;        /* bytes free and returned to the OS */
    uint64_t heapLive;            /* bytes in cached spans and marked objects (Go's heapLive) */
    uint64_t smallFreeCount[numSizeClasses];
    uint64_t largeFree, largeFreeCount;
    uint64_t arenaSysBytes;       /* lock: heapArena metadata bytes */
} mheap;

/* ---- sweeper and scavenger state -------------------------------------------------- */
typedef struct sweepdata {
    pthread_mutex_t lock;
    pthread_cond_t cond;          /* wakes the background sweeper */
    pthread_t thread;
    bool started, stop;           /* lock */
    uint32_t centralIndex;        /* atomic: next (spanclass<<1 | full) set to drain */
    /* atomic (Go: activeSweep): sweepers at work in the low bits, and
     * sweepDrainedMask once the unswept sets are empty; a sweeper can begin
     * only before that, so none outlives the cycle it began in. */
    uint32_t state;
    uint64_t nbgsweep, npausesweep, nlazysweep; /* atomic: spans swept by whom */
    uint64_t pagesSwept;          /* atomic: pages swept this cycle */
    uint32_t cycle;               /* lock: sweep cycles started, wakes the sweeper */
    /* Proportional sweep (Go: sweepPagesPerByte and its bases), atomic. */
    uint64_t pagesPerByteBits;    /* a double's bits; 0 = no proportional sweep */
    uint64_t heapLiveBasis;
    uint64_t pagesSweptBasis;
} sweepdata;

typedef struct scavdata {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started, stop;           /* lock */
    uint64_t goal;                /* atomic: retained-bytes goal */
    uint64_t released;            /* atomic: bytes released over the runtime's life */
    uint64_t runs;                /* atomic: background passes that released something */
    int64_t lastRun;              /* atomic: nanotime of the last release */
    uint64_t cpuNanos;            /* atomic: time spent releasing */
} scavdata;


/* ---- the collector's work queues (mgcwork.go) ---------------------------------- */
enum { workbufBytes = 2048, workbufNObj = (workbufBytes - 16) / 8 };
typedef struct workbuf {
    struct workbuf *next; /* on work.full or work.empty */
    uint64_t nobj;
    uintptr_t obj[workbufNObj];
} workbuf;

/* Green Tea's span work queue (Go 1.26 mgcmark_greenteagc.go, here in
 * mgcspanq.c).  An entry, objptr, is a span base with the index of one of its
 * objects in the low bits. */
typedef uintptr_t objptr;
static inline objptr makeObjPtr(uintptr_t spanBase, uint16_t objIndex) { return spanBase | objIndex; }
static inline uintptr_t objptr_spanBase(objptr p) { return p & ~(uintptr_t)(pageSize - 1); }
static inline uint16_t objptr_objIndex(objptr p) { return (uint16_t)(p & (pageSize - 1)); }

/* A single-producer multi-consumer ring: its queue's owner puts, anyone
 * steals.  Allocated only while marking and freed only with the world stopped
 * at mark termination, so a stealer never touches a freed ring. */
typedef struct spanSPMC spanSPMC;
struct spanSPMC {
    spanSPMC *allnext;  /* gc.spmcLock: every ring of the runtime */
    uint8_t dead;       /* atomic: dropped from its chain; set by the CAS winner */
    spanSPMC *prev;     /* atomic: the next (newer) ring of the chain */
    uint32_t head;      /* atomic: next entry to take (consumers CAS it) */
    uint32_t tail;      /* atomic: next free entry (the producer stores it) */
    uint32_t cap;       /* immutable, a power of 2 */
    objptr *ring;       /* immutable; entries read and written atomically */
};

enum { spanQueueRing = 256, spanSPMCFirstCap = 1024, spanSPMCMaxCap = (1 << 20) / 8 };
typedef struct spanQueue {
    uint32_t head, tail;        /* owner: the private ring */
    objptr ring[spanQueueRing]; /* owner */
    int putsSinceDrain;         /* owner */
    spanSPMC *chainHead;        /* owner: the ring it puts to */
    spanSPMC *chainTail;        /* atomic: the oldest ring, where stealers start */
} spanQueue;

/* A worker's private pair of buffers: put into wbuf1, spill a full one to the
 * global list; get from wbuf1, then wbuf2, then the global list.  In Green Tea
 * mode also a span queue. */
typedef struct gcWork {
    workbuf *wbuf1, *wbuf2;
    uint64_t heapScanWork;   /* bytes scanned, not yet flushed to the controller */
    uint64_t bytesMarked;    /* bytes marked, not yet flushed */
    uint64_t objectsScanned; /* not yet flushed */
    bool flushedWork;        /* owner: put work on the global lists since the last
                              * ragged barrier (read and cleared there) */
    int id;                  /* immutable: the P's id; the collector's own: nprocs */
    spanQueue spanq;
    uint64_t rng;            /* owner: steal order */
    uint64_t steals;         /* owner: span entries stolen, not yet flushed */
    uint64_t stealsTotal;    /* atomic, written by the owner: all cycles */
    uintptr_t scanning;      /* atomic: base of the span being scanned, 0 if none */
    uint64_t *scanBitsWord;  /* owner, within a drain: the gcscanBits word of the */
    uint64_t scanBitsPending; /* objects scanned last, and their bits not yet set */
    bool statsDirty;         /* owner */
    hs_scan_stats stats[numSizeClasses]; /* owner: not yet flushed */
    uintptr_t ptrBuf[pageSize / 8];      /* owner: scratch for span scans */
} gcWork;

/* The write barrier's per-P buffer (mwbbuf.go): pointers to shade. */
enum { wbBufEntries = 512, gcEventRing = 1024 };
typedef struct wbBuf {
    uint32_t n;
    uintptr_t buf[wbBufEntries];
} wbBuf;

/* ---- goroutines and Ps (runtime2.go) ---------------------------------------------- */
struct hs_g {
    hs_p *p;          /* immutable: the P it runs on */
    hs_g *next;       /* the P's list of Gs; owner of the P */
    size_t nslots;    /* immutable */
    void **slots;     /* the stack: written by the P's owner, scanned by the collector
                       * only while the P is stopped or owned by the scanner */
};

enum pStatus { Pidle = 0, Prunning = 1, Pgcstop = 2, Pgcowned = 3 };
enum pPreempt { preemptSTW = 1, preemptScan = 2, preemptFlush = 4, preemptWork = 8, preemptGCStart = 16 };
enum gcWorkerMode { workerNone = 0, workerDedicated = 1, workerFractional = 2 };
enum pActivity { actMutator = 0, actAssist = 1, actDedicated = 2, actFractional = 3, actIdle = 4 };

/* ---- P and runtime (runtime2.go) -------------------------------------------------- */
struct hs_p {
    uint32_t preempt;     /* atomic: pPreempt reasons to stop at the next safe point */
    int id;               /* immutable */
    hs_runtime *rt;       /* immutable */
    uint32_t status;      /* sched.lock (atomic reads): pStatus */
    bool held;            /* sched.lock: a thread holds this P (acquired, not released) */
    uint32_t activity;    /* atomic: pActivity, for readers */
    mcache mcache;        /* owned by whoever runs this P */
    hs_g *gs;             /* owner: the goroutines of this P */
    /* The collector's per-P state, owned by whoever runs the P. */
    gcWork gcw;
    wbBuf wbbuf;
    int64_t gcAssistBytes;   /* allocation credit (> 0) or debt (< 0) for assists */
    uint32_t workerMode;     /* gcWorkerMode this cycle; set with the world stopped */
    int64_t fractionalNs;    /* time spent as fractional worker this cycle */
    int64_t fractionalStart; /* when the current fractional stint began */
    uint32_t stackScanned;   /* atomic: the cycle whose stack scan is done */
    uint32_t polls;          /* owner: slow-path polls, to space out clock reads */
    int64_t assistNs, dedicatedNs; /* this cycle */
};

typedef struct schedt {
    pthread_mutex_t lock;   /* guards P status, stop-the-world and pause state */
    pthread_cond_t stopped; /* a P stopped (stopwait fell) */
    pthread_cond_t started; /* the world started, or a P became idle */
    uint32_t gcwaiting;     /* atomic: a stop-the-world is under way or in force */
    int32_t stopwait;       /* Ps still to stop: written under lock (atomic), read by the
                               stopper as it spins */
    int64_t stwStart;       /* lock */
    /* Time spent watching rather than collecting while the world is stopped:
     * the phase hook's captures and the step controller's holds.  Written
     * only by the thread that stopped the world; not part of the pause. */
    int64_t stwObserved;
    uint64_t startGen;      /* lock: worlds started so far */
    /* Background workers (sweeper, scavenger) at work on the heap without a
     * P, between bg_acquire and bg_release: a stopper waits for them. */
    int32_t bgrunning;      /* lock */
} schedt;

/* Go's `work` and gcController in one place: the state of the current cycle. */
typedef struct gcstate {
    pthread_mutex_t lock;       /* guards full/empty lists and the fields marked lock */
    workbuf *full, *empty;
    uint64_t nfull;             /* lock */
    uint32_t phase;             /* atomic: hs_gcphase; changes with the world stopped */
    uint32_t writeBarrier;      /* atomic: on from sweep termination to mark termination */
    uint32_t blackenEnabled;    /* atomic: mark workers and assists may run */
    uint32_t worldStopped;      /* atomic: the collector has stopped the world */
    uint32_t cycle;             /* atomic: cycles started */
    uint32_t completed;         /* atomic: cycles finished (mark termination done) */
    uint32_t markrootNext;      /* atomic: next root job to claim */
    uint32_t markrootJobs;      /* set with the world stopped: 1 (globals) + nprocs */
    uint32_t stackRootsLeft;    /* atomic: P stack scans not yet done */
    uint32_t nworking;          /* atomic: drains in progress (they may still put work) */
    uint32_t markDoneFlushed;   /* atomic: Ps that had put work on the lists, this barrier */
    uint64_t bytesMarked;       /* atomic */
    uint64_t heapScanWork;      /* atomic: bytes scanned this cycle */
    uint64_t objectsScanned;    /* atomic, this cycle */
    /* Green Tea (mgcspanq.c): which gcWorks (by id) may have span work to
     * steal.  Set by a queue's owner when it publishes work, cleared racily
     * by whoever finds the queue empty; exact again after every gcWork is
     * disposed (the ragged barrier, stop-the-world). */
    uint64_t spanqMask[(1024 + 1 + 63) / 64]; /* atomic */
    pthread_mutex_t spmcLock;   /* guards spmcAll and freeing rings (a leaf lock) */
    spanSPMC *spmcAll;
    /* Scan statistics (atomic adds from gcWork flushes; this cycle), and the
     * history (lock) */
    hs_scan_stats scanCycle[numSizeClasses], scanCycleTotal;
    hs_scan_stats scanLast[numSizeClasses], scanTotal;
    uint64_t spanSteals;        /* atomic, all cycles */
    int64_t bgScanCredit;       /* atomic: scan work done by workers, for assists */
    int64_t markStartTime;      /* set with the world stopped */
    int64_t idleNs, assistNs, dedicatedNs, fractionalNs; /* atomic, this cycle */
    double fractionalUtilizationGoal; /* per fractional P; set with the world stopped */
    uint32_t dedicatedWorkers;  /* this cycle */
    /* pacer (mgcpacer.go): written by the controller, read atomically */
    uint64_t heapGoal, trigger, heapMarked, lastHeapScan, heapScan;
    uint64_t triggered;         /* heapLive when the cycle started */
    uint64_t stacksScan, globalsScan;
    uint32_t limitBound;        /* atomic: the memory limit, not GOGC, sets the goal */
    double consMark, lastConsMark[4];
    uint64_t assistWorkPerByteBits, assistBytesPerWorkBits; /* doubles' bits */
    int32_t gcPercent;          /* atomic */
    /* requests and the controller thread */
    pthread_cond_t wake;        /* lock: the controller has something to do */
    pthread_cond_t done;        /* lock: a cycle finished, or the step state changed */
    pthread_cond_t assistQueue; /* lock: assists waiting for credit */
    bool requested, forced;     /* lock */
    /* The user's pause: asked for (userPause), in force (paused: the world
     * stopped, every P and background worker parked), and how many have
     * been in force so far, so two readings tell one pause from two. */
    bool userPause, paused;     /* lock */
    uint32_t pauseSeq;          /* lock */
    bool stop;                  /* lock */
    pthread_t thread;
    bool started;               /* atomic (as a byte) */
    pthread_mutex_t inlineCycle; /* serializes hs_gc's cycles without a collector thread */
    int64_t lastGC;             /* atomic: nanotime at the end of the last mark */
    /* step controller (lock) */
    bool stepping, held;
    int stepKind;               /* hs_step_kind granted, -1 = none */
    uint64_t stepObjects;       /* objects left in an HS_STEP_OBJECTS step */
    uint32_t holdPhase;
    bool toCycleEnd;            /* an HS_STEP_CYCLE step is running */
    /* Steps asked for while the collector was between holds (keys pressed
     * faster than steps end): granted in order at the next holds.  N-object
     * steps in a row merge into one. */
    struct {
        int kind;
        uint64_t n;
    } stepQueue[16];
    uint32_t stepQueued;
    /* history (lock) */
    int64_t *pauses;
    size_t npauses, cappauses;
    uint32_t forcedCycles;
    int64_t pauseTotalNs, pauseMaxNs, gcCpuNs;
    int64_t totAssistNs, totDedicatedNs, totFractionalNs, totIdleNs;
    bool verifyFailed;
    gcWork ctlgcw;              /* the controller's own (idle and STW) work */
    /* event ring: written by the collector's thread only, read by anyone */
    hs_gc_event events[gcEventRing];
    uint64_t eventHead;         /* atomic: events ever written */
} gcstate;

struct hs_runtime {
    hs_config cfg;        /* immutable */
    hs_sysops sys;        /* immutable */
    mheap heap;
    sweepdata sweep;
    scavdata scav;
    hs_p **allp;          /* immutable after init */
    int nprocs;
    schedt sched;
    gcstate gc;
    void **globals;       /* cfg.nglobals slots; written with hs_write_ptr */
    uint64_t zerobase;    /* the address every 0-byte allocation returns */
    uint64_t heapGoal;    /* atomic: the pacer's heap goal (NextGC) */
    int64_t startTime;

    pthread_mutex_t errlock; /* guards err and oom */
    char err[256];
    hs_oom_info oom;    /* errlock; sticky once an allocation passed max_heap */
    uint64_t oomCount;  /* atomic: allocations refused past max_heap, so far */
};

/* ---- functions by file ------------------------------------------------------------ */
/* mheap.c */
int mheap_init(mheap *h, hs_runtime *rt);
void mheap_destroy(mheap *h, hs_runtime *rt);
mspan *mheap_alloc(hs_runtime *rt, uintptr_t npages, spanClass spc);
void mheap_freeSpan(hs_runtime *rt, mspan *s);
#define arenaIndexOf(p) ((uintptr_t)(p) >> logHeapArenaBytes)
#define arenaIndexCount ((size_t)1 << arenaL2Bits)
/* The arena metadata of p, or NULL; lock-free (arenas are published with
 * release stores and never taken back while the runtime lives). */
static inline heapArena *mheap_arenaOf(const mheap *h, uintptr_t p)
{
    uintptr_t ai = arenaIndexOf(p);
    if (ai >= arenaIndexCount)
        return NULL;
    return atomic_load_acq_ptr((void *const *)&h->arenas[ai]);
}
/* Any address: its span or NULL.  Inline: the collector asks for every
 * pointer it scans. */
static inline mspan *spanOf(const mheap *h, uintptr_t p)
{
    heapArena *ha = mheap_arenaOf(h, p);
    if (ha == NULL)
        return NULL;
    return atomic_load_acq_ptr((void *const *)&ha->spans[(p / pageSize) % pagesPerArena]);
}
/* NULL unless p is in an in-use span's objects. */
static inline mspan *spanOfHeap(const mheap *h, uintptr_t p)
{
    mspan *s = spanOf(h, p);
    /* limit with an atomic: a large span's is narrowed after publication */
    if (s == NULL || atomic_load_u8(&s->state) != mSpanInUse || p < s->startAddr ||
        p >= atomic_load_relaxed_uptr(&s->limit))
        return NULL;
    return s;
}
uint64_t *mheap_bitsAlloc(mheap *h, int words);   /* lock held */
void mheap_bitsFree(mheap *h, uint64_t *b, int words); /* lock held */
bool mheap_is_valid(hs_runtime *rt);
/* Call fn on every in-use span, by address, until it returns false (then
 * false).  The world must be stopped, or no span allocated or freed. */
bool mheap_forEachSpan(mheap *h, bool (*fn)(mspan *s, void *ctx), void *ctx);

/* mcentral.c */
void mcentral_init(mcentral *c, spanClass spc);
mspan *mcentral_cacheSpan(hs_runtime *rt, mcentral *c);
void mcentral_uncacheSpan(hs_runtime *rt, mcentral *c, mspan *s);
mspan *mcentral_grow(hs_runtime *rt, mcentral *c);
mSpanList *mcentral_partialSwept(mcentral *c, uint32_t sg);
mSpanList *mcentral_partialUnswept(mcentral *c, uint32_t sg);
mSpanList *mcentral_fullSwept(mcentral *c, uint32_t sg);
mSpanList *mcentral_fullUnswept(mcentral *c, uint32_t sg);
void mcentral_push(mcentral *c, mSpanList *l, mspan *s); /* takes c->lock */
bool mcentral_is_valid(hs_runtime *rt, mcentral *c);

/* mcache.c */
void mcache_init(mcache *c, mheap *h);
mspan *mcache_refill(hs_runtime *rt, mcache *c, spanClass spc);
uintptr_t mcache_nextFree(hs_runtime *rt, mcache *c, spanClass spc, mspan **sp);
void mcache_releaseAll(hs_runtime *rt, mcache *c);
bool mcache_is_valid(hs_runtime *rt, const mcache *c);

/* mgcsweep.c */
void sweep_init(hs_runtime *rt);
void sweep_start_thread(hs_runtime *rt);
void sweep_stop_thread(hs_runtime *rt);
/* Begin a new sweep cycle.  The world must be stopped (no P allocating) and
 * the previous cycle finished: flushes every mcache, sweepgen += 2. */
void gcStartSweepCycle(hs_runtime *rt);
/* gcStartSweepCycle in two: the part for the pause, and waking the background
 * sweeper, once the world runs again (woken inside the pause, it would run at
 * once on an idle CPU and take the locks the pause needs). */
void gcPrepareSweepCycle(hs_runtime *rt);
void sweep_wake(hs_runtime *rt);
bool mspan_sweep(hs_runtime *rt, mspan *s, bool preserve); /* caller owns s at sg-1 */
/* Go's sweepLocker: begin before taking spans to sweep, end after. */
typedef struct sweepLocker {
    uint32_t sweepGen; /* the heap's sweepgen when this sweeper began */
    bool valid;        /* false: sweeping is done for this cycle */
} sweepLocker;
sweepLocker sweep_begin(hs_runtime *rt);
void sweep_end(hs_runtime *rt, sweepLocker *sl);
bool sweep_tryAcquire(const sweepLocker *sl, mspan *s);
uintptr_t sweepone(hs_runtime *rt);  /* pages swept, or UINTPTR_MAX when done */
bool isSweepDone(hs_runtime *rt);
void finishsweep(hs_runtime *rt);
void deductSweepCredit(hs_runtime *rt, uintptr_t spanBytes);
/* Spread the sweep of the pages in use over the allocation from heapLive up
 * to trigger (Go: gcPaceSweeper). */
void gcPaceSweeper(hs_runtime *rt, uint64_t trigger);

/* mgcscavenge.c */
void scav_init(hs_runtime *rt);
void scav_start_thread(hs_runtime *rt);
void scav_stop_thread(hs_runtime *rt);
/* Release up to nbytes of free memory to the OS, highest addresses first.
 * Returns the bytes released.  Takes mheap.lock. */
uint64_t scavenge(hs_runtime *rt, uint64_t nbytes);
uint64_t heapRetained(hs_runtime *rt);
/* The goal is set at mark termination, with the world stopped; the thread is
 * woken to look at it only once the world runs again (scav_wake), so that it
 * does not take mheap.lock from under the pause. */
void scav_set_goal(hs_runtime *rt, uint64_t goal);
void scav_wake(hs_runtime *rt);

/* malloc.c */
void runtime_oom(hs_runtime *rt, uint64_t requested);

/* proc.c: stop-the-world (only the collector's thread calls these) */
void stopTheWorld(hs_runtime *rt);
int64_t startTheWorld(hs_runtime *rt); /* returns the pause length */
bool p_tryOwn(hs_runtime *rt, hs_p *pp);   /* Pidle -> Pgcowned */
void p_unown(hs_runtime *rt, hs_p *pp);
void p_setPreempt(hs_p *pp, uint32_t why);
void p_clearPreempt(hs_p *pp, uint32_t why);
void p_serviceRequests(hs_p *pp); /* scan own stacks / flush buffers if asked */
/* A thread without a P that changes the heap (the background sweeper, the
 * scavenger) takes part in stop-the-world through these (proc.c's essay):
 * acquire before a piece of its work, release after it, holding no runtime
 * lock; or stay acquired and poll the safe point between pieces. */
void bg_acquire(hs_runtime *rt);
void bg_release(hs_runtime *rt);
void bg_safepoint(hs_runtime *rt);

/* mgcwork.c */
void gcw_put(hs_runtime *rt, gcWork *w, uintptr_t obj);
uintptr_t gcw_tryGetFast(gcWork *w);             /* its own buffers only */
uintptr_t gcw_tryGet(hs_runtime *rt, gcWork *w); /* then the global list */
void gcw_dispose(hs_runtime *rt, gcWork *w); /* flush buffers and counters */
void gcw_balance(hs_runtime *rt, gcWork *w); /* some of its work to the global list */
bool gcw_empty(const gcWork *w);
bool gcMarkWorkAvailable(hs_runtime *rt);
void gcw_freeAll(hs_runtime *rt);

/* mgcspanq.c: Green Tea's span queues */
bool spanq_put(hs_runtime *rt, spanQueue *q, objptr p); /* true: work went public */
bool spanq_empty(const spanQueue *q);  /* owner */
void spanq_flush(hs_runtime *rt, spanQueue *q); /* owner: everything to the chain */
objptr spanq_tryGetFast(spanQueue *q);  /* owner: the private ring */
uint32_t spanq_len(hs_runtime *rt, const spanQueue *q, uint32_t *chain); /* for readers */
objptr gcw_tryGetSpan(hs_runtime *rt, gcWork *w);   /* the private ring, then its own chain */
objptr gcw_tryStealSpan(hs_runtime *rt, gcWork *w); /* another worker's chain */
void spanqMask_set(hs_runtime *rt, int id);
bool spanqMask_any(hs_runtime *rt);
gcWork *gcWorkOf(hs_runtime *rt, int id);
void freeDeadSpanSPMCs(hs_runtime *rt); /* world stopped, queues empty */
void spanq_freeAll(hs_runtime *rt);

/* Bit k of the low 32 bits of x to bit 2k (a mask of objects to a mask of
 * their 2-bit cells or their words). */
static inline uint64_t bitsSpread32(uint64_t x)
{
    x &= 0xffffffffu;
    x = (x | (x << 16)) & 0x0000ffff0000ffffull;
    x = (x | (x << 8)) & 0x00ff00ff00ff00ffull;
    x = (x | (x << 4)) & 0x0f0f0f0f0f0f0f0full;
    x = (x | (x << 2)) & 0x3333333333333333ull;
    x = (x | (x << 1)) & 0x5555555555555555ull;
    return x;
}

/* mgcmark_greenteagc.c */
/* Shade p if it points into a span with inline mark bits (the span queue);
 * false if it does not, and the object queue must shade it. */
bool tryDeferToSpanScan(hs_runtime *rt, gcWork *w, uintptr_t p);
uintptr_t scanSpan(hs_runtime *rt, gcWork *w, objptr p); /* returns scan work */
void gcw_flushScanStats(hs_runtime *rt, gcWork *w);
/* The words of the objects in toScan (object k: words k*nw .. k*nw+nw-1 of
 * the span's page), as a bitmap of the page's words. */
void gcDenseWordMask(const uint64_t toScan[8], unsigned nw, uint64_t wm[pageSize / 8 / 64]);
/* The pointers, nil ones left out, in the words of the one-page scan span at
 * base that both wm and the span's pointer bitmap select, in address order,
 * into out (pageSize / 8 entries: a span's pointer words and a vector more);
 * returns how many.  vector: with the AVX-512 kernel when the CPU and the
 * build have it. */
size_t gcDensePointers(uintptr_t base, const uint64_t wm[pageSize / 8 / 64], uintptr_t *out,
                       bool vector);
/* World stopped, mark done: no gray object and no queued span left in any
 * Green Tea span.  Prints the first offender and returns false otherwise. */
bool gcCheckInlineMarks(hs_runtime *rt);

/* mbarrier.c */
void wbBufFlush(hs_runtime *rt, hs_p *pp);

/* mgcmark.c */
void gcMarkRootPrepare(hs_runtime *rt);
/* Mark the object p points into (anywhere inside it) and queue its work:
 * Green Tea's span queue for its spans, the object queue otherwise. */
void shade(hs_runtime *rt, gcWork *w, uintptr_t p);
bool greyobject(hs_runtime *rt, gcWork *w, mspan *s, uintptr_t p); /* the object queue */

static inline bool mspan_isSmall(const mspan *s) { return spanClass_sizeclass(s->spanclass) != 0; }

/* The span starting at base has a marked object (heapArena.pageMarks). */
static inline void setPageMarkAt(const mheap *h, uintptr_t base)
{
    heapArena *ha = mheap_arenaOf(h, base);
    uintptr_t pi = (base / pageSize) % pagesPerArena;
    uint8_t mask = (uint8_t)(1u << (pi % 8));
    if ((atomic_load_relaxed_u8(&ha->pageMarks[pi / 8]) & mask) == 0)
        atomic_or_u8(&ha->pageMarks[pi / 8], mask);
}
static inline void setPageMark(const mheap *h, const mspan *s) { setPageMarkAt(h, s->startAddr); }

/* Allocate black (Go: gcmarknewobject): a new object during mark is marked
 * and, having nothing in it yet, scanned.  Large objects; small ones are
 * black through their span (gcAllocBlackSpan). */
static inline void gcmarknewobject(hs_runtime *rt, gcWork *w, mspan *s, uintptr_t obj)
{
    uintptr_t idx = mspan_isSmall(s) ? mspan_objIndex(s, obj) : 0;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    if (s->inlineMarks) { /* Green Tea: both inline bits */
        spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(s->startAddr);
        atomic_or_relaxed_u64(&imb->marks[idx / 64], bit);
        atomic_or_relaxed_u64(&imb->scans[idx / 64], bit);
    } else {
        atomic_or_relaxed_u64(&s->gcmarkBits[idx / 64], bit);
        atomic_or_relaxed_u64(&s->gcscanBits[idx / 64], bit);
    }
    setPageMark(&rt->heap, s);
    w->bytesMarked += s->elemsize;
}
void gcMarkTinyAllocs(hs_runtime *rt);
/* Allocate black by span (mgcmark.c): mark the free slots of a span an mcache
 * holds during mark (its owner, or the world stopped); when it leaves the
 * mcache or mark ends, unmark those still free and return the bytes that were
 * allocated; both for every P's cached spans, world stopped. */
void gcAllocBlackSpan(hs_runtime *rt, mspan *s);
uint64_t gcAllocBlackSpanEnd(hs_runtime *rt, mspan *s);
void gcAllocBlackCached(hs_runtime *rt, bool start);
void scanstacks(hs_runtime *rt, hs_p *pp, gcWork *w);
/* Drain work until none is left, budget scans (objects or span scans) are
 * done (0: no limit), *work bytes are scanned (0: no limit) or stop() says so.
 * Returns the scans done; *work gets the bytes scanned. */
uint64_t gcDrain(hs_runtime *rt, hs_p *self, gcWork *w, uint64_t budget,
                 bool (*stop)(hs_runtime *, hs_p *), uint64_t *work);
bool markrootOne(hs_runtime *rt, hs_p *self, gcWork *w);
void gcAssistAlloc(hs_runtime *rt, hs_p *pp);
void gcFlushBgCredit(hs_runtime *rt, uint64_t work);
void gcMarkWorker(hs_runtime *rt, hs_p *pp);
bool gcMarkDoneFlush(hs_runtime *rt);
void gcMarkDoneFlushP(hs_runtime *rt, hs_p *pp); /* by whoever runs or owns pp */

/* mcheckmark.c */
bool gcCheckmark(hs_runtime *rt);

/* mgcpacer.c */
void gcControllerInit(hs_runtime *rt);
void gcControllerStartCycle(hs_runtime *rt);
void gcControllerRevise(hs_runtime *rt);
void gcControllerEndCycle(hs_runtime *rt, int64_t now);
void gcControllerCommit(hs_runtime *rt);
uint64_t gcHeapGoal(hs_runtime *rt);
double gcAssistWorkPerByte(hs_runtime *rt);
double gcAssistBytesPerWork(hs_runtime *rt);
bool gcTriggerTest(hs_runtime *rt);    /* ask for a cycle if heapLive passed the trigger */

/* mgc.c */
void gc_init(hs_runtime *rt);
void gc_start_thread(hs_runtime *rt);
void gc_stop_thread(hs_runtime *rt);
void gc_destroy(hs_runtime *rt);
void gcRunCycle(hs_runtime *rt, bool forced);
void gcStartInline(hs_runtime *rt, hs_p *pp);
void gcPauseRecord(hs_runtime *rt, int64_t ns);

/* mgcstep.c */
void gcEventLog(hs_runtime *rt, uint32_t kind, int64_t a, int64_t b);
void gcNotifyPhase(hs_runtime *rt, hs_gcphase ph);
void gcSetPhase(hs_runtime *rt, hs_gcphase ph);
int gcHold(hs_runtime *rt, hs_gcphase ph); /* holds if stepping; returns the step granted */


/* proc.c */
int procs_init(hs_runtime *rt);
void procs_free(hs_runtime *rt);

/* runtime.c: the runtime's error sentence and fatal invariant failures. */
void runtime_seterr(hs_runtime *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void hs_throw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_REALTIME ns from now: the deadline of a pthread_cond_timedwait. */
struct timespec realtimeAfter(int64_t ns);

#if HS_DEBUG
#define hs_assert(cond)                                                                 \
    do {                                                                                \
        if (!(cond))                                                                    \
            hs_throw("%s:%d: invariant failed: %s", __FILE__, __LINE__, #cond);         \
    } while (0)
#else
#define hs_assert(cond) ((void)0)
#endif

#endif
