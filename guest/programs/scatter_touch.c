/* Keeps N pages (default 40000) live at once, each 65 pages from the last so that no two share
 * a host mapping, writes each a value of its own, then reads every one back. More scattered
 * live pages than the host allows mappings: the kernel must trim and bring pages back by soft
 * faults, losing nothing. Prints "verified N scattered pages" and exits 0, or says what went
 * wrong and exits 1. */
#include <windows.h>

#include "common/command_line.h"
#include "common/print.h"

int start(void) {
    unsigned long long count = 0;
    if (!get_number_argument(1, 40000, &count) || count == 0 || count > 100000) {
        print_str("usage: scatter_touch [page count, 1 to 100000, default 40000]\n");
        return 2;
    }
    const ULONG_PTR stride = 65 * 0x1000;
    BYTE* base = VirtualAlloc(NULL, count * stride, MEM_RESERVE, PAGE_NOACCESS);
    if (base == NULL) {
        print_last_error("VirtualAlloc(MEM_RESERVE) failed");
        return 1;
    }
    for (unsigned long long i = 0; i < count; ++i) {
        volatile ULONG_PTR* page =
            VirtualAlloc(base + i * stride, 0x1000, MEM_COMMIT, PAGE_READWRITE);
        if (page == NULL) {
            print_last_error("VirtualAlloc(MEM_COMMIT) failed");
            return 1;
        }
        page[i % 512] = i * 2654435761u + 1;
    }
    for (int pass = 0; pass < 2; ++pass) {
        for (unsigned long long i = 0; i < count; ++i) {
            volatile ULONG_PTR* page = (volatile ULONG_PTR*)(base + i * stride);
            if (page[i % 512] != i * 2654435761u + 1) {
                print_str("page ");
                print_dec(i);
                print_str(" lost its value\n");
                return 1;
            }
        }
    }
    print_str("verified ");
    print_dec(count);
    print_str(" scattered pages\n");
    return 0;
}
