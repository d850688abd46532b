#ifndef LEDGE_FUZZ_DRIVER_H
#define LEDGE_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver, in the fuzzer runtime that
/// -sanitize=fuzzer links) with the process's arguments and `callback` as
/// LLVMFuzzerTestOneInput.
///
/// Why not libFuzzer's own main: SwiftPM (tools 5.5+) links every executable
/// with `--defsym main=<Module>_main`, so the program's main is the Swift
/// module's entry point, which calls this.
int ledge_fuzz_run(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size));

#endif
