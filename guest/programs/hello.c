/* The smallest guest: one line to standard output, exit code 0 by returning from the entry
 * point. */
#include "common/print.h"

int start(void) {
    print_str("Hello from ntoy guest!\n");
    return 0;
}
