/* N system calls in a tight loop: NtQueryVirtualMemory on a committed page. */
#include <windows.h>
#include <winternl.h>

#include "bench_args.h"

NTSTATUS NTAPI NtQueryVirtualMemory(HANDLE, PVOID, int, PVOID, SIZE_T, PSIZE_T);

int start(void) {
    unsigned long long n = bench_iterations(1000000ull);
    void* page = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (page == NULL)
        return 1;
    MEMORY_BASIC_INFORMATION info;
    SIZE_T length;
    for (unsigned long long i = 0; i < n; ++i) {
        if (NtQueryVirtualMemory((HANDLE)-1, page, 0, &info, sizeof info, &length) != 0)
            return 2;
    }
    return 0;
}
