// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every work file a marker
// vouches for. x86-64 with SSE4.2 uses the crc32 instruction (about 8 bytes a cycle-triple, several
// GB/s on one core); elsewhere a slice-by-8 table (about 1 GB/s). Both give the same value.
#include "CSettleShims.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

static uint32_t settle_crc32c_table[8][256];
static int settle_crc32c_hardware;

__attribute__((constructor)) static void settle_crc32c_init(void) {
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        settle_crc32c_table[0][byte] = crc;
    }
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = settle_crc32c_table[0][byte];
        for (int slice = 1; slice < 8; slice++) {
            crc = settle_crc32c_table[0][crc & 0xFF] ^ (crc >> 8);
            settle_crc32c_table[slice][byte] = crc;
        }
    }
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) settle_crc32c_hardware = (ecx & bit_SSE4_2) != 0;
#endif
}

static uint32_t settle_crc32c_software(uint32_t crc, const unsigned char *bytes, size_t length) {
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        word ^= crc;  // little-endian: the running CRC covers the first four bytes
        crc = settle_crc32c_table[7][word & 0xFF] ^ settle_crc32c_table[6][(word >> 8) & 0xFF]
            ^ settle_crc32c_table[5][(word >> 16) & 0xFF] ^ settle_crc32c_table[4][(word >> 24) & 0xFF]
            ^ settle_crc32c_table[3][(word >> 32) & 0xFF] ^ settle_crc32c_table[2][(word >> 40) & 0xFF]
            ^ settle_crc32c_table[1][(word >> 48) & 0xFF] ^ settle_crc32c_table[0][word >> 56];
        bytes += 8;
        length -= 8;
    }
    while (length-- > 0) crc = settle_crc32c_table[0][(crc ^ *bytes++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t settle_crc32c_sse42(uint32_t crc, const unsigned char *bytes, size_t length) {
    uint64_t wide = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        wide = __builtin_ia32_crc32di(wide, word);
        bytes += 8;
        length -= 8;
    }
    crc = (uint32_t)wide;
    while (length-- > 0) crc = __builtin_ia32_crc32qi(crc, *bytes++);
    return crc;
}
#endif

uint32_t settle_crc32c(uint32_t crc, const void *data, size_t length) {
    crc = ~crc;
#if defined(__x86_64__)
    if (settle_crc32c_hardware) return ~settle_crc32c_sse42(crc, (const unsigned char *)data, length);
#endif
    return ~settle_crc32c_software(crc, (const unsigned char *)data, length);
}

int settle_crc32c_is_hardware(void) { return settle_crc32c_hardware; }
