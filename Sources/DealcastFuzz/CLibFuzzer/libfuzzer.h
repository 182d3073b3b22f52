/* The one libFuzzer entry point DealcastFuzz calls. libFuzzer itself is linked by
   `swiftc -sanitize=fuzzer` (see the `fuzz` target of the Makefile); this header only declares it. */
#ifndef DEALCAST_LIBFUZZER_H
#define DEALCAST_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/* Runs libFuzzer's driver with the process's arguments, calling `test_one_input` on every input. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
