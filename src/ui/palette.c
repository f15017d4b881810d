/*
 * palette.c — the colors and glyphs every view uses.
 *
 * Size classes are colored by group, so a glance tells small from big: the
 * tiny classes (8–112 B) in blues, then greens (to 288 B), yellows (to
 * 1 KiB), oranges (to 4 KiB) and reds (to 32 KiB).  Within a group,
 * neighbouring classes alternate between a darker and a lighter shade, so two
 * adjacent spans of neighbouring classes still show a seam.
 *
 * Terminals with 8 colors get the nearest basic color; with none, the views
 * draw the glyphs below, which alone carry every state (the tri-color picture
 * as ○ ◐ ●).
 */
#include <stdlib.h>

#include "ui/uistate.h"

/* The group shades, darker and lighter interleaved. */
static const uint16_t shades[5][6] = {
    {25, 75, 33, 117, 39, 111},    /* blues */
    {28, 120, 34, 114, 40, 157},   /* greens */
    {136, 228, 178, 222, 220, 186}, /* yellows */
    {130, 215, 166, 216, 208, 223}, /* oranges */
    {124, 211, 160, 217, 197, 175}, /* reds */
};

/* Upper class of each group: 112 B, 288 B, 1 KiB, 4 KiB, 32 KiB (Go's table). */
static const int group_end[5] = {9, 19, 32, 44, 67};

static uint16_t class_color(int sizeclass)
{
    int g = 0, first = 1;
    while (g < 4 && sizeclass > group_end[g]) {
        first = group_end[g] + 1;
        g++;
    }
    return shades[g][(sizeclass - first) % 6];
}

static const uint16_t map_colors[MAP_NSTATES] = {
    [MAP_UNUSED] = 235,   [MAP_FREE] = 242,  [MAP_RELEASED] = 23, [MAP_SMALL] = 0,
    [MAP_LARGE] = 135,    [MAP_UNSWEPT] = 94, [MAP_WHITE] = 231,  [MAP_GRAY] = 247,
    [MAP_BLACK] = 16,     [MAP_QUEUED] = 44,  [MAP_SCANNING] = 201,
};

static const uint32_t map_glyphs[MAP_NSTATES] = {
    [MAP_UNUSED] = ' ',     [MAP_FREE] = G_DOT,   [MAP_RELEASED] = '_', [MAP_SMALL] = '#',
    [MAP_LARGE] = 'L',      [MAP_UNSWEPT] = '~',  [MAP_WHITE] = G_WHITE, [MAP_GRAY] = G_GRAY,
    [MAP_BLACK] = G_BLACK,  [MAP_QUEUED] = 'Q',   [MAP_SCANNING] = 'S',
};

static const char *const map_names[MAP_NSTATES] = {
    [MAP_UNUSED] = "arena, never used", [MAP_FREE] = "free page", [MAP_RELEASED] = "released to the OS",
    [MAP_SMALL] = "span of a size class", [MAP_LARGE] = "large object",
    [MAP_UNSWEPT] = "awaiting sweep", [MAP_WHITE] = "white: unmarked",
    [MAP_GRAY] = "gray: marked, not scanned", [MAP_BLACK] = "black: marked and scanned",
    [MAP_QUEUED] = "span in a span queue", [MAP_SCANNING] = "span being scanned",
};

uint16_t pal_map(const palette *p, map_state st, int sizeclass)
{
    uint16_t c = st == MAP_SMALL ? class_color(sizeclass) : map_colors[st];
    return pal_reduce(p, c);
}

uint32_t pal_map_glyph(map_state st)
{
    return map_glyphs[st];
}

const char *pal_map_name(map_state st)
{
    return map_names[st];
}

uint16_t pal_cell(const palette *p, hs_cell c)
{
    static const uint16_t colors[4] = {238, 231, 247, 16};
    return pal_reduce(p, colors[c & 3]);
}

uint32_t pal_cell_glyph(hs_cell c)
{
    static const uint32_t glyphs[4] = {G_DOT, G_WHITE, G_GRAY, G_BLACK};
    return glyphs[c & 3];
}

uint32_t pal_eighths(double share)
{
    static const uint32_t e[9] = {' ', 0x2581, 0x2582, 0x2583, 0x2584,
                                  0x2585, 0x2586, 0x2587, 0x2588};
    if (!(share > 0))
        return ' ';
    int i = (int)(share * 8 + 0.5);
    return e[i < 1 ? 1 : i > 8 ? 8 : i];
}

/* The red, green and blue (0–255) of an xterm-256 color. */
static void rgb_of(uint16_t c, int rgb[3])
{
    static const int basic[16][3] = {
        {0, 0, 0},     {205, 0, 0},   {0, 205, 0},   {205, 205, 0}, {0, 0, 238},    {205, 0, 205},
        {0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0}, {0, 255, 0},    {255, 255, 0},
        {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
    };
    if (c < 16) {
        for (int i = 0; i < 3; i++)
            rgb[i] = basic[c][i];
    } else if (c < 232) {
        int v[3] = {(c - 16) / 36, (c - 16) / 6 % 6, (c - 16) % 6};
        for (int i = 0; i < 3; i++)
            rgb[i] = v[i] ? 55 + 40 * v[i] : 0;
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
    }
}

uint16_t pal_reduce(const palette *p, uint16_t c)
{
    if (c == HS_COLOR_DEFAULT || p->colors >= 256)
        return c;
    if (p->colors == 0)
        return HS_COLOR_DEFAULT;
    int rgb[3];
    rgb_of(c, rgb);
    int hi = rgb[0] > rgb[1] ? rgb[0] : rgb[1];
    hi = hi > rgb[2] ? hi : rgb[2];
    if (hi < 100)
        return 0; /* dark: black */
    /* A channel counts when it is near the brightest one. */
    uint16_t basic = 0;
    for (int i = 0; i < 3; i++)
        if (rgb[i] * 10 >= hi * 6)
            basic |= (uint16_t)(1 << i);
    return basic;
}

/* The xterm-256 color nearest to an RGB triple (cube or gray ramp). */
static uint16_t nearest(const int rgb[3])
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    int idx[3], d_cube = 0;
    for (int i = 0; i < 3; i++) {
        int best = 0;
        for (int l = 1; l < 6; l++)
            if (abs(level[l] - rgb[i]) < abs(level[best] - rgb[i]))
                best = l;
        idx[i] = best;
        d_cube += (level[best] - rgb[i]) * (level[best] - rgb[i]);
    }
    int avg = (rgb[0] + rgb[1] + rgb[2]) / 3;
    int g = avg < 8 ? 0 : avg > 238 ? 23 : (avg - 8) / 10;
    int gv = 8 + 10 * g, d_gray = 0;
    for (int i = 0; i < 3; i++)
        d_gray += (gv - rgb[i]) * (gv - rgb[i]);
    if (d_gray < d_cube)
        return (uint16_t)(232 + g);
    return (uint16_t)(16 + 36 * idx[0] + 6 * idx[1] + idx[2]);
}

uint16_t pal_fade(uint16_t c, uint16_t toward, int pct)
{
    int a[3], b[3], m[3];
    rgb_of(c, a);
    rgb_of(toward, b);
    for (int i = 0; i < 3; i++)
        m[i] = (a[i] * (100 - pct) + b[i] * pct) / 100;
    return nearest(m);
}

void hs_color_rgb(uint16_t color, bool background, uint8_t rgb[3])
{
    int v[3];
    if (color == HS_COLOR_DEFAULT) {
        v[0] = v[1] = v[2] = background ? 0x1c : 0xd0;
    } else {
        rgb_of(color > 255 ? 255 : color, v);
    }
    for (int i = 0; i < 3; i++)
        rgb[i] = (uint8_t)v[i];
}

uint16_t pal_change(const palette *p, change_kind k)
{
    static const uint16_t c[] = {[CHANGE_SAME] = 238, [CHANGE_NEW] = 46, [CHANGE_FREED] = 196,
                                 [CHANGE_RELEASED] = 33, [CHANGE_REUSED] = 226};
    return pal_reduce(p, c[k]);
}

uint32_t pal_change_glyph(change_kind k)
{
    static const uint32_t g[] = {[CHANGE_SAME] = ' ', [CHANGE_NEW] = '+', [CHANGE_FREED] = 'x',
                                 [CHANGE_RELEASED] = 'r', [CHANGE_REUSED] = '*'};
    return g[k];
}

const char *pal_change_name(change_kind k)
{
    static const char *const n[] = {[CHANGE_SAME] = "unchanged", [CHANGE_NEW] = "new span",
                                    [CHANGE_FREED] = "span freed",
                                    [CHANGE_RELEASED] = "released to the OS",
                                    [CHANGE_REUSED] = "another span now"};
    return n[k];
}
