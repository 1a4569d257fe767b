/* Commits N pages (default 1000) and touches each once: N demand-zero faults. Prints
 * "touched N pages" and exits 0, or says what went wrong and exits 1. */
#include "common/command_line.h"
#include "common/page_toucher.h"
#include "common/print.h"

int start(void) {
    unsigned long long count = 0;
    if (!get_number_argument(1, 1000, &count) || count == 0) {
        print_str("usage: touch_pages [page count > 0, default 1000]\n");
        return 2;
    }
    unsigned long long failed_page = 0;
    switch (touch_fresh_pages(count, &failed_page)) {
        case PAGE_TOUCH_OK:
            print_str("touched ");
            print_dec(count);
            print_str(" pages\n");
            return 0;
        case PAGE_TOUCH_ALLOCATION_FAILED:
            print_last_error("VirtualAlloc failed");
            return 1;
        case PAGE_TOUCH_NOT_ZERO:
            print_str("fresh page ");
            print_dec(failed_page);
            print_str(" was not zero\n");
            return 1;
        case PAGE_TOUCH_MISMATCH:
            print_str("page ");
            print_dec(failed_page);
            print_str(" lost the byte written to it\n");
            return 1;
    }
    return 1;
}
