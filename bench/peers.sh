#!/usr/bin/env bash
# peers.sh — heapscope against the systems people would pick instead, in one
# run (`make bench`): binary-trees under heapscope, Go (the newest on the
# machine and Debian's 1.19), C with Boehm's collector and C with explicit
# free under glibc, tcmalloc, jemalloc and mimalloc; the allocation
# microbenchmark against the same peers; churn on 2 Ps against 1; and what the
# live view costs.  Then the targets of issue 4, met or not.
#
# Usage: bench/peers.sh HEAPSCOPE ALLOC_BENCH UI_BENCH
# Environment:
#   RUNS=5          runs per cell (medians); programs alternate within a run,
#                   so load from elsewhere falls on all of them alike
#   BENCH_LONG=1    also depth 20 (some 10 more minutes on 2 cores)
#   BENCH_DEPTHS    the depths, overriding the above (default "16 18")
#   BENCH_PROCS     the P counts (default "1 2")
#   BENCH_ONLY      "trees", "alloc" or "other": one part only
#   CC              the C compiler for the peers (default cc)
# The peers come from `./bootstrap.sh --bench`; a peer that is missing is
# left out and named.  Each group of rows carries the load average when it
# began (`uptime`): numbers taken on a busy machine are to be read as such.
set -euo pipefail

hs=${1:?usage: peers.sh HEAPSCOPE ALLOC_BENCH UI_BENCH}
alloc_bench=${2:?usage: peers.sh HEAPSCOPE ALLOC_BENCH UI_BENCH}
ui_bench=${3:?usage: peers.sh HEAPSCOPE ALLOC_BENCH UI_BENCH}
runs=${RUNS:-5}
depths=${BENCH_DEPTHS:-16 18${BENCH_LONG:+ 20}}
procs_list=${BENCH_PROCS:-1 2}
only=${BENCH_ONLY:-}
cc=${CC:-cc}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0 || a[1] == "-") print "-"; else print a[int((NR+1)/2)]}'; }
load() { awk '{print $1, $2, $3}' /proc/loadavg; }
nanos() { date +%s%N; }

# ---- building the peers ------------------------------------------------------------------

peers=()     # names of the binary-trees programs, in table order
declare -A bt_cmd alloc_cmd label
missing=()

peers+=(heapscope)
label[heapscope]="heapscope $("$hs" --version | head -1 | awk '{print $NF}')"

# go_build NAME GO: build both Go programs with that go.
go_build() {
    local name=$1 gobin=$2 ver
    ver=$("$gobin" env GOVERSION 2>/dev/null) || return 1
    mkdir -p "$tmp/$name"
    cp "$here/go/binarytrees.go" "$here/go/alloc.go" "$tmp/$name/"
    (cd "$tmp/$name" && export GOCACHE="$tmp/$name/cache" GO111MODULE=off GOFLAGS= &&
        "$gobin" build -o bt binarytrees.go && "$gobin" build -o alloc alloc.go) || return 1
    peers+=("$name")
    label[$name]="Go ${ver#go}"
    bt_cmd[$name]="$tmp/$name/bt"
    alloc_cmd[$name]="env GOMAXPROCS=1 $tmp/$name/alloc"
}

newest_go=""
for g in /usr/local/go/bin/go "$(command -v go || true)"; do
    [ -x "$g" ] || continue
    v=$("$g" env GOVERSION 2>/dev/null) || continue
    if [ -z "$newest_go" ] || [ "$(printf '%s\n%s\n' "$newest_v" "$v" | sort -V | tail -1)" = "$v" ]; then
        newest_go=$g newest_v=$v
    fi
done
if [ -n "$newest_go" ] && go_build go "$newest_go"; then :; else missing+=("Go"); fi
if [ -x /usr/lib/go-1.19/bin/go ] && [ "$newest_go" != /usr/lib/go-1.19/bin/go ]; then
    go_build go119 /usr/lib/go-1.19/bin/go || missing+=("Go 1.19")
else
    missing+=("Go 1.19 (golang-go)")
fi

# c_build NAME LABEL FLAGS...: both C programs, or nothing if they do not link.
c_build() {
    local name=$1 lbl=$2
    shift 2
    if "$cc" -O2 -pthread -o "$tmp/bt-$name" "$here/peers/binarytrees.c" "$@" 2>/dev/null &&
        "$cc" -O2 -pthread -o "$tmp/alloc-$name" "$here/peers/alloc.c" "$@" 2>/dev/null; then
        peers+=("$name")
        label[$name]=$lbl
        bt_cmd[$name]="$tmp/bt-$name"
        alloc_cmd[$name]="$tmp/alloc-$name"
    else
        missing+=("$lbl")
    fi
}
c_build boehm "C, Boehm GC" -DPEER_BOEHM -lgc
c_build glibc "C, glibc malloc"
c_build tcmalloc "C, tcmalloc" -ltcmalloc_minimal
c_build jemalloc "C, jemalloc" -ljemalloc
c_build mimalloc "C, mimalloc" -lmimalloc

# ---- binary-trees -------------------------------------------------------------------------

# run_trees NAME DEPTH PROCS: "wall_s cpu_s rss_kb cycles max_ms p99_ms".
run_trees() {
    local name=$1 depth=$2 procs=$3 t0 t1 out
    out=$tmp/out
    t0=$(nanos)
    case $name in
    heapscope)
        /usr/bin/time -f "%U %S %M" -o "$tmp/time" "$hs" --headless -w "binary-trees:depth=$depth" \
            -p "$procs" --stats-json "$tmp/stats.json" >"$out" 2>/dev/null
        ;;
    go | go119)
        GODEBUG=gctrace=1 GOMAXPROCS=$procs /usr/bin/time -f "%U %S %M" -o "$tmp/time" \
            "${bt_cmd[$name]}" "$depth" >"$out" 2>"$tmp/trace"
        ;;
    *)
        GC_MARKERS=$procs /usr/bin/time -f "%U %S %M" -o "$tmp/time" \
            "${bt_cmd[$name]}" "$depth" "$procs" >"$out" 2>"$tmp/trace"
        ;;
    esac
    t1=$(nanos)
    if ! grep -q "^long lived tree of depth $depth" "$out"; then
        echo "peers.sh: $name binary-trees $depth on $procs Ps did not finish" >&2
        exit 1
    fi
    read -r user sys rss <"$tmp/time"
    local wall cpu gc
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
    case $name in
    heapscope)
        gc=$(tr -d '\n' <"$tmp/stats.json" | sed 's/.*"pauses": *{\([^}]*\)}.*"\/gc\/cycles\/total:gc-cycles": *\([0-9]*\).*/\1,"cycles": \2/' |
            awk -F, '{for (i = 1; i <= NF; i++) {split($i, kv, ":"); gsub(/[" ]/, "", kv[1]); v[kv[1]] = kv[2]}
                      printf "%d %.3f %.3f", v["cycles"], v["max_ns"] / 1e6, v["p99_ns"] / 1e6}')
        ;;
    go | go119)
        # Pauses: the first and third clock terms of each gctrace line.
        awk '/^gc [0-9]+ @/ {split($5, t, "+"); print t[1]; print t[3]}' "$tmp/trace" | sort -g >"$tmp/pauses"
        gc=$(awk -v n="$(grep -c '^gc [0-9]* @' "$tmp/trace" || true)" '{p[NR] = $1} END {
                 q = NR ? p[int((NR * 99 + 99) / 100)] : 0
                 printf "%d %.3f %.3f", n, NR ? p[NR] : 0, q}' "$tmp/pauses")
        ;;
    boehm)
        gc=$(awk '/^peer-gc/ {printf "%d %.3f %.3f", $3, $7 / 1e6, $9 / 1e6}' "$tmp/trace")
        ;;
    *) gc="- - -" ;;
    esac
    echo "$wall $cpu $rss $gc"
}

# One (depth, procs) group: every program RUNS times, alternating.
declare -A res
trees_group() {
    local depth=$1 procs=$2 name r
    for name in "${peers[@]}"; do : >"$tmp/rows-$name"; done
    for r in $(seq "$runs"); do
        for name in "${peers[@]}"; do
            run_trees "$name" "$depth" "$procs" >>"$tmp/rows-$name"
        done
    done
    for name in "${peers[@]}"; do
        res[$name]=$(for col in 1 2 3 4 5 6; do awk -v c=$col '{print $c}' "$tmp/rows-$name" | median; done | xargs)
    done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b}'; }

declare -A hs_trees=() go_trees=()
trees_table() {
    printf '## binary-trees (median of %d runs)\n\n' "$runs"
    printf 'Wall and CPU seconds, peak RSS; GC cycles and stop-the-world pauses where the program has\n'
    printf 'them (heapscope: --stats-json; Go: GODEBUG=gctrace=1, sweep and mark termination;\n'
    printf 'Boehm: stop to start of the world, GC_set_on_collection_event); ratios against %s.\n\n' \
        "${label[go]:-Go}"
    printf '| depth | Ps | load | program | wall s | CPU s | peak RSS MiB | GC cycles | max STW ms | p99 STW ms | wall / Go | RSS / Go |\n'
    printf '| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
    local depth procs name ld
    for depth in $depths; do
        for procs in $procs_list; do
            ld=$(load)
            trees_group "$depth" "$procs"
            read -r gw _ gr _ <<<"${res[go]:-- - - -}"
            for name in "${peers[@]}"; do
                read -r w c r n m p <<<"${res[$name]}"
                printf '| %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %s | %s |\n' "$depth" "$procs" \
                    "$ld" "${label[$name]}" "$w" "$c" "$(awk -v r="$r" 'BEGIN {print r / 1024}')" "$n" "$m" "$p" \
                    "$(ratio "$w" "$gw")" "$(ratio "$r" "$gr")"
                ld=""
            done
            hs_trees[$depth/$procs]=${res[heapscope]}
            go_trees[$depth/$procs]=${res[go]:-}
        done
    done
    echo
}

# ---- allocation ---------------------------------------------------------------------------

declare -A alloc_ns=()
alloc_table() {
    local name kind col
    printf '## allocation (ns per allocation, median of 5 repetitions of ~0.3 s; load %s)\n\n' "$(load)"
    printf 'Batches of 4096 objects (64 of 64 KiB), one byte of each written, then freed or dropped.\n'
    printf 'heapscope: bench/alloc_bench on 1 P, each batch reclaimed by a sweep with no marks;\n'
    printf 'Go: GOMAXPROCS=1, the collector running as it will; Boehm: GC_MALLOC_ATOMIC (noscan) and\n'
    printf 'GC_MALLOC (scan), never freed; malloc peers: malloc then free.  "scan" objects hold a pointer.\n\n'
    for kind in hs hs-scan; do
        col=$([ $kind = hs ] && echo 4 || echo 5)
        "$alloc_bench" -k "$kind" | awk -F'|' -v c=$col '/^\| [0-9]+ (B|KiB) \|/ {
            s = $2; gsub(/ /, "", s); if (s ~ /KiB/) {sub(/KiB/, "", s); s *= 1024} else sub(/B/, "", s)
            v = $c; gsub(/ /, "", v); print s, v}' >"$tmp/ns-$kind"
    done
    for name in "${peers[@]}"; do
        [ "$name" = heapscope ] && continue
        ${alloc_cmd[$name]} >"$tmp/ns-$name"
    done
    local hdr="| size | heapscope noscan | heapscope scan"
    for name in "${peers[@]}"; do
        case $name in
        heapscope) ;;
        go | go119 | boehm) hdr+=" | ${label[$name]} noscan | ${label[$name]} scan" ;;
        *) hdr+=" | ${label[$name]#C, }" ;;
        esac
    done
    hdr+=" | heapscope noscan / mimalloc | heapscope scan / mimalloc |"
    echo "$hdr"
    echo "$hdr" | awk -F'|' '{s = "|"; for (i = 2; i < NF; i++) s = s " ---: |"; print s}'
    local size
    for size in 16 32 64 128 1024 65536; do
        local row a b mi
        a=$(awk -v s=$size '$1 == s {print $2}' "$tmp/ns-hs")
        b=$(awk -v s=$size '$1 == s {print $2}' "$tmp/ns-hs-scan")
        alloc_ns[hs/$size]=$a
        row="| $( [ $size -ge 1024 ] && [ $((size % 1024)) -eq 0 ] && [ $size -gt 1024 ] && echo "$((size / 1024)) KiB" || echo "$size B") | $a | $b"
        for name in "${peers[@]}"; do
            case $name in
            heapscope) ;;
            go | go119 | boehm) row+=" | $(awk -v s=$size '$1 == s {print $2 " | " $3}' "$tmp/ns-$name")" ;;
            *) row+=" | $(awk -v s=$size '$1 == s {print $2}' "$tmp/ns-$name")" ;;
            esac
        done
        mi=$( [ -f "$tmp/ns-mimalloc" ] && awk -v s=$size '$1 == s {print $2}' "$tmp/ns-mimalloc" || echo -)
        alloc_ns[mi/$size]=$mi
        echo "$row | $(ratio "$a" "$mi") | $(ratio "$b" "$mi") |"
    done
    echo
}

# ---- churn on 2 Ps against 1, and the live view -------------------------------------------

churn_ops() { # PROCS: operations per second of one 3 s run; its max and p99 pause
    "$hs" --headless -w churn -p "$1" --duration 3s --stats-json "$tmp/churn.json" >/dev/null 2>&1
    tr -d '\n' <"$tmp/churn.json" | awk '{
        match($0, /"wall_seconds": *[0-9.]+/); w = substr($0, RSTART, RLENGTH); sub(/.*: */, "", w)
        match($0, /"operations": *[0-9]+/); o = substr($0, RSTART, RLENGTH); sub(/.*: */, "", o)
        match($0, /"max_ns": *[0-9]+/); m = substr($0, RSTART, RLENGTH); sub(/.*: */, "", m)
        match($0, /"p99_ns": *[0-9]+/); p = substr($0, RSTART, RLENGTH); sub(/.*: */, "", p)
        printf "%.0f %.3f %.3f\n", o / w, m / 1e6, p / 1e6}'
}

churn_ratio=""
view_ratio=""
other_table() {
    printf '## churn and the live view (load %s)\n\n' "$(load)"
    : >"$tmp/churn1"
    : >"$tmp/churn2"
    for _ in $(seq "$runs"); do
        churn_ops 1 >>"$tmp/churn1"
        churn_ops 2 >>"$tmp/churn2"
    done
    local o1 o2 m2 p2
    o1=$(awk '{print $1}' "$tmp/churn1" | median)
    o2=$(awk '{print $1}' "$tmp/churn2" | median)
    m2=$(awk '{print $2}' "$tmp/churn2" | median)
    p2=$(awk '{print $3}' "$tmp/churn2" | median)
    churn_ratio=$(ratio "$o2" "$o1")
    churn_max=$m2 churn_p99=$p2
    printf -- '- churn (3 s runs, median of %d): %s operations/s on 1 P, %s on 2 Ps: %sx; on 2 Ps max STW %s ms, p99 %s ms\n' \
        "$runs" "$o1" "$o2" "$churn_ratio" "$m2" "$p2"
    "$ui_bench" -n -r "$runs" -d 18 >"$tmp/ui" 2>&1 || true
    view_ratio=$(awk -F'headless: ' '/with the view \/ headless/ {split($2, v, " "); print v[1]}' "$tmp/ui")
    printf -- '- the live view (bench/ui_bench -n -r %d -d 18): %s\n' "$runs" \
        "$(grep -E 'median of|with the view /' "$tmp/ui" | tr '\n' ' ' | sed 's/ *$//')"
    echo
}

# ---- the targets ------------------------------------------------------------------------

verdict() { awk -v v="$1" -v lim="$2" 'BEGIN {if (v == "-" || v == "") print "not measured"; else if (v + 0 <= lim + 0) print "met"; else print "NOT met"}'; }

targets() {
    echo "## targets (issue 4)"
    echo
    local key w c r n m p gw gr
    for key in "${!hs_trees[@]}"; do
        case $key in */2) ;; *) continue ;; esac
        [ "${key%/*}" -ge 18 ] || continue
        read -r w c r n m p <<<"${hs_trees[$key]}"
        read -r gw _ gr _ <<<"${go_trees[$key]:-- - - -}"
        printf -- '- binary-trees depth %s on 2 Ps: wall %s x Go (target <= 0.6: %s); peak RSS %s x Go (target <= 1: %s)\n' \
            "${key%/*}" "$(ratio "$w" "$gw")" "$(verdict "$(ratio "$w" "$gw")" 0.6)" \
            "$(ratio "$r" "$gr")" "$(verdict "$(ratio "$r" "$gr")" 1)"
    done
    local maxall=0 p99all=0
    for key in "${!hs_trees[@]}"; do
        read -r w c r n m p <<<"${hs_trees[$key]}"
        maxall=$(awk -v a="$maxall" -v b="$m" 'BEGIN {print (b > a ? b : a)}')
        p99all=$(awk -v a="$p99all" -v b="$p" 'BEGIN {print (b > a ? b : a)}')
    done
    if [ ${#hs_trees[@]} -gt 0 ]; then
        printf -- '- STW pauses, worst median over the binary-trees rows: max %s ms (target < 0.1: %s), p99 %s ms (target < 0.05: %s)\n' \
            "$maxall" "$(verdict "$maxall" 0.0999)" "$p99all" "$(verdict "$p99all" 0.0499)"
    fi
    if [ -n "$churn_ratio" ]; then
        printf -- '- STW pauses on churn, 2 Ps: max %s ms (%s), p99 %s ms (%s)\n' "$churn_max" \
            "$(verdict "$churn_max" 0.0999)" "$churn_p99" "$(verdict "$churn_p99" 0.0499)"
        printf -- '- churn on 2 Ps / 1 P: %sx (target >= 1.8: %s)\n' "$churn_ratio" \
            "$(awk -v v="$churn_ratio" 'BEGIN {print (v == "-" ? "not measured" : (v >= 1.8 ? "met" : "NOT met"))}')"
    fi
    local size
    for size in 16 32 64 128; do
        [ -n "${alloc_ns[hs/$size]:-}" ] || continue
        local q
        q=$(ratio "${alloc_ns[hs/$size]}" "${alloc_ns[mi/$size]}")
        printf -- '- allocation of %s B (noscan): %s x mimalloc malloc+free (target <= 1.5: %s)\n' "$size" "$q" "$(verdict "$q" 1.5)"
    done
    [ -n "$view_ratio" ] && printf -- '- mutator throughput with the live view at 30 Hz / headless: %s\n' "$view_ratio"
    return 0
}

# ---- the report -------------------------------------------------------------------------

printf '# heapscope against its peers\n\n'
printf 'machine: %s CPUs, %s; load at start %s\n' "$(nproc)" \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$(load)"
printf 'programs: %s\n' "$(for n in "${peers[@]}"; do printf '%s; ' "${label[$n]}"; done)"
[ ${#missing[@]} -eq 0 ] || printf 'missing (./bootstrap.sh --bench): %s\n' "${missing[*]}"
echo
case $only in "" | trees) trees_table ;; esac
case $only in "" | alloc) alloc_table ;; esac
case $only in "" | other) other_table ;; esac
targets
