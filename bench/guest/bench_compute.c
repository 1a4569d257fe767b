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
    /* A call through a pointer to data cannot be optimised away; keep its result anyway. */
    volatile unsigned long long checksum = ((loop_fn)code)(n);
    (void)checksum;
    return 0;
}
