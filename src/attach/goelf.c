/*
 * goelf.c — what the program's ELF file says before any DWARF is read.
 *
 *   1. it is a 64-bit little-endian ELF (the reader copies words as they are);
 *   2. its Go version, from .go.buildinfo, which every Go binary keeps, even
 *      one built with -ldflags='-s -w': a 32-byte header ("\xff Go buildinf:",
 *      pointer size, flags) and, when flags has bit 2 (Go 1.18 and later),
 *      the version as a varint-length-prefixed string right after it;
 *   3. its build id (.note.go.buildid), so --attach-bin can be checked
 *      against the running program;
 *   4. whether it has DWARF (.debug_info, compressed or not), and whether
 *      the linker was told to leave it out: the build settings that follow
 *      the version in .go.buildinfo (Go 1.18 and later) keep the -ldflags,
 *      and a program linked with -s or -w has no unstripped twin (the same
 *      build without them is laid out differently);
 *   5. its entry point: for a PIE build the load bias is the process's
 *      AT_ENTRY (from /proc/PID/auxv) minus this.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach/attachint.h"

#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_HEADER 32
#define BUILDINFO_INLINE 2 /* flags: strings follow the header */

static Elf_Scn *find_section(Elf *e, const char *name)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx) != 0)
        return NULL;
    for (Elf_Scn *s = elf_nextscn(e, NULL); s != NULL; s = elf_nextscn(e, s)) {
        GElf_Shdr sh;
        if (gelf_getshdr(s, &sh) == NULL)
            continue;
        const char *n = elf_strptr(e, shstrndx, sh.sh_name);
        if (n != NULL && strcmp(n, name) == 0)
            return s;
    }
    return NULL;
}

static const Elf_Data *section_data(Elf *e, const char *name)
{
    Elf_Scn *s = find_section(e, name);
    return s != NULL ? elf_getdata(s, NULL) : NULL;
}

/* "go1.19.8" -> 1, 19; false for "devel ..." and anything else. */
static bool parse_version(const char *v, int *major, int *minor)
{
    return sscanf(v, "go%d.%d", major, minor) == 2;
}

static bool read_version(Elf *e, go_binary *b)
{
    const Elf_Data *d = section_data(e, ".go.buildinfo");
    if (d == NULL || d->d_buf == NULL || d->d_size < BUILDINFO_HEADER + 1)
        return false;
    const unsigned char *p = d->d_buf;
    if (memcmp(p, BUILDINFO_MAGIC, strlen(BUILDINFO_MAGIC)) != 0)
        return false;
    if (!(p[15] & BUILDINFO_INLINE)) {
        snprintf(b->version, sizeof b->version, "a Go older than 1.18");
        return true;
    }
    size_t len = 0, i = BUILDINFO_HEADER;
    for (int shift = 0; i < d->d_size && shift < 35; shift += 7) {
        len |= (size_t)(p[i] & 0x7f) << shift;
        if (!(p[i++] & 0x80))
            break;
    }
    if (i + len > d->d_size)
        return false;
    len = len < sizeof b->version - 1 ? len : sizeof b->version - 1;
    memcpy(b->version, p + i, len);
    b->version[len] = '\0';
    parse_version(b->version, &b->major, &b->minor);
    return true;
}

/* Do the build settings in .go.buildinfo say -ldflags with -s or -w?  The
 * line is "build\t-ldflags=VALUE", VALUE quoted when it has spaces. */
static bool read_link_stripped(Elf *e)
{
    static const char key[] = "build\t-ldflags=";
    const Elf_Data *d = section_data(e, ".go.buildinfo");
    if (d == NULL || d->d_buf == NULL)
        return false;
    const char *p = memmem(d->d_buf, d->d_size, key, sizeof key - 1);
    if (p == NULL)
        return false;
    const char *end = (const char *)d->d_buf + d->d_size;
    p += sizeof key - 1;
    while (p < end && *p != '\n') {
        while (p < end && (*p == ' ' || *p == '"'))
            p++;
        const char *w = p;
        while (p < end && *p != ' ' && *p != '"' && *p != '\n')
            p++;
        if (p - w == 2 && w[0] == '-' && (w[1] == 's' || w[1] == 'w'))
            return true;
    }
    return false;
}

/* The note's descriptor: the build id string. */
static void read_build_id(Elf *e, go_binary *b)
{
    const Elf_Data *d = section_data(e, ".note.go.buildid");
    if (d == NULL || d->d_buf == NULL || d->d_size < 16)
        return;
    const uint32_t *w = d->d_buf;
    size_t namesz = w[0], descsz = w[1], off = 12 + ((namesz + 3) & ~(size_t)3);
    if (off + descsz > d->d_size)
        return;
    size_t len = descsz < sizeof b->build_id - 1 ? descsz : sizeof b->build_id - 1;
    memcpy(b->build_id, (const char *)d->d_buf + off, len);
    b->build_id[len] = '\0';
}

static int inspect(Elf *e, const char *shown, go_binary *b, char *why, size_t n)
{
    GElf_Ehdr eh;
    if (elf_kind(e) != ELF_K_ELF || gelf_getehdr(e, &eh) == NULL) {
        snprintf(why, n, "%s is not an ELF program", shown);
        return HS_ATTACH_BAD;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
        snprintf(why, n, "%s is not a 64-bit little-endian program; heapscope reads only those",
                 shown);
        return HS_ATTACH_BAD;
    }
    if (!read_version(e, b)) {
        snprintf(why, n, "%s is not a Go program: it has no .go.buildinfo section", shown);
        return HS_ATTACH_BAD;
    }
    read_build_id(e, b);
    b->entry = eh.e_entry;
    b->pie = eh.e_type == ET_DYN;
    b->has_dwarf = find_section(e, ".debug_info") != NULL || find_section(e, ".zdebug_info");
    b->link_stripped = read_link_stripped(e);
    return HS_ATTACH_OK;
}

int go_binary_read(const char *path, const char *shown_as, go_binary *b, char *why, size_t n)
{
    memset(b, 0, sizeof *b);
    elf_version(EV_CURRENT);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, n, "cannot open %s: %s", shown_as, strerror(e));
        return e == ENOENT ? HS_ATTACH_BAD : e == EACCES || e == EPERM ? -EPERM : HS_ATTACH_BAD;
    }
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    int rc;
    if (e == NULL) {
        snprintf(why, n, "%s is not an ELF program", shown_as);
        rc = HS_ATTACH_BAD;
    } else {
        rc = inspect(e, shown_as, b, why, n);
        elf_end(e);
    }
    close(fd);
    return rc;
}

uint64_t go_auxv_entry(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    uint64_t kv[2], entry = 0;
    while (fread(kv, sizeof kv, 1, f) == 1 && kv[0] != 0)
        if (kv[0] == 9 /* AT_ENTRY */)
            entry = kv[1];
    fclose(f);
    return entry;
}
