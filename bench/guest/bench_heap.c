/* N HeapAlloc/HeapFree pairs of mixed small sizes on the process heap (heap_pairs.h), the
 * calls msvcrt's malloc and free make; bench/run compares glibc's malloc/free on the same
 * sequence. */
#include <windows.h>

#include "bench_args.h"

static HANDLE process_heap;
#define HEAP_PAIRS_ALLOC(size) HeapAlloc(process_heap, 0, (size))
#define HEAP_PAIRS_FREE(block) HeapFree(process_heap, 0, (block))
#include "heap_pairs.h"

int start(void) {
    process_heap = GetProcessHeap();
    return heap_pairs(bench_iterations(1000000ull)) != 0 ? 0 : 1;
}
