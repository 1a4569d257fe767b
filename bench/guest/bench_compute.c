/* Runs the compute loop (compute_loop.h) for N iterations from an executable page. */
#include <windows.h>

#include "bench_args.h"
#include "compute_loop.h"

typedef unsigned long long (*loop_fn)(unsigned long long);

int start(void) {
    unsigned long long n = bench_iterations(100000000ull);
    volatile unsigned char* code =
        VirtualAlloc(NULL, sizeof kComputeLoop, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    if (code == NULL)
        return 1;
    for (unsigned i = 0; i < sizeof kComputeLoop; ++i)
        code[i] = kComputeLoop[i];
    /* The loop's checksum is never 1 for n > 0; checking it keeps the call honest. */
    return ((loop_fn)code)(n) == 1 ? 2 : 0;
}
