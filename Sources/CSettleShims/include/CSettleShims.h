#ifndef SETTLE_SHIMS_H
#define SETTLE_SHIMS_H
/// Tiny C helpers the Swift hot loop cannot express: a cache prefetch hint.
static inline void settle_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}
static inline void settle_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
#endif
