// target.go — a Go program for heapscope's attach tests: it keeps a known
// set of objects alive in globals, then obeys lines on standard input.
//
//	kept:  3000 objects of 2688 B without pointers (size class 40, noscan),
//	       500 objects of 6520 B with a pointer (size class 48, 6528 B, in
//	       every version: since Go 1.22 such an object carries an 8-byte
//	       header, which still fits),
//	       20 objects of 40000 B without pointers (large: 5-page spans).
//	lines: "gc" runs runtime.GC() and answers "done N" (N = NumGC);
//	       "churn" starts allocating garbage of 64 B and 1 KiB in a loop;
//	       "exit" (or end of input) exits.
//
// It prints "ready PID" once the objects are allocated and a GC has swept
// the heap, so every other object of those classes is gone.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
)

type withPointer struct {
	next *withPointer
	pad  [6512]byte
}

var (
	small []*[2688]byte
	ptrs  []*withPointer
	large []*[40000]byte
	sink  []byte
)

func keep() {
	small = make([]*[2688]byte, 3000)
	for i := range small {
		small[i] = new([2688]byte)
	}
	var prev *withPointer
	for i := 0; i < 500; i++ {
		p := &withPointer{next: prev}
		ptrs = append(ptrs, p)
		prev = p
	}
	for i := 0; i < 20; i++ {
		large = append(large, new([40000]byte))
	}
}

func churn() {
	for {
		for i := 0; i < 1000; i++ {
			sink = make([]byte, 64)
			_ = sink
		}
		sink = make([]byte, 1024)
	}
}

func main() {
	keep()
	runtime.GC()
	runtime.GC()
	fmt.Println("ready", os.Getpid())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "gc":
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Println("done", ms.NumGC)
		case "churn":
			go churn()
			fmt.Println("churning")
		case "exit":
			return
		}
	}
}
