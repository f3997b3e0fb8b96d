#pragma once

#include <cstdio>

// An invariant of the code under fuzzing. A violation names itself on stderr and traps, so
// libFuzzer stops and keeps the input as a crash artifact.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (false)
