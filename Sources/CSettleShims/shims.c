// The shims are static inline functions in include/CSettleShims.h; this file gives the target a
// translation unit, as SwiftPM requires.
#include "CSettleShims.h"
