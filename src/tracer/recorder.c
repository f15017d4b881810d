/*
 * recorder.c — per-thread record buffers and the trace file, for the
 * LD_PRELOAD tracer.
 *
 * The tracer lives inside someone else's program, so unlike the rest of
 * heapscope it keeps process-wide state: one recorder per process, as there
 * is one malloc per process.  It allocates nothing through malloc (buffers
 * come from mmap) and takes no lock on the fast path.
 *
 * Recording a call:
 *   1. the thread's buffer (thread-local; taken from the registry, or mapped,
 *      on its first record) gets the record appended, then its length is
 *      published with a release store;
 *   2. when less than one record's room is left, the owner flushes: under
 *      the buffer's lock, the bytes not yet written go to the file as one
 *      'C' block, under the file lock, and the buffer starts again empty.
 *
 * The end of a thread (its pthread key's destructor) flushes its buffer and
 * gives it back to the registry for the next new thread.  The end of the
 * process (this library's destructor, which runs after the program's own
 * exit handlers) stops recording, flushes every buffer as far as its
 * published length, and writes the 'E' block.  A thread still running then
 * may append past what was flushed; those records are lost, never torn.
 *
 * A process that leaves by _exit (dash does; so do many fork children)
 * runs no destructor: _exit is interposed too and finishes the same way,
 * unless it is a vfork child, which shares its parent's memory and
 * recorder and must not close the parent's trace.
 *
 * fork: the prepare handler takes the file lock, so no block is half
 * written in the child; the calling thread records nothing until the parent
 * or child handler, so other fork handlers' allocations cannot deadlock on
 * that lock.  The child forgets every other thread's buffer and what its
 * own held (the parent writes those records), and traces on into PATH.<pid>
 * with a header of its own (HS_TRACE_FORKED), opened at its first write.
 * A process started by exec from a traced one finds HEAPSCOPE_TRACE_ROOT,
 * which the first traced process sets, and writes PATH.<pid> as well
 * (HS_TRACE_DESCENDANT), so only the first process writes PATH.
 *
 * The file is opened at the first write, its descriptor moved above
 * HIGH_FD, and checked (device and inode) before every write: a program
 * that closes or reuses descriptors stops the trace with a warning, rather
 * than have records written into its own files.
 *
 * Locks: buffer->lock, then rec.lock.  Fields say what guards them.
 */
#include <config.h>

#include "heapscope/trace.h"
#include "tracer/tracer.h"
#include "tracer/varint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TBUF_BYTES (64 * 1024)
/* An op byte and at most five varints. */
#define MAX_RECORD (1 + 5 * VARINT_MAX_BYTES)
#define HIGH_FD 512 /* the trace's descriptor is moved at or above this */

typedef struct tbuf {
    struct tbuf *next;          /* rec.lock; never unlinked but in a fork child */
    bool in_use;                /* rec.lock */
    pthread_mutex_t lock;       /* a flush of this buffer */
    uint32_t thread;            /* set when taken, under lock */
    uint64_t last_t, last_addr; /* the owner's */
    size_t len;                 /* atomic: bytes of whole records; the owner appends (release) */
    size_t flushed;             /* lock: data[0, flushed) is in the file */
    uint8_t data[TBUF_BYTES];
} tbuf;

enum { REC_UNINIT = 0, REC_INITING, REC_ON, REC_OFF };

static struct recorder {
    int state;                /* atomic: REC_* */
    pthread_mutex_t lock;     /* the file, the registry and everything marked (lock) */
    pthread_key_t key;        /* immutable once on */
    char base[PATH_MAX];      /* HEAPSCOPE_TRACE; immutable once on */
    char path[PATH_MAX + 16]; /* lock */
    int fd;                   /* lock: -1 until the first write */
    dev_t dev;                /* lock: what fd was opened on */
    ino_t ino;                /* lock */
    bool closed;              /* lock: the end block is written */
    uint64_t nchunks;         /* lock */
    uint32_t next_thread;     /* atomic */
    tbuf *bufs;               /* lock */
    hs_trace_header hdr;      /* lock */
} rec = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

/* Initial-exec: no allocation and no lock on first use in any thread. */
static _Thread_local struct {
    tbuf *buf;
    int busy; /* inside a recorded call, or inside the recorder */
    int dead; /* the thread's key destructor has run */
    int fork_held;
} tls __attribute__((tls_model("initial-exec")));

/* ---- small things ------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t rec_now(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static int state(void)
{
    return __atomic_load_n(&rec.state, __ATOMIC_ACQUIRE);
}

static void set_state(int st)
{
    __atomic_store_n(&rec.state, st, __ATOMIC_RELEASE);
}

/* One line on stderr, without stdio (which may allocate). */
static void warn(const char *what, const char *path, int err)
{
    char line[PATH_MAX + 160];
    int n = snprintf(line, sizeof line, "heapscope-trace: %s '%s'%s%s; tracing stopped\n", what,
                     path, err ? ": " : "", err ? strerror(err) : "");
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line) < 0)
        return;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void encode_header(const hs_trace_header *h, uint8_t *p)
{
    memset(p, 0, HS_TRACE_HEADER_BYTES);
    memcpy(p, HS_TRACE_MAGIC, sizeof HS_TRACE_MAGIC);
    put_le(p + 8, h->version, 2);
    put_le(p + 10, h->header_len, 2);
    put_le(p + 12, h->pid, 4);
    put_le(p + 16, h->ppid, 4);
    put_le(p + 20, h->flags, 4);
    put_le(p + 24, h->start_realtime_ns, 8);
    put_le(p + 32, h->start_ns, 8);
}

static void header_now(uint32_t flags)
{
    rec.hdr = (hs_trace_header){
        .version = HS_TRACE_VERSION,
        .header_len = HS_TRACE_HEADER_BYTES,
        .pid = (uint32_t)getpid(),
        .ppid = (uint32_t)getppid(),
        .flags = flags,
        .start_realtime_ns = clock_ns(CLOCK_REALTIME),
        .start_ns = clock_ns(CLOCK_MONOTONIC),
    };
}

/* PATH, or PATH.<pid> for every process but the first. */
static void set_path(bool own_file)
{
    if (own_file)
        snprintf(rec.path, sizeof rec.path, "%s.%ld", rec.base, (long)getpid());
    else
        snprintf(rec.path, sizeof rec.path, "%s", rec.base);
}

/* ---- the file (rec.lock held) --------------------------------------------------- */

static bool write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        for (size_t left = (size_t)w; left > 0 && n > 0;) {
            size_t take = left < iov->iov_len ? left : iov->iov_len;
            iov->iov_base = (char *)iov->iov_base + take;
            iov->iov_len -= take;
            left -= take;
            if (iov->iov_len == 0) {
                iov++;
                n--;
            }
        }
    }
    return true;
}

static bool same_file(int fd)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == rec.dev && st.st_ino == rec.ino;
}

static bool file_open(void)
{
    int fd = open(rec.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        warn("cannot write", rec.path, errno);
        return false;
    }
    int high = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    struct stat st;
    uint8_t hdr[HS_TRACE_HEADER_BYTES];
    encode_header(&rec.hdr, hdr);
    struct iovec iov = {hdr, sizeof hdr};
    if (fstat(fd, &st) != 0 || !write_all(fd, &iov, 1)) {
        warn("cannot write", rec.path, errno);
        close(fd);
        return false;
    }
    rec.fd = fd;
    rec.dev = st.st_dev;
    rec.ino = st.st_ino;
    return true;
}

/* The file open and still ours; on failure tracing stops. */
static bool file_ready(void)
{
    if (rec.closed)
        return false;
    if (rec.fd < 0 && !file_open()) {
        rec.closed = true;
        set_state(REC_OFF);
        return false;
    }
    if (!same_file(rec.fd)) {
        warn("the program closed or replaced the descriptor of", rec.path, 0);
        rec.fd = -1;
        rec.closed = true;
        set_state(REC_OFF);
        return false;
    }
    return true;
}

/* A block: tag, the head's varints, then body. */
static void write_block(uint8_t tag, const uint64_t *head, int nhead, const void *body, size_t len)
{
    uint8_t pre[1 + 2 * VARINT_MAX_BYTES];
    size_t n = 0;
    pre[n++] = tag;
    for (int i = 0; i < nhead; i++)
        n += varint_put(pre + n, head[i]);
    struct iovec iov[2] = {{pre, n}, {(void *)body, len}};
    if (!write_all(rec.fd, iov, len > 0 ? 2 : 1)) {
        warn("cannot write", rec.path, errno);
        rec.closed = true;
        set_state(REC_OFF);
    }
}

static void write_chunk(uint32_t thread, const uint8_t *p, size_t len)
{
    pthread_mutex_lock(&rec.lock);
    if (len > 0 && file_ready()) {
        uint64_t head[2] = {thread, len};
        write_block(HS_TRACE_BLOCK_CHUNK, head, 2, p, len);
        rec.nchunks++;
    }
    pthread_mutex_unlock(&rec.lock);
}

static void write_end(void)
{
    pthread_mutex_lock(&rec.lock);
    if (file_ready()) {
        uint64_t head[1] = {rec.nchunks};
        write_block(HS_TRACE_BLOCK_END, head, 1, NULL, 0);
        rec.closed = true;
    }
    pthread_mutex_unlock(&rec.lock);
}

/* ---- buffers -------------------------------------------------------------------------- */

/* Write what b holds beyond what is written; the owner starts it again
 * empty, anyone else only moves `flushed` on. */
static void tbuf_flush(tbuf *b, bool owner)
{
    pthread_mutex_lock(&b->lock);
    size_t len = __atomic_load_n(&b->len, __ATOMIC_ACQUIRE);
    write_chunk(b->thread, b->data + b->flushed, len - b->flushed);
    b->flushed = owner ? 0 : len;
    if (owner)
        __atomic_store_n(&b->len, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&b->lock);
}

static void tbuf_reset(tbuf *b, uint32_t thread)
{
    b->thread = thread;
    b->last_t = 0;
    b->last_addr = 0;
    b->flushed = 0;
    __atomic_store_n(&b->len, 0, __ATOMIC_RELAXED);
}

static tbuf *tbuf_reuse(void)
{
    pthread_mutex_lock(&rec.lock);
    tbuf *b = rec.bufs;
    while (b != NULL && b->in_use)
        b = b->next;
    if (b != NULL)
        b->in_use = true;
    pthread_mutex_unlock(&rec.lock);
    return b;
}

static tbuf *tbuf_map(void)
{
    tbuf *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->in_use = true;
    pthread_mutex_lock(&rec.lock);
    b->next = rec.bufs;
    rec.bufs = b;
    pthread_mutex_unlock(&rec.lock);
    return b;
}

/* The calling thread's buffer, made on its first record; NULL when no
 * memory is left (the call goes unrecorded). */
static tbuf *tbuf_take(void)
{
    tbuf *b = tbuf_reuse();
    if (b == NULL && (b = tbuf_map()) == NULL)
        return NULL;
    pthread_mutex_lock(&b->lock);
    tbuf_reset(b, __atomic_fetch_add(&rec.next_thread, 1, __ATOMIC_RELAXED));
    pthread_mutex_unlock(&b->lock);
    pthread_setspecific(rec.key, b);
    tls.buf = b;
    return b;
}

static void thread_exit(void *arg)
{
    tbuf *b = arg;
    tls.dead = 1; /* what later destructors allocate goes unrecorded */
    tls.buf = NULL;
    tbuf_flush(b, false);
    pthread_mutex_lock(&rec.lock);
    b->in_use = false;
    pthread_mutex_unlock(&rec.lock);
}

/* ---- appending a record ------------------------------------------------------------ */

static uint8_t *put_addr(tbuf *b, uint8_t *p, uint64_t addr)
{
    p += varint_put(p, zigzag(addr - b->last_addr));
    b->last_addr = addr;
    return p;
}

static uint8_t *put_time(tbuf *b, uint8_t *p, uint64_t t)
{
    uint64_t rel = t > rec.hdr.start_ns ? t - rec.hdr.start_ns : 0;
    uint64_t dt = rel > b->last_t ? rel - b->last_t : 0;
    if (rel > b->last_t)
        b->last_t = rel;
    return p + varint_put(p, dt);
}

static void append(tbuf *b, const rec_call *c)
{
    size_t len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);
    uint8_t *p = b->data + len;
    *p++ = c->op;
    p = put_time(b, p, c->t);
    if (c->op == HS_TRACE_REALLOC)
        p = put_addr(b, p, c->old);
    if (c->op >= HS_TRACE_POSIX_MEMALIGN && c->op <= HS_TRACE_MEMALIGN)
        p += varint_put(p, c->align);
    if (c->op != HS_TRACE_FREE)
        p += varint_put(p, c->size);
    p = put_addr(b, p, c->addr);
    len = (size_t)(p - b->data);
    __atomic_store_n(&b->len, len, __ATOMIC_RELEASE);
    if (len > TBUF_BYTES - MAX_RECORD)
        tbuf_flush(b, true);
}

void rec_leave(const rec_call *c)
{
    tbuf *b = tls.buf;
    if (b == NULL)
        b = tbuf_take();
    if (b != NULL && state() == REC_ON)
        append(b, c);
    tls.busy = 0;
}

/* ---- fork ------------------------------------------------------------------------ */

static void fork_prepare(void)
{
    tls.busy++;
    if (state() == REC_ON) {
        pthread_mutex_lock(&rec.lock);
        tls.fork_held = 1;
    }
}

static void fork_parent(void)
{
    if (tls.fork_held)
        pthread_mutex_unlock(&rec.lock);
    tls.fork_held = 0;
    tls.busy--;
}

/* Only this thread goes on: every other buffer is dropped (their threads do
 * not exist here), and this one's records are the parent's to write. */
static void child_forget_buffers(void)
{
    tbuf *mine = tls.buf, *next;
    for (tbuf *b = rec.bufs; b != NULL; b = next) {
        next = b->next;
        if (b != mine)
            munmap(b, sizeof *b);
    }
    rec.bufs = mine;
    rec.next_thread = 0;
    if (mine != NULL) {
        mine->next = NULL;
        pthread_mutex_init(&mine->lock, NULL);
        tbuf_reset(mine, rec.next_thread++);
    }
}

static void fork_child(void)
{
    if (tls.fork_held) {
        child_forget_buffers();
        if (same_file(rec.fd))
            close(rec.fd);
        rec.fd = -1;
        rec.closed = false;
        rec.nchunks = 0;
        header_now(rec.hdr.flags | HS_TRACE_FORKED);
        set_path(true);
        pthread_mutex_init(&rec.lock, NULL);
    }
    tls.fork_held = 0;
    tls.busy--;
}

/* ---- start and end ------------------------------------------------------------------ */

static bool setup(void)
{
    const char *path = getenv(HS_TRACE_ENV);
    if (path == NULL || path[0] == '\0')
        return false;
    if (strlen(path) >= sizeof rec.base) {
        warn("the path is too long:", path, 0);
        return false;
    }
    strcpy(rec.base, path);
    bool descendant = getenv(HS_TRACE_ENV_ROOT) != NULL;
    header_now(descendant ? HS_TRACE_DESCENDANT : 0);
    set_path(descendant);
    if (pthread_key_create(&rec.key, thread_exit) != 0)
        return false;
    return pthread_atfork(fork_prepare, fork_parent, fork_child) == 0;
}

/* Set up once, by the first thread to get here; calls that come while it
 * does go unrecorded rather than wait. */
static bool rec_init(void)
{
    int expect = REC_UNINIT;
    if (!__atomic_compare_exchange_n(&rec.state, &expect, REC_INITING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return false;
    tls.busy++;
    bool on = setup();
    set_state(on ? REC_ON : REC_OFF);
    tls.busy--;
    return on;
}

bool rec_enter(void)
{
    if (tls.busy != 0 || tls.dead != 0)
        return false;
    int st = state();
    if (st != REC_ON && (st != REC_UNINIT || !rec_init()))
        return false;
    tls.busy = 1;
    return true;
}

/* Runs before main.  The first traced process tells its descendants, which
 * then write files of their own.  setenv allocates: those calls pass through. */
__attribute__((constructor)) static void rec_start(void)
{
    if (state() == REC_UNINIT)
        rec_init();
    if (state() != REC_ON || (rec.hdr.flags & HS_TRACE_DESCENDANT) != 0)
        return;
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    tls.busy++;
    setenv(HS_TRACE_ENV_ROOT, pid, 1);
    tls.busy--;
}

/* Runs after the program's exit handlers, and from _exit. */
__attribute__((destructor)) static void rec_finish(void)
{
    if (state() != REC_ON)
        return;
    tls.busy++;
    set_state(REC_OFF);
    pthread_mutex_lock(&rec.lock);
    tbuf *first = rec.bufs; /* the list only grows at its head */
    pthread_mutex_unlock(&rec.lock);
    for (tbuf *b = first; b != NULL; b = b->next)
        tbuf_flush(b, false);
    write_end();
    tls.busy--;
}

void rec_exit(void)
{
    if (state() == REC_ON && (pid_t)rec.hdr.pid == getpid())
        rec_finish();
}
