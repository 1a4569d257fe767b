/* Touches N pages (default 40000) one at a time, each in a fresh allocation 4 MB past the
 * last, releasing each before the next: the footprint is one page, but every page lies at a
 * new address. Checks each page reads zero and keeps what is written. Prints "touched N
 * sparse pages" and exits 0, or says what went wrong and exits 1. (Issue 8, defect 3: host
 * mappings once grew with every page ever touched, until the host refused.) */
#include <windows.h>

#include "common/command_line.h"
#include "common/print.h"

int start(void) {
    unsigned long long count = 0;
    if (!get_number_argument(1, 40000, &count) || count == 0) {
        print_str("usage: sparse_touch [page count > 0, default 40000]\n");
        return 2;
    }
    const ULONG_PTR base = 0x10000000000ull / 2; /* 512 GiB: room for 100,000+ steps */
    const ULONG_PTR step = 4ull << 20;
    for (unsigned long long i = 0; i < count; ++i) {
        volatile BYTE* page = VirtualAlloc((void*)(base + (i % 100000) * step), 0x1000,
                                           MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (page == NULL) {
            print_last_error("VirtualAlloc failed");
            return 1;
        }
        if (page[123] != 0) {
            print_str("a fresh page was not zero at step ");
            print_dec(i);
            print_str("\n");
            return 1;
        }
        page[123] = (BYTE)(i | 1);
        if (page[123] != (BYTE)(i | 1)) {
            print_str("a page lost its byte at step ");
            print_dec(i);
            print_str("\n");
            return 1;
        }
        if (!VirtualFree((void*)page, 0, MEM_RELEASE)) {
            print_last_error("VirtualFree failed");
            return 1;
        }
    }
    print_str("touched ");
    print_dec(count);
    print_str(" sparse pages\n");
    return 0;
}
