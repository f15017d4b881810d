/*
 * heapscope/attach.h — a running Go program as a source of snapshots.
 *
 * heapscope reads another process's Go heap through /proc and
 * process_vm_readv, never writing to it: its arenas and pages, every in-use
 * span with each object's state (free, allocated and unmarked, marked), each
 * P's mcache and tiny block, the mcentral sets (from each span's sweepgen),
 * and the collector's phase, cycle, heap live and goal.  Where the fields
 * are comes from the program's own DWARF, resolved once at open against a
 * table of every global, constant and field the reader needs, with the
 * alternatives of each Go version; no offset is written by hand.
 *
 * A Go heap mostly keeps no gray-versus-black record, so cells are
 * HS_CELL_FREE, HS_CELL_WHITE (allocated, unmarked) or HS_CELL_BLACK
 * (marked), and the snapshots say HS_SOURCE_ATTACH.  The exception is Green
 * Tea (Go 1.26+, or 1.25 with GOEXPERIMENT=greenteagc; the snapshot's gcmode
 * 1): its spans of 16-512 B objects carry an inline block (flagged
 * HS_SPAN_INLINE_MARKS) whose seen and scanned bits tell, during mark, in
 * spans with pointers, HS_CELL_GRAY (seen, not yet scanned) from
 * HS_CELL_BLACK.  Reads of a running program can tear; a
 * span whose counts do not agree with its bits keeps its last good state and
 * is counted in hs_snapshot.torn_spans.  With freeze, every thread of the
 * program is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT) for the reads of each
 * frame and let go at once: the frame is exact and world_stopped, and
 * hs_snapshot.freeze_pause_ns says what it cost the program.
 *
 * Supported: Linux, amd64 and arm64 ELF programs built by Go 1.19 to 1.26
 * with DWARF (the default of `go build`), PIE or not.  Nothing here is global.
 */
#ifndef HEAPSCOPE_ATTACH_H
#define HEAPSCOPE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapscope/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What hs_attach_open and hs_attach_capture return. */
typedef enum hs_attach_status {
    HS_ATTACH_OK = 0,
    HS_ATTACH_FAILED = 1, /* a failure at run time: out of memory, a thread */
    HS_ATTACH_BAD = 2,    /* bad input: no such process, not Go, stripped, refused, ... */
    HS_ATTACH_EXITED = 3, /* the program has exited; the last frame stays published */
} hs_attach_status;

typedef struct hs_attach_opts {
    int pid;
    const char *binary; /* the unstripped build to take symbols from; NULL: /proc/PID/exe */
    bool freeze;        /* stop the program's threads for each frame's reads */
    int fps;            /* frames per second on the thread; 0: 10 */
} hs_attach_opts;

typedef struct hs_attach hs_attach;

/* Open the program: check it (it exists, may be read, is Go of a supported
 * version, has DWARF), resolve the table, read one frame to be sure.  On
 * success *out is set and HS_ATTACH_OK returned; otherwise why says, in one
 * sentence, what was wrong. */
hs_attach_status hs_attach_open(const hs_attach_opts *o, hs_attach **out, char *why, size_t n);
/* Stop the thread if it runs, and free everything.  The program is never
 * left stopped. */
void hs_attach_close(hs_attach *a);

/* Read one frame now, on this thread, into pub (the publisher's one writer:
 * not while the thread runs). */
hs_attach_status hs_attach_capture(hs_attach *a, hs_snapshot_publisher *pub);
/* Read frames at fps on a thread of its own into pub until hs_attach_stop
 * or the program exits.  False if the thread could not start. */
bool hs_attach_start(hs_attach *a, hs_snapshot_publisher *pub);
void hs_attach_stop(hs_attach *a);

/* What the reader knows so far (any thread, never waits). */
typedef struct hs_attach_info {
    char go_version[32];                 /* "go1.19.8" */
    char program[64];                    /* the executable's name */
    bool exited;                         /* the program is gone: no more frames */
    uint64_t frames;                     /* frames published */
    uint64_t torn_spans;                 /* spans whose read tore, over all frames */
    int64_t last_frame_ns, max_frame_ns; /* time to read and build a frame */
    int64_t last_pause_ns, max_pause_ns; /* --freeze: time the program was stopped */
    uint32_t forced_gcs;                 /* memstats.numforcedgc: cycles runtime.GC() asked for */
    uint64_t tiny_allocs;                /* tiny blocks allocated, counted in Mallocs too */
} hs_attach_info;
hs_attach_info hs_attach_get_info(hs_attach *a);

/* The freeze pauses of the frames so far, oldest first (at most n, the
 * newest); returns how many were copied. */
size_t hs_attach_pauses(hs_attach *a, int64_t *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* HEAPSCOPE_ATTACH_H */
