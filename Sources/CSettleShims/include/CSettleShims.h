#ifndef SETTLE_SHIMS_H
#define SETTLE_SHIMS_H
#include <stddef.h>
#include <stdint.h>
/// Tiny C helpers the Swift hot loop cannot express: a cache prefetch hint.
static inline void settle_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}
static inline void settle_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
/// CRC-32C of `length` bytes at `data`, continuing from `crc` (0 to start): the value of the whole
/// when fed in pieces. Hardware-accelerated on x86-64 with SSE4.2 (crc32c.c).
uint32_t settle_crc32c(uint32_t crc, const void *data, size_t length);
/// 1 when `settle_crc32c` uses the CPU's crc32 instruction.
int settle_crc32c_is_hardware(void);
/// rename(2) that fails with EEXIST instead of replacing `to` (renameat2 RENAME_NOREPLACE; rename.c).
int settle_rename_noreplace(const char *from, const char *to);
#endif
