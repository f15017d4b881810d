// web.go — heapscope's `--workload web:pace=0,requests=N` written for Go's own
// collector, so the benchmarks can run the same work on both and compare how
// each collector marks it (bench/greentea.sh builds it with and without
// GOEXPERIMENT=nogreenteagc).
//
// What it mirrors (src/workload/web.c, web_request.c, web_cache.c, web.h), with
// the scenario's default parameters: on each of GOMAXPROCS Ps a goroutine
// serves N requests on a virtual-time schedule, a Poisson process whose rate
// (10000/s at the peak) follows a load curve from 10% to 100% and back over a
// 20 s period; each request stays in flight for an exponential time of mean
// 100 ms (retired in end-time order from a min-heap, one forced out when all
// slots are taken), so about rate * load * latency requests are live at once.
// A request is an 80-byte struct (pointers in words 2..5) holding:
//   - 4 to 15 headers, a linked list of 48-byte structs with a name (4-15 B)
//     and a value string (half under 16 B, most under 128 B, some to 2 KiB);
//   - a []*part of structs of 32 to 512 bytes (one pointer, in word 1), each
//     with a string, about 8 KiB of small objects per request in all;
//   - for 20 requests in 1000, a body of 64 KiB to 1 MiB;
//   - the value of a per-P LRU cache (64 B to 16 KiB, 16 MiB shared out among
//     the Ps, hash buckets in a []*entry, 64-byte entries in a doubly linked
//     list, popular keys drawn as heapscope draws them, evicted from the back).
//
// Structs carry a tag and its complement in their first and last words;
// strings, bodies and values hold heapscope's fill pattern (splitmix64 words,
// whole up to 4 KiB, else a 64-byte stamp per page and at the end); a request
// is checked whole when it retires, a cache value on every hit and eviction,
// and the whole cache at the end.  The random numbers are heapscope's
// (splitmix64 seeding, xorshift64*, Lemire's bounded draw), so the
// distributions are the same; the sequence is not heapscope's, whose seed
// changes with every run.
//
// How it differs: heapscope keeps the requests in flight in goroutine slots
// and the cache's table and list ends in runtime globals (roots); here they are
// a []*request and fields of a per-P struct on the heap.  heapscope's P 0 reads
// its statistics every eighth of a period; this program instead reads the heap
// size every 64 requests on every P, only to report the peak.  Pointer fields
// to strings are *byte (the first byte of a []byte), so every struct has
// heapscope's size and pointer words.
//
// Usage: web [REQUESTS [SEED]]   (REQUESTS per P, 20000 when not given)
// Prints one line: requests, bytes and objects allocated, GC cycles, peak heap.
package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The scenario's defaults (src/workload/web.c's param table).
const (
	rate      = 10000   // requests per second on each P at the peak
	periodS   = 20      // seconds from one trough of the load to the next
	reqBytes  = 8 << 10 // bytes of small objects per request, about
	bigPer1k  = 20      // requests in 1000 with a 64KiB-1MiB body
	cacheSize = 16 << 20
	latencyMs = 100

	lowLoad     = 0.1
	minInflight = 64
	maxInflight = 65536
	nsPerS      = 1e9
	nsPerMs     = 1e6

	bigMin      = 64 << 10
	bigShifts   = 4
	valueMin    = 64
	valueShifts = 8
	valueMean   = 3060
	partMean    = 283
	headerMean  = 179

	tagMagic  = 0x77656273 // "webs"
	fillFull  = 4096
	fillStamp = 64
	page      = 4096
)

const (
	kReq = 1 + iota
	kHeader
	kEntry
	kPart
)

// ---- random numbers and contents (src/workload/rand.h, fill.h) ----------------

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

type rng struct{ s uint64 }

func newRng(seed uint64, stream int) rng {
	s := splitmix64(seed ^ splitmix64(uint64(stream)+1))
	if s == 0 {
		s = 1
	}
	return rng{s}
}

func (r *rng) next() uint64 {
	x := r.s
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	r.s = x
	return x * 0x2545f4914f6cdd1d
}

func (r *rng) below(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

func key3(a, b, c uint64) uint64 {
	return a*0x9e3779b97f4a7c15 ^ b*0xc2b2ae3d27d4eb4f ^ c*0x165667b19e3779f9
}

// pattern writes (or, with check, compares) the pattern's bytes [off, off+len(b)).
func pattern(b []byte, off int, key uint64, check bool) bool {
	j, skip := uint64(off/8), off%8
	var w [8]byte
	for done := 0; done < len(b); {
		binary.LittleEndian.PutUint64(w[:], splitmix64(key+j))
		j++
		take := min(8-skip, len(b)-done)
		if check {
			if string(b[done:done+take]) != string(w[skip:skip+take]) {
				return false
			}
		} else {
			copy(b[done:done+take], w[skip:skip+take])
		}
		done += take
		skip = 0
	}
	return true
}

// fill writes or checks key's pattern where heapscope's wl_fill does.
func fill(b []byte, key uint64, check bool) bool {
	n := len(b)
	if n <= fillFull {
		return pattern(b, 0, key, check)
	}
	for off := 0; off+fillStamp <= n-fillStamp; off += page {
		if !pattern(b[off:off+fillStamp], off, key, check) {
			return false
		}
	}
	return pattern(b[n-fillStamp:], n-fillStamp, key, check)
}

func bytesAt(p *byte, n uint64) []byte {
	if p == nil {
		return nil
	}
	return unsafe.Slice(p, n)
}

// newString is a pointer-free object of n bytes holding key's pattern.
func newString(n uint64, key uint64) *byte {
	b := make([]byte, n)
	fill(b, key, false)
	return &b[0]
}

// ---- the objects ------------------------------------------------------------------

type request struct {
	tag, id uint64
	headers *header
	parts   **partHead // the first element of a []*partHead
	body    *byte
	resp    *byte
	counts  uint64 // nheaders | nparts << 32
	bodylen uint64
	ckey    uint64
	guard   uint64
}

type header struct {
	tag         uint64
	next        *header
	name, value *byte
	lens        uint64 // name length | value length << 32
	guard       uint64
}

type entry struct {
	tag, key          uint64
	prev, next, hnext *entry
	value             *byte
	size              uint64
	guard             uint64
}

// A part: tag, string, its length, payload, guard; seven sizes, one pointer.
type partHead struct {
	tag uint64
	str *byte
	len uint64
}

type part32 struct {
	partHead
	w [1]uint64
}
type part48 struct {
	partHead
	w [3]uint64
}
type part64 struct {
	partHead
	w [5]uint64
}
type part96 struct {
	partHead
	w [9]uint64
}
type part128 struct {
	partHead
	w [13]uint64
}
type part256 struct {
	partHead
	w [29]uint64
}
type part512 struct {
	partHead
	w [61]uint64
}

var partSizes = [...]uintptr{32, 48, 64, 96, 128, 256, 512}

func newPart(kind uint64) *partHead {
	var p unsafe.Pointer
	switch kind {
	case 0:
		p = unsafe.Pointer(new(part32))
	case 1:
		p = unsafe.Pointer(new(part48))
	case 2:
		p = unsafe.Pointer(new(part64))
	case 3:
		p = unsafe.Pointer(new(part96))
	case 4:
		p = unsafe.Pointer(new(part128))
	case 5:
		p = unsafe.Pointer(new(part256))
	default:
		p = unsafe.Pointer(new(part512))
	}
	return (*partHead)(p)
}

// seal and sealed: the tag in word 0, its complement in the last word.
func lastWord(p unsafe.Pointer, size uintptr) *uint64 {
	return (*uint64)(unsafe.Add(p, size-8))
}

func seal(p unsafe.Pointer, size uintptr, tag uint64) {
	*(*uint64)(p) = tag
	*lastWord(p, size) = ^tag
}

func sealed(p unsafe.Pointer, size uintptr, tag uint64) bool {
	return p != nil && *(*uint64)(p) == tag && *lastWord(p, size) == ^tag
}

func logSize(h uint64, lo0 uint64, shifts uint64) uint64 {
	lo := lo0 << (h % shifts)
	return lo + (h>>8)%lo
}

func valueSize(key uint64) uint64 { return logSize(splitmix64(key^0x76616c), valueMin, valueShifts) }

// ---- one P's server ----------------------------------------------------------------

type flight struct {
	end  int64
	slot uint32
}

type server struct {
	r       rng
	tagBase uint64
	slots   []*request
	heap    []flight
	free    []uint32

	buckets    []*entry
	head, tail *entry
	keyspace   uint64
	cacheCap   uint64
	cacheBytes uint64
	entries    uint64

	vt                                      int64
	nextID, hits, misses, evictions, bodies uint64
}

func (s *server) tag(kind uint64) uint64 { return s.tagBase | kind }

func (s *server) valueKey(key uint64) uint64 { return key3(s.tagBase, key, 3) }

func fail(what string, n uint64) {
	fmt.Fprintf(os.Stderr, "web: check failed: %s, %d\n", what, n)
	os.Exit(1)
}

// ---- the cache -----------------------------------------------------------------------

func (s *server) cacheInit(nprocs int) {
	s.cacheCap = cacheSize / uint64(nprocs)
	expect := s.cacheCap/(valueMean+uint64(unsafe.Sizeof(entry{}))) + 1
	nb := uint64(16)
	for nb < expect {
		nb *= 2
	}
	s.keyspace = 4*expect + 64
	s.buckets = make([]*entry, nb)
}

func (s *server) bucket(key uint64) **entry {
	return &s.buckets[splitmix64(key)&uint64(len(s.buckets)-1)]
}

func (s *server) find(key uint64) *entry {
	e := *s.bucket(key)
	for e != nil && e.key != key {
		e = e.hnext
	}
	return e
}

func (s *server) entryOK(e *entry) bool {
	return sealed(unsafe.Pointer(e), unsafe.Sizeof(*e), s.tag(kEntry)) &&
		e.size == valueSize(e.key) && e.value != nil &&
		fill(bytesAt(e.value, e.size), s.valueKey(e.key), true)
}

func (s *server) lruUnlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (s *server) lruPushFront(e *entry) {
	e.next = s.head
	if s.head != nil {
		s.head.prev = e
	} else {
		s.tail = e
	}
	s.head = e
}

func (s *server) chainUnlink(e *entry) {
	link := s.bucket(e.key)
	for *link != e {
		link = &(*link).hnext
	}
	*link = e.hnext
	e.hnext = nil
}

func (s *server) evict() {
	for s.cacheBytes > s.cacheCap && s.entries > 1 {
		e := s.tail
		if !s.entryOK(e) {
			fail("evicting key", e.key)
		}
		s.lruUnlink(e)
		s.chainUnlink(e)
		e.value = nil
		s.cacheBytes -= e.size + uint64(unsafe.Sizeof(*e))
		s.entries--
		s.evictions++
	}
}

func (s *server) cacheGet(key uint64) *byte {
	e := s.find(key)
	if e == nil {
		s.misses++
		e = new(entry)
		seal(unsafe.Pointer(e), unsafe.Sizeof(*e), s.tag(kEntry))
		e.key = key
		e.size = valueSize(key)
		b := s.bucket(key)
		e.hnext = *b
		*b = e
		s.lruPushFront(e)
		e.value = newString(e.size, s.valueKey(key))
		s.cacheBytes += e.size + uint64(unsafe.Sizeof(*e))
		s.entries++
		s.evict()
		return e.value
	}
	s.hits++
	if !s.entryOK(e) {
		fail("cache hit of key", key)
	}
	if s.head != e {
		s.lruUnlink(e)
		s.lruPushFront(e)
	}
	return e.value
}

func (s *server) cacheCheck() {
	var n, total uint64
	for e := s.head; e != nil; e = e.next {
		if !s.entryOK(e) || s.find(e.key) != e {
			fail("cache entry at the end", e.key)
		}
		n++
		total += e.size + uint64(unsafe.Sizeof(*e))
	}
	if n != s.entries || total != s.cacheBytes {
		fail("cache count at the end", n)
	}
}

// ---- a request -------------------------------------------------------------------------

func (s *server) strKey(id, i, which uint64) uint64 { return key3(s.tagBase^id, i, which) }

func stringLen(r *rng) uint64 {
	x := r.below(100)
	switch {
	case x < 50:
		return 1 + r.below(15)
	case x < 92:
		return 16 + r.below(112)
	}
	return 128 + r.below(1920)
}

func (s *server) newRequest() *request {
	q := new(request)
	seal(unsafe.Pointer(q), unsafe.Sizeof(*q), s.tag(kReq))
	q.id = s.nextID
	s.nextID++

	budget := uint64(reqBytes)
	budget = budget/2 + s.r.below(budget+1)
	nheaders := 4 + s.r.below(12)
	hbytes := nheaders * headerMean
	nparts := uint64(1)
	if budget > hbytes {
		nparts += (budget - hbytes) / partMean
	}
	q.counts = nheaders | nparts<<32
	q.ckey = s.r.below(s.r.below(s.keyspace) + 1) // small keys are the popular ones

	for i := uint64(0); i < nheaders; i++ {
		h := new(header)
		seal(unsafe.Pointer(h), unsafe.Sizeof(*h), s.tag(kHeader))
		nlen, vlen := 4+s.r.below(12), stringLen(&s.r)
		h.lens = nlen | vlen<<32
		h.next = q.headers
		q.headers = h
		h.name = newString(nlen, s.strKey(q.id, i, 0))
		h.value = newString(vlen, s.strKey(q.id, i, 1))
	}

	arr := make([]*partHead, nparts)
	q.parts = &arr[0]
	for i := range arr {
		kind := s.r.below(uint64(len(partSizes)))
		p := newPart(kind)
		seal(unsafe.Pointer(p), partSizes[kind], s.tag(kPart)|kind<<8)
		p.len = stringLen(&s.r)
		arr[i] = p
		p.str = newString(p.len, s.strKey(q.id, uint64(i), 2))
	}

	if s.r.below(1000) < bigPer1k {
		n := logSize(s.r.next(), bigMin, bigShifts)
		q.body = newString(n, s.strKey(q.id, 0, 4))
		q.bodylen = n
		s.bodies++
	}
	q.resp = s.cacheGet(q.ckey)
	return q
}

func (s *server) requestProblem(q *request) string {
	if !sealed(unsafe.Pointer(q), unsafe.Sizeof(*q), s.tag(kReq)) {
		return "the request's tag"
	}
	n, seen := q.counts&0xffffffff, uint64(0)
	for h := q.headers; h != nil; h = h.next {
		if !sealed(unsafe.Pointer(h), unsafe.Sizeof(*h), s.tag(kHeader)) || seen >= n {
			return "a header's tag"
		}
		i := n - 1 - seen // the list is newest first
		seen++
		if !fill(bytesAt(h.name, h.lens&0xffffffff), s.strKey(q.id, i, 0), true) ||
			!fill(bytesAt(h.value, h.lens>>32), s.strKey(q.id, i, 1), true) {
			return "a header's strings"
		}
	}
	if seen != n {
		return "the number of headers"
	}
	for i, p := range unsafe.Slice(q.parts, q.counts>>32) {
		kind := uint64(len(partSizes))
		if p != nil {
			kind = p.tag >> 8 & 0xff
		}
		if kind >= uint64(len(partSizes)) ||
			!sealed(unsafe.Pointer(p), partSizes[kind], s.tag(kPart)|kind<<8) {
			return "a part's tag"
		}
		if !fill(bytesAt(p.str, p.len), s.strKey(q.id, uint64(i), 2), true) {
			return "a part's string"
		}
	}
	if q.bodylen > 0 && !fill(bytesAt(q.body, q.bodylen), s.strKey(q.id, 0, 4), true) {
		return "the body's contents"
	}
	if !fill(bytesAt(q.resp, valueSize(q.ckey)), s.valueKey(q.ckey), true) {
		return "the response's contents"
	}
	return ""
}

// ---- the schedule ----------------------------------------------------------------------

func loadAt(vt int64) float64 {
	phase := float64(vt) / (periodS * nsPerS)
	return lowLoad + (1-lowLoad)*(1-math.Cos(2*math.Pi*phase))/2
}

func (r *rng) exponentialNs(mean float64) int64 {
	unit := float64((r.next()>>11)+1) / 9007199254740992.0
	return int64(-math.Log(unit)*mean) + 1
}

func (s *server) push(f flight) {
	i := len(s.heap)
	s.heap = append(s.heap, f)
	for i > 0 && s.heap[(i-1)/2].end > f.end {
		s.heap[i] = s.heap[(i-1)/2]
		i = (i - 1) / 2
	}
	s.heap[i] = f
}

func (s *server) pop() flight {
	top, last := s.heap[0], s.heap[len(s.heap)-1]
	s.heap = s.heap[:len(s.heap)-1]
	n, i := len(s.heap), 0
	for {
		k := 2*i + 1
		if k >= n {
			break
		}
		if k+1 < n && s.heap[k+1].end < s.heap[k].end {
			k++
		}
		if s.heap[k].end >= last.end {
			break
		}
		s.heap[i] = s.heap[k]
		i = k
	}
	if n > 0 {
		s.heap[i] = last
	}
	return top
}

func (s *server) retireOne() {
	f := s.pop()
	q := s.slots[f.slot]
	if why := s.requestProblem(q); why != "" {
		fail(why+", request", q.id)
	}
	s.slots[f.slot] = nil
	s.free = append(s.free, f.slot)
}

var peakHeap atomic.Uint64

func samplePeak() {
	m := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(m)
	v := m[0].Value.Uint64()
	for old := peakHeap.Load(); v > old && !peakHeap.CompareAndSwap(old, v); old = peakHeap.Load() {
	}
}

func serve(id, nprocs int, seed, limit uint64) *server {
	expect := float64(rate) * latencyMs / 1000
	capacity := min(int(4*expect+minInflight), maxInflight)
	s := &server{
		r:       newRng(seed, id),
		tagBase: tagMagic<<32 | uint64(id&0xffff)<<16,
		slots:   make([]*request, capacity),
		heap:    make([]flight, 0, capacity),
		free:    make([]uint32, 0, capacity),
	}
	for i := capacity - 1; i >= 0; i-- {
		s.free = append(s.free, uint32(i))
	}
	s.cacheInit(nprocs)
	for i := uint64(0); i < limit; i++ {
		s.vt += s.r.exponentialNs(nsPerS / (rate * loadAt(s.vt)))
		for len(s.heap) > 0 && s.heap[0].end <= s.vt {
			s.retireOne()
		}
		if len(s.heap) == capacity {
			s.retireOne()
		}
		slot := s.free[len(s.free)-1]
		s.slots[slot] = s.newRequest()
		s.free = s.free[:len(s.free)-1]
		s.push(flight{s.vt + s.r.exponentialNs(latencyMs*nsPerMs), slot})
		if i%64 == 0 {
			samplePeak()
		}
	}
	for len(s.heap) > 0 {
		s.retireOne()
	}
	s.cacheCheck()
	return s
}

func main() {
	limit, seed := uint64(20000), uint64(0x77656273)
	if len(os.Args) > 1 {
		v, err := strconv.ParseUint(os.Args[1], 10, 64)
		if err != nil || v == 0 {
			fmt.Fprintf(os.Stderr, "web: REQUESTS must be a positive number, not %q\n", os.Args[1])
			os.Exit(2)
		}
		limit = v
	}
	if len(os.Args) > 2 {
		v, err := strconv.ParseUint(os.Args[2], 0, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "web: SEED must be a number, not %q\n", os.Args[2])
			os.Exit(2)
		}
		seed = v
	}
	nprocs := runtime.GOMAXPROCS(0)
	servers := make([]*server, nprocs)
	var wg sync.WaitGroup
	for id := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[id] = serve(id, nprocs, seed, limit)
		}()
	}
	wg.Wait()
	samplePeak()

	var requests, hits, misses, evictions, bodies uint64
	for _, s := range servers {
		requests += s.nextID
		hits += s.hits
		misses += s.misses
		evictions += s.evictions
		bodies += s.bodies
	}
	// The metrics heapscope's --stats-json reports under the same names (its
	// object count, like Go's, leaves out tiny allocations).
	m := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"},
		{Name: "/gc/heap/tiny/allocs:objects"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(m)
	fmt.Printf("web: %d requests on %d Ps, %d with a big body; cache: %.0f%% hits, %d evictions; "+
		"allocated %.1f MiB in %d objects + %d tiny; GC cycles %d; peak heap %.1f MiB\n",
		requests, nprocs, bodies, 100*float64(hits)/float64(hits+misses), evictions,
		float64(m[0].Value.Uint64())/(1<<20), m[1].Value.Uint64(), m[2].Value.Uint64(),
		m[3].Value.Uint64(), float64(peakHeap.Load())/(1<<20))
}
