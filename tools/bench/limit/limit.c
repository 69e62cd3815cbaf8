/* tools/bench/limit/limit.c: the speed limit Settle is measured against. A minimal, honest C
 * aggregation of a reference-layout file (datasets/layouts/reference.yaml) to the totals.csv
 * Settle writes, byte for byte:
 *   - the file is mmapped and cut into one byte range per thread at line boundaries;
 *   - each thread validates every field of every detail record as Settle does (digits and amounts
 *     eight bytes at a time (SWAR), real calendar dates, text without control bytes, required text
 *     not blank, direction D or C, record length 160) and folds valid details into its own
 *     open-addressing table (power of two, linear probing, grown at half load: sized to the keys);
 *   - the tables are merged into the first, sorted by merchant (trailing spaces trimmed) then
 *     currency, and written through one buffer with 128-bit sums.
 * Header, trailer and rejected records count for nothing here (Settle writes them to other files).
 *
 *   limit FILE OUT.csv [THREADS]      (prints "limit: N records, K keys, S s" on stderr)
 *
 * Built by tools/bench/limit.sh with gcc -O2; the bench checks its output against the generator's
 * ground truth before using its time. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECORD_LENGTH 160

typedef unsigned __int128 u128;

typedef struct {
    uint64_t m0, m1; /* merchant, big-endian bytes, trailing spaces trimmed, zero padded */
    uint32_t currency; /* big-endian bytes; 0 marks an empty slot */
    uint32_t merchant_length;
    int64_t debit_count, credit_count;
    u128 debit, credit, fee;
} slot_t;

typedef struct {
    slot_t *slots;
    size_t mask, count;
} table_t;

typedef struct {
    const uint8_t *base;
    size_t start, end; /* byte range; starts at a line start */
    table_t table;
    long records;
} worker_t;

static inline uint64_t load64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Eight bytes all '0'..'9': no lane below 0x30 and none above 0x39. */
static inline int digits8(uint64_t w) {
    return (((w - 0x3030303030303030ull) | (w + 0x4646464646464646ull)) & 0x8080808080808080ull) == 0;
}

static inline int digits(const uint8_t *p, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) if (!digits8(load64(p + i))) return 0;
    if (i < n) {
        /* The remaining bytes, padded with '0' lanes. */
        uint64_t w = 0x3030303030303030ull;
        memcpy(&w, p + i, (size_t)(n - i));
        if (!digits8(w)) return 0;
    }
    return 1;
}

static inline int64_t number(const uint8_t *p, int n) {
    int64_t v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
    return v;
}

/* No byte below 0x20 and none equal to 0x7F (bytes above 0x7F are text). */
static inline int text(const uint8_t *p, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = load64(p + i);
        uint64_t below = (w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull;
        uint64_t d = w ^ 0x7F7F7F7F7F7F7F7Full;
        if ((below | ((d - 0x0101010101010101ull) & ~d & 0x8080808080808080ull)) != 0) return 0;
    }
    for (; i < n; i++) if (p[i] < 0x20 || p[i] == 0x7F) return 0;
    return 1;
}

static inline int blank(const uint8_t *p, int n) {
    for (int i = 0; i < n; i++) if (p[i] != ' ') return 0;
    return 1;
}

static inline int required_text(const uint8_t *p, int n) { return text(p, n) && !blank(p, n); }

static inline int date(const uint8_t *p) {
    if (!digits8(load64(p))) return 0;
    int year = (int)number(p, 4), month = (int)number(p + 4, 2), day = (int)number(p + 6, 2);
    static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1) return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days[month] + (month == 2 && leap);
}

static void table_init(table_t *t, size_t capacity) {
    t->slots = calloc(capacity, sizeof(slot_t));
    if (!t->slots) { perror("calloc"); exit(2); }
    t->mask = capacity - 1;
    t->count = 0;
}

static inline uint64_t hash(uint64_t m0, uint64_t m1, uint32_t currency) {
    uint64_t h = (m0 ^ (m1 * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)currency << 17)) * 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 32);
}

static slot_t *table_slot(table_t *t, uint64_t m0, uint64_t m1, uint32_t currency, uint32_t length);

static void table_grow(table_t *t) {
    table_t bigger;
    table_init(&bigger, (t->mask + 1) * 2);
    for (size_t i = 0; i <= t->mask; i++) {
        slot_t *s = &t->slots[i];
        if (!s->currency) continue;
        size_t j = hash(s->m0, s->m1, s->currency) & bigger.mask;
        while (bigger.slots[j].currency) j = (j + 1) & bigger.mask;
        bigger.slots[j] = *s;
    }
    bigger.count = t->count;
    free(t->slots);
    *t = bigger;
}

static inline slot_t *table_slot(table_t *t, uint64_t m0, uint64_t m1, uint32_t currency, uint32_t length) {
    size_t i = hash(m0, m1, currency) & t->mask;
    for (;;) {
        slot_t *s = &t->slots[i];
        if (s->currency == currency && s->m0 == m0 && s->m1 == m1) return s;
        if (!s->currency) {
            if (2 * (t->count + 1) > t->mask + 1) {
                table_grow(t);
                return table_slot(t, m0, m1, currency, length);
            }
            memset(s, 0, sizeof *s);
            s->m0 = m0; s->m1 = m1; s->currency = currency; s->merchant_length = length;
            t->count++;
            return s;
        }
        i = (i + 1) & t->mask;
    }
}

/* One detail record of 160 bytes at p: every field of the reference layout checked. */
static inline void fold(table_t *t, const uint8_t *p) {
    if (!digits(p + 1, 23)) return;              /* arn 2-24 */
    if (!required_text(p + 24, 15)) return;      /* merchant_id 25-39 */
    if (!required_text(p + 39, 8)) return;       /* terminal_id 40-47 */
    if (!date(p + 47) || !date(p + 55)) return;  /* txn_date 48-55, settle_date 56-63 */
    if (!required_text(p + 63, 3)) return;       /* currency 64-66 */
    if (!digits(p + 66, 12)) return;             /* amount 67-78 */
    uint8_t direction = p[78];                   /* direction 79 */
    if (direction != 'D' && direction != 'C') return;
    if (!digits(p + 79, 10)) return;             /* fee 80-89 */
    if (!digits(p + 89, 4)) return;              /* mcc 90-93 */
    if (!required_text(p + 93, 6)) return;       /* auth_code 94-99 */
    if (!digits(p + 99, 2)) return;              /* txn_type 100-101 */
    uint32_t length = 15;
    while (length > 0 && p[24 + length - 1] == ' ') length--;
    uint8_t key[16] = {0};
    memcpy(key, p + 24, length);
    uint64_t m0 = __builtin_bswap64(load64(key)), m1 = __builtin_bswap64(load64(key + 8));
    uint32_t currency = ((uint32_t)p[63] << 24) | ((uint32_t)p[64] << 16) | ((uint32_t)p[65] << 8) | 0xFF;
    slot_t *s = table_slot(t, m0, m1, currency, length);
    int64_t amount = number(p + 66, 12), fee = number(p + 79, 10);
    if (direction == 'D') { s->debit_count++; s->debit += (u128)amount; }
    else { s->credit_count++; s->credit += (u128)amount; }
    s->fee += (u128)fee;
}

static void *run(void *argument) {
    worker_t *w = argument;
    table_init(&w->table, 1 << 16);
    const uint8_t *p = w->base + w->start, *end = w->base + w->end;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *line_end = nl ? nl : end;
        if (line_end - p == RECORD_LENGTH && p[0] == 'D') fold(&w->table, p);
        w->records++;
        p = line_end + 1;
    }
    return NULL;
}

static int compare(const void *a, const void *b) {
    const slot_t *x = a, *y = b;
    if (x->m0 != y->m0) return x->m0 < y->m0 ? -1 : 1;
    if (x->m1 != y->m1) return x->m1 < y->m1 ? -1 : 1;
    return x->currency < y->currency ? -1 : x->currency > y->currency;
}

static char *put_u128(char *out, u128 v) {
    char digits_buffer[40];
    int n = 0;
    do { digits_buffer[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    while (n) *out++ = digits_buffer[--n];
    return out;
}

static char *put_i128(char *out, __int128 v) {
    if (v < 0) { *out++ = '-'; return put_u128(out, (u128)(-v)); }
    return put_u128(out, (u128)v);
}

static char *put_field(char *out, const uint8_t *bytes, size_t n) {
    int quote = 0;
    for (size_t i = 0; i < n; i++) if (bytes[i] == ',' || bytes[i] == '"' || bytes[i] == '\n' || bytes[i] == '\r') quote = 1;
    if (!quote) { memcpy(out, bytes, n); return out + n; }
    *out++ = '"';
    for (size_t i = 0; i < n; i++) { if (bytes[i] == '"') *out++ = '"'; *out++ = (char)bytes[i]; }
    *out++ = '"';
    return out;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: limit FILE OUT.csv [THREADS]\n"); return 2; }
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (threads < 1 || threads > 64) threads = 2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) { perror(argv[1]); return 2; }
    size_t size = (size_t)st.st_size;
    const uint8_t *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 2; }
    worker_t workers[64];
    pthread_t ids[64];
    size_t start = 0;
    for (int i = 0; i < threads; i++) {
        size_t end = i == threads - 1 ? size : size / (size_t)threads * (size_t)(i + 1);
        if (end < start) end = start;
        while (end < size && base[end - 1] != '\n') end++;   /* cut after a line's LF */
        workers[i] = (worker_t){.base = base, .start = start, .end = end};
        start = end;
    }
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, run, &workers[i]);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);

    /* Merge every table into the first. */
    table_t *total = &workers[0].table;
    long records = workers[0].records;
    for (int i = 1; i < threads; i++) {
        table_t *t = &workers[i].table;
        records += workers[i].records;
        for (size_t j = 0; j <= t->mask; j++) {
            slot_t *s = &t->slots[j];
            if (!s->currency) continue;
            slot_t *d = table_slot(total, s->m0, s->m1, s->currency, s->merchant_length);
            d->debit_count += s->debit_count; d->credit_count += s->credit_count;
            d->debit += s->debit; d->credit += s->credit; d->fee += s->fee;
        }
        free(t->slots);
    }
    /* Compact, sort, write. */
    size_t n = 0;
    for (size_t j = 0; j <= total->mask; j++) if (total->slots[j].currency) total->slots[n++] = total->slots[j];
    qsort(total->slots, n, sizeof(slot_t), compare);
    FILE *out = fopen(argv[2], "w");
    if (!out) { perror(argv[2]); return 2; }
    static const char header[] = "merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount\n";
    fwrite(header, 1, sizeof header - 1, out);
    size_t capacity = 1 << 20;
    char *buffer = malloc(capacity + 512), *o = buffer;
    for (size_t j = 0; j < n; j++) {
        const slot_t *s = &total->slots[j];
        uint8_t key[16];
        uint64_t b0 = __builtin_bswap64(s->m0), b1 = __builtin_bswap64(s->m1);
        memcpy(key, &b0, 8); memcpy(key + 8, &b1, 8);
        uint8_t currency[3] = {(uint8_t)(s->currency >> 24), (uint8_t)(s->currency >> 16), (uint8_t)(s->currency >> 8)};
        o = put_field(o, key, s->merchant_length); *o++ = ',';
        o = put_field(o, currency, 3); *o++ = ',';
        o = put_u128(o, (u128)s->debit_count); *o++ = ',';
        o = put_u128(o, s->debit); *o++ = ',';
        o = put_u128(o, (u128)s->credit_count); *o++ = ',';
        o = put_u128(o, s->credit); *o++ = ',';
        o = put_u128(o, s->fee); *o++ = ',';
        o = put_i128(o, (__int128)s->debit - (__int128)s->credit - (__int128)s->fee); *o++ = '\n';
        if ((size_t)(o - buffer) >= capacity) { fwrite(buffer, 1, (size_t)(o - buffer), out); o = buffer; }
    }
    fwrite(buffer, 1, (size_t)(o - buffer), out);
    if (fclose(out) != 0) { perror(argv[2]); return 2; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "limit: %ld lines, %zu keys, %d threads, %.3f s\n", records, n, threads,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
