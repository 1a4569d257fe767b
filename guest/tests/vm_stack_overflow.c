/* Unbounded recursion with no handler: the stack grows page by page until the reservation
 * runs out, STATUS_STACK_OVERFLOW is raised, and, unhandled, it ends the process with that
 * code as exit status (0xC00000FD, 253 modulo 256) and one line on stderr naming it. Checked
 * by CTest, not by the framework: the program cannot report after it. See
 * shared/spec/nt-virtual-memory.md. */
#include "common/print.h"

/* Never reached; it keeps gcc from seeing (and warning about) infinite recursion. */
static volatile ULONG_PTR stop_depth = ~(ULONG_PTR)0;

static __attribute__((noinline)) ULONG_PTR recurse(ULONG_PTR depth) {
    volatile unsigned char frame[1000];
    frame[0] = (unsigned char)depth;
    frame[sizeof(frame) - 1] = (unsigned char)depth;
    if (depth == stop_depth) {
        return 0;
    }
    return recurse(depth + 1) + frame[0] + frame[sizeof(frame) - 1];
}

int start(void) {
    print_str("recursing until the stack overflows\n");
    recurse(0);
    print_str("BUG: the recursion ended\n");
    return 1;
}
