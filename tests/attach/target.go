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
//	       "mark" keeps a tree of 1,048,575 nodes of 24 B with pointers
//	       (size class 3, scan: Green Tea's inline marks in Go 1.26) and
//	       starts calling runtime.GC() in a loop, so that most of the
//	       time is spent marking it: answers "marking" once a first
//	       cycle has scanned the whole tree;
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

type node struct {
	left, right *node
	n           int
}

// tree: a complete binary tree of the given depth, children allocated
// after their parent, so a span scan finds most of its pointers leading
// to spans not yet scanned.
func tree(depth int) *node {
	if depth == 0 {
		return nil
	}
	return &node{left: tree(depth - 1), right: tree(depth - 1), n: depth}
}

func collect() {
	for {
		runtime.GC()
	}
}

type withPointer struct {
	next *withPointer
	pad  [6512]byte
}

var (
	small []*[2688]byte
	ptrs  []*withPointer
	large []*[40000]byte
	sink  []byte
	root  *node
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
		case "mark":
			root = tree(20)
			// A whole cycle over the finished tree first: the pacer's
			// expected scan work is the last cycle's, and a cycle that
			// ran while the tree was growing saw only part of it.
			runtime.GC()
			go collect()
			fmt.Println("marking")
		case "exit":
			return
		}
	}
}
