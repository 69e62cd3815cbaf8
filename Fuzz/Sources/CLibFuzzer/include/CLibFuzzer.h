#ifndef SETTLE_CLIBFUZZER_H
#define SETTLE_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt FuzzerInterface.h), linked in by -sanitize=fuzzer: runs the
/// fuzzing loop over `callback` with libFuzzer's command line in argc/argv.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
