// malloccount: an LD_PRELOAD shim that counts heap calls of one process.
//
// Interposes malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign and valloc,
// forwards each to the next definition (dlsym(RTLD_NEXT)), and counts calls and requested bytes
// with relaxed atomics. At exit it writes one line of key=value pairs to the file named by
// MALLOCCOUNT_OUT (truncated), or to stderr when that variable is unset.
//
// Build: cc -O2 -shared -fPIC -o malloccount.so malloccount.c -ldl
// Use:   MALLOCCOUNT_OUT=counts.txt LD_PRELOAD=$PWD/malloccount.so settle aggregate ...
//
// dlsym can itself call calloc before the real one is known; those few early requests are served
// from a static arena and never freed to libc.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*memalign_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);

static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static free_fn real_free;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static memalign_fn real_memalign;
static valloc_fn real_valloc;

static atomic_ullong count_malloc;
static atomic_ullong count_calloc;
static atomic_ullong count_realloc;
static atomic_ullong count_free;
static atomic_ullong count_aligned;   // posix_memalign, aligned_alloc, memalign, valloc
static atomic_ullong bytes_requested; // sum of sizes asked for by every allocating call

// Static arena for calls made while dlsym is resolving the real functions.
static _Alignas(64) unsigned char bootstrap_arena[64 * 1024];
static atomic_size_t bootstrap_used;
static atomic_int resolving;

static int in_bootstrap_arena(const void *p) {
    return (const unsigned char *)p >= bootstrap_arena &&
           (const unsigned char *)p < bootstrap_arena + sizeof bootstrap_arena;
}

static void *bootstrap_alloc(size_t size) {
    size_t rounded = (size + 15) & ~(size_t)15;
    size_t start = atomic_fetch_add(&bootstrap_used, rounded);
    if (start + rounded > sizeof bootstrap_arena) return NULL;
    return bootstrap_arena + start;
}

static void resolve(void) {
    if (real_malloc) return;
    atomic_store(&resolving, 1);
    real_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real_free = (free_fn)dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (memalign_fn)dlsym(RTLD_NEXT, "memalign");
    real_valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
    malloc_fn m = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    atomic_store(&resolving, 0);
    real_malloc = m; // last: its being set means all the others are
}

static inline void add(atomic_ullong *counter, size_t bytes) {
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes_requested, bytes, memory_order_relaxed);
}

void *malloc(size_t size) {
    if (!real_malloc) {
        if (atomic_load(&resolving)) return bootstrap_alloc(size);
        resolve();
    }
    add(&count_malloc, size);
    return real_malloc(size);
}

void *calloc(size_t n, size_t size) {
    if (!real_malloc) {
        if (atomic_load(&resolving)) return bootstrap_alloc(n * size); // arena is zero-filled
        resolve();
    }
    add(&count_calloc, n * size);
    return real_calloc(n, size);
}

void *realloc(void *p, size_t size) {
    if (!real_malloc) resolve();
    add(&count_realloc, size);
    if (in_bootstrap_arena(p)) {
        size_t available = (size_t)(bootstrap_arena + sizeof bootstrap_arena - (unsigned char *)p);
        void *moved = real_malloc(size);
        if (moved) memcpy(moved, p, size < available ? size : available);
        return moved;
    }
    return real_realloc(p, size);
}

void free(void *p) {
    if (p == NULL || in_bootstrap_arena(p)) return;
    if (!real_malloc) resolve();
    atomic_fetch_add_explicit(&count_free, 1, memory_order_relaxed);
    real_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (!real_malloc) resolve();
    add(&count_aligned, size);
    return real_posix_memalign(out, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (!real_malloc) resolve();
    add(&count_aligned, size);
    return real_aligned_alloc(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    if (!real_malloc) resolve();
    add(&count_aligned, size);
    return real_memalign(alignment, size);
}

void *valloc(size_t size) {
    if (!real_malloc) resolve();
    add(&count_aligned, size);
    return real_valloc(size);
}

__attribute__((destructor)) static void report(void) {
    unsigned long long mallocs = atomic_load(&count_malloc);
    unsigned long long callocs = atomic_load(&count_calloc);
    unsigned long long reallocs = atomic_load(&count_realloc);
    unsigned long long aligned = atomic_load(&count_aligned);
    unsigned long long frees = atomic_load(&count_free);
    unsigned long long bytes = atomic_load(&bytes_requested);
    char line[512];
    int length = snprintf(line, sizeof line,
                          "allocations=%llu malloc=%llu calloc=%llu realloc=%llu aligned=%llu free=%llu bytes=%llu pid=%d\n",
                          mallocs + callocs + reallocs + aligned, mallocs, callocs, reallocs, aligned, frees, bytes,
                          (int)getpid());
    if (length <= 0) return;
    if ((size_t)length >= sizeof line) length = sizeof line - 1;
    int fd = 2;
    const char *path = getenv("MALLOCCOUNT_OUT");
    if (path && *path) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) fd = 2;
    }
    ssize_t ignored = write(fd, line, (size_t)length);
    (void)ignored;
    if (fd != 2) close(fd);
}
