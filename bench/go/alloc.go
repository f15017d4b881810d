// alloc.go — the allocation microbenchmark of bench/alloc_bench.c in Go, for
// bench/peers.sh: batches of N objects (4096 up to 1 KiB, 64 for 64 KiB) kept
// in a slice, one byte of each written, then the slice cleared so the batch
// is garbage; Go's collector runs as it would, so its cost is amortized in.
// Pointer-free objects are byte arrays; the scan kind has a pointer as its
// first word.  Each cell: calibrated to ~0.3 s a repetition, the median of 5
// printed as "SIZE NS_NOSCAN NS_SCAN", ns per allocation.  Run it with
// GOMAXPROCS=1 to compare with heapscope's one P.
//
// Usage: alloc
package main

import (
	"fmt"
	"sort"
	"time"
	"unsafe"
)

type (
	n16   [16]byte
	n32   [32]byte
	n64   [64]byte
	n128  [128]byte
	n1k   [1024]byte
	n64k  [64 << 10]byte
	s16   struct{ p *int; b [8]byte }
	s32   struct{ p *int; b [24]byte }
	s64   struct{ p *int; b [56]byte }
	s128  struct{ p *int; b [120]byte }
	s1k   struct{ p *int; b [1016]byte }
	s64k  struct{ p *int; b [64<<10 - 8]byte }
)

var sink uintptr

func run[T any](batch []*T, nb int) float64 {
	size := unsafe.Sizeof(*new(T))
	var sum uintptr
	t0 := time.Now()
	for b := 0; b < nb; b++ {
		for i := range batch {
			p := new(T)
			*(*byte)(unsafe.Add(unsafe.Pointer(p), size-1)) = byte(i)
			batch[i] = p
			sum ^= uintptr(unsafe.Pointer(p))
		}
		for i := range batch {
			batch[i] = nil
		}
	}
	sink ^= sum
	return time.Since(t0).Seconds()
}

func measure[T any]() float64 {
	n := 4096
	if unsafe.Sizeof(*new(T)) > 1024 {
		n = 64
	}
	batch := make([]*T, n)
	nb := 1
	t := run(batch, nb)
	for ; t < 0.02; t = run(batch, nb) {
		nb *= 2
	}
	nb = int(0.3/(t/float64(nb)) + 0.5)
	if nb < 1 {
		nb = 1
	}
	ns := make([]float64, 5)
	for r := range ns {
		ns[r] = run(batch, nb) * 1e9 / float64(nb*n)
	}
	sort.Float64s(ns)
	return ns[len(ns)/2]
}

func main() {
	fmt.Printf("16 %.2f %.2f\n", measure[n16](), measure[s16]())
	fmt.Printf("32 %.2f %.2f\n", measure[n32](), measure[s32]())
	fmt.Printf("64 %.2f %.2f\n", measure[n64](), measure[s64]())
	fmt.Printf("128 %.2f %.2f\n", measure[n128](), measure[s128]())
	fmt.Printf("1024 %.2f %.2f\n", measure[n1k](), measure[s1k]())
	fmt.Printf("65536 %.2f %.2f\n", measure[n64k](), measure[s64k]())
}
