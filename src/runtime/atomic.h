/*
 * atomic.h — the runtime's atomics, each named for its memory order.
 *
 * Shared runtime fields are plain integers; every concurrent access to one goes
 * through these wrappers so the ordering is visible at the call site (as Go's
 * internal/runtime/atomic does with Load/Store/Cas/Or).  They are thin wrappers
 * over the compiler's __atomic builtins, which ThreadSanitizer understands.
 *
 *   _relaxed  no ordering: counters, statistics read by the snapshot
 *   _acq      load-acquire: read a flag, then the data it publishes
 *   _rel      store-release: write the data, then the flag that publishes it
 *   (none)    sequentially consistent: state machines such as sweepgen
 */
#ifndef HS_RUNTIME_ATOMIC_H
#define HS_RUNTIME_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

#define HS_ATOMIC_DEFINE(T, sfx)                                                          \
    static inline T atomic_load_##sfx(const T *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); } \
    static inline T atomic_load_acq_##sfx(const T *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); } \
    static inline T atomic_load_relaxed_##sfx(const T *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); } \
    static inline void atomic_store_##sfx(T *p, T v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); } \
    static inline void atomic_store_rel_##sfx(T *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); } \
    static inline void atomic_store_relaxed_##sfx(T *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); } \
    static inline T atomic_add_##sfx(T *p, T v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); } \
    static inline T atomic_add_relaxed_##sfx(T *p, T v) { return __atomic_add_fetch(p, v, __ATOMIC_RELAXED); } \
    static inline T atomic_sub_relaxed_##sfx(T *p, T v) { return __atomic_sub_fetch(p, v, __ATOMIC_RELAXED); } \
    static inline T atomic_or_##sfx(T *p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); } \
    static inline T atomic_or_relaxed_##sfx(T *p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); } \
    static inline T atomic_and_##sfx(T *p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); } \
    static inline T atomic_xchg_##sfx(T *p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); } \
    static inline bool atomic_cas_##sfx(T *p, T old, T new_) {                            \
        return __atomic_compare_exchange_n(p, &old, new_, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
    }

HS_ATOMIC_DEFINE(uint8_t, u8)
HS_ATOMIC_DEFINE(uint16_t, u16)
HS_ATOMIC_DEFINE(uint32_t, u32)
HS_ATOMIC_DEFINE(uint64_t, u64)
HS_ATOMIC_DEFINE(int64_t, i64)
HS_ATOMIC_DEFINE(int32_t, i32)
HS_ATOMIC_DEFINE(uintptr_t, uptr)

static inline void *atomic_load_acq_ptr(void *const *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void atomic_store_rel_ptr(void **p, void *v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

#endif
