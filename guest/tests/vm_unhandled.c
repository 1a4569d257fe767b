/* An exception no handler takes: a write to a read-only page at a fixed address, with a
 * vectored handler that returns EXCEPTION_CONTINUE_SEARCH. The process must end with the
 * exception code as its exit status (0xC0000005, 5 modulo 256) and one line on stderr naming
 * the code, RIP, the access (write) and the address (0x50000010). Checked by CTest. See
 * shared/spec/nt-virtual-memory.md, "Exception dispatch". */
#include "common/print.h"

static LONG WINAPI declining_handler(EXCEPTION_POINTERS* pointers) {
    (void)pointers;
    print_str("the handler passes the exception on\n");
    return EXCEPTION_CONTINUE_SEARCH;
}

int start(void) {
    volatile unsigned char* page =
        VirtualAlloc((LPVOID)0x50000000, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
    if (page == NULL) {
        print_last_error("VirtualAlloc failed");
        return 1;
    }
    AddVectoredExceptionHandler(1, declining_handler);
    page[0x10] = 1;
    print_str("BUG: a write to a read-only page went through\n");
    return 1;
}
