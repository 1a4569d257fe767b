/* The benchmark guests take one number: how many iterations. */
#ifndef NTOY_BENCH_ARGS_H
#define NTOY_BENCH_ARGS_H

#include <windows.h>

#include "common/command_line.h"

static inline unsigned long long bench_iterations(unsigned long long fallback) {
    char text[32];
    if (!get_argument(1, text, sizeof text))
        return fallback;
    unsigned long long n = 0;
    for (const char* p = text; *p >= '0' && *p <= '9'; ++p)
        n = n * 10 + (unsigned)(*p - '0');
    return n;
}

#endif
