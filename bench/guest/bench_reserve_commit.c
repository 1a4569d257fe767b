/* N rounds of: reserve and commit 64 KB, touch each of its 16 pages, release it. */
#include <windows.h>

#include "bench_args.h"

int start(void) {
    unsigned long long n = bench_iterations(10000ull);
    for (unsigned long long i = 0; i < n; ++i) {
        volatile char* p = VirtualAlloc(NULL, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        if (p == NULL)
            return 1;
        for (unsigned off = 0; off < 0x10000; off += 0x1000)
            p[off] = 1;
        if (!VirtualFree((void*)p, 0, MEM_RELEASE))
            return 2;
    }
    return 0;
}
