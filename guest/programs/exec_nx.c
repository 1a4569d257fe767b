/* Calls into a page committed PAGE_READWRITE. The instruction fetch must fault (an execute
 * access violation, STATUS_ACCESS_VIOLATION with ExceptionInformation[0] = 8) and end the
 * process with 0xC0000005. Exit code 1 means the page executed, which is a bug. */
#include "common/print.h"

int start(void) {
    unsigned char* page = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (page == NULL) {
        print_last_error("VirtualAlloc failed");
        return 2;
    }
    page[0] = 0xC3; /* ret */
    print_str("calling a ret instruction in a non-executable page at ");
    print_hex((ULONG_PTR)page);
    print_str("\n");
    void (*function)(void) = (void (*)(void))(ULONG_PTR)page;
    function();
    print_str("BUG: code in a PAGE_READWRITE page executed\n");
    return 1;
}
