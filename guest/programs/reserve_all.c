/* Reserves 64 KB regions with a NULL base until the kernel refuses, twice, releasing them all
 * in between. Placement must stay fast with hundreds of thousands of regions (it once walked
 * every one: quadratic), and the refusal must be a status (the VAD quota), never the host's
 * memory. Prints the count and the error, and exits 0 if both rounds agree. */
#include <windows.h>

#include "common/print.h"

static void* regions[300000];

static DWORD reserve_until_refused(DWORD* error) {
    DWORD n = 0;
    while (n < sizeof(regions) / sizeof(regions[0])) {
        regions[n] = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
        if (regions[n] == NULL) {
            break;
        }
        ++n;
    }
    *error = GetLastError();
    return n;
}

int start(void) {
    DWORD error = 0, again_error = 0;
    const DWORD count = reserve_until_refused(&error);
    for (DWORD i = 0; i < count; ++i) {
        if (!VirtualFree(regions[i], 0, MEM_RELEASE)) {
            print_last_error("VirtualFree failed");
            return 1;
        }
    }
    const DWORD again = reserve_until_refused(&again_error);
    print_str("reserved ");
    print_dec(count);
    print_str(" regions, then error ");
    print_dec(error);
    print_str(", again ");
    print_dec(again);
    print_str("\n");
    return count == again && error == again_error ? 0 : 1;
}
