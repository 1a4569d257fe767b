/* 100,000 demand-zero page faults in a row (N from the command line): shows that a long run
 * of ordinary faults is handled one by one and never escalates. Silent on success (exit 0);
 * on failure prints the reason and exits 1. The same work as touch_pages, kept as its own
 * program so that its test says what it is about. */
#include "common/command_line.h"
#include "common/page_toucher.h"
#include "common/print.h"

int start(void) {
    unsigned long long count = 0;
    if (!get_number_argument(1, 100000, &count) || count == 0) {
        print_str("usage: fault_storm [page count > 0, default 100000]\n");
        return 2;
    }
    unsigned long long failed_page = 0;
    PageTouchResult result = touch_fresh_pages(count, &failed_page);
    if (result == PAGE_TOUCH_OK) {
        return 0;
    }
    if (result == PAGE_TOUCH_ALLOCATION_FAILED) {
        print_last_error("VirtualAlloc failed");
    } else {
        print_str("page ");
        print_dec(failed_page);
        print_str(result == PAGE_TOUCH_NOT_ZERO ? " was not zero when fresh\n"
                                                : " lost the byte written to it\n");
    }
    return 1;
}
