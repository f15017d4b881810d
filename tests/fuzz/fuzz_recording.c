/*
 * fuzz_recording.c — the recording reader on any bytes, as a file.  Never a
 * crash: a file it refuses gets a sentence that names it; a file it opens
 * answers for every frame either a snapshot that passes hs_snapshot_check
 * or a sentence, frames asked in order, backwards and by jumps; its markers
 * lie within its frames.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heapscope/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frame i: a valid snapshot, or a sentence naming the file. */
static void frame(hs_recording *r, size_t i, const char *path)
{
    char why[256] = "";
    const hs_snapshot *s = hs_recording_frame(r, i, why, sizeof(why));
    if (s == NULL ? strstr(why, path) == NULL : hs_snapshot_check(s, s->size, NULL, 0) != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("recording", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char path[64], why[256] = "";
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    hs_recording *r = hs_recording_open(path, why, sizeof(why));
    if (r == NULL) {
        if (strstr(why, path) == NULL)
            abort(); /* a refusal names the file */
        close(fd);
        return 0;
    }
    size_t n = hs_recording_frames(r);
    for (size_t i = 0; i < n && i < 64; i++)
        frame(r, i, path);
    for (size_t i = n; i-- > 0 && n - i <= 8;)
        frame(r, i, path);
    for (size_t i = 0; i < n && i < 64; i += 7)
        frame(r, (i * 13) % n, path);
    for (size_t m = 0; m < hs_recording_markers(r); m++) {
        size_t at = 0;
        const char *caption = NULL;
        if (!hs_recording_marker(r, m, NULL, &at, &caption) || caption == NULL ||
            (n > 0 && at >= n) || strlen(caption) > 255)
            abort();
    }
    hs_recording_close(r);
    close(fd);
    return 0;
}
