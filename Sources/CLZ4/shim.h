#ifndef SETTLE_CLZ4_SHIM_H
#define SETTLE_CLZ4_SHIM_H
#include <lz4frame.h>
#endif
