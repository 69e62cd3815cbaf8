#ifndef SETTLE_CZLIB_SHIM_H
#define SETTLE_CZLIB_SHIM_H
/* zlib with `next_in` as a pointer to const, so Swift can feed it read-only bytes. */
#define ZLIB_CONST
#include <zlib.h>

/* inflateInit2 is a macro (it passes the library version and the struct size), which Swift cannot
   call: this is the same call as a function. */
static inline int settle_inflate_init2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
