/* Spins until something outside stops it: the debugger's Ctrl-C and stack-walk tests. It
 * prints "spinning", then loops three calls deep (start -> spin_outer -> spin_inner), each
 * with a frame of its own, so that a stack walk has frames to find. With an argument N it
 * stops after N rounds and exits 0. */
#include "common/command_line.h"
#include "common/print.h"

/* noipa: no inlining, cloning or tail calls, so that the frames are the ones written here. */
__attribute__((noipa)) unsigned long long spin_inner(volatile unsigned long long* counter,
                                                     unsigned long long limit) {
    volatile unsigned long long scratch[4] = {0, 0, 0, 0};
    while (limit == 0 || *counter < limit) {
        ++*counter;
        scratch[*counter & 3] = *counter;
    }
    return *counter + scratch[0];
}

__attribute__((noipa)) unsigned long long spin_outer(unsigned long long limit) {
    volatile unsigned long long counter = 0;
    return spin_inner(&counter, limit) + 1;
}

int start(void) {
    unsigned long long limit = 0;
    if (!get_number_argument(1, 0, &limit)) {
        print_str("usage: spin [rounds, default forever]\n");
        return 2;
    }
    print_str("spinning\n");
    return spin_outer(limit) == 0;
}
