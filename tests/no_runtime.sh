#!/usr/bin/env bash
# no_runtime.sh — a part sees snapshots only (DESIGN.md), proved on its built
# library and its sources: of all the symbols the other parts' libraries
# define, the part's library needs exactly the ones allowed (often none), and
# its sources include no project header but the allowed ones.  System headers
# (<...>) are not looked at.
#
# Usage: no_runtime.sh NAME LIB SRCDIR 'SYMBOL...' 'HEADER-PATTERN...' OTHER-LIB...
#   NAME            what the part is called in messages ("the UI")
#   LIB             the part's library
#   SRCDIR          its sources (*.c, *.h)
#   SYMBOL...       the other parts' symbols it may use, space-separated
#   HEADER-PATTERN  grep patterns of the #include "..." lines allowed
#   OTHER-LIB...    the other parts' libraries; the first must be the runtime's
# Exit 0 when both hold, 1 when either fails, 99 when a library is not built.
set -u
if [ $# -lt 6 ]; then
    echo "usage: no_runtime.sh NAME LIB SRCDIR SYMBOLS HEADER-PATTERNS OTHER-LIB..." >&2
    exit 99
fi
name=$1 lib=$2 src=$3 allowed=$4 headers=$5
shift 5
others=("$@")
for l in "$lib" "${others[@]}"; do
    [ -f "$l" ] || { echo "no_runtime: $l is not built" >&2; exit 99; }
done
failures=0
needed=$(nm -u "$lib" | awk 'NF == 2 {print $2}' | sort -u)
defined=$(nm --defined-only "${others[@]}" | awk 'NF == 3 && $2 ~ /[TDBR]/ {print $3}' | sort -u)
# Sanity: the check can see a symbol the runtime does define.
echo "$defined" | grep -qx 'hs_malloc' || { echo "FAIL: hs_malloc not found in ${others[0]}" >&2; exit 1; }
both=$(comm -12 <(echo "$needed") <(echo "$defined"))
read -r -a symbols <<<"$allowed" # split on spaces, never globbed
want=$(printf '%s\n' "${symbols[@]}" | sed '/^$/d' | sort -u)
if [ "$both" != "$want" ]; then
    echo "FAIL: $name uses these symbols of other parts: $both (allowed: ${allowed:-none})" >&2
    failures=$((failures + 1))
fi
read -r -a allowedHeaders <<<"$headers"
patterns=()
for p in "${allowedHeaders[@]}"; do
    patterns+=(-e "$p")
done
shopt -s nullglob
sources=("$src"/*.c "$src"/*.h)
[ ${#sources[@]} -gt 0 ] || { echo "no_runtime: no sources in $src" >&2; exit 99; }
bad=$(grep -h '#include "' "${sources[@]}" | grep -v "${patterns[@]}" || true)
if [ -n "$bad" ]; then
    echo "FAIL: $name's sources include: $bad" >&2
    failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] &&
    echo "ok: of the other parts, $name uses ${allowed:-nothing} and includes only its own and the allowed headers"
exit $((failures > 0))
