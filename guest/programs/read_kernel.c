/* Reads a byte of kernel address space from user mode. The read must fault and, with no
 * handler installed, end the process with STATUS_ACCESS_VIOLATION (0xC0000005), on ntoy as
 * on Windows. Exit code 1 means the read succeeded, which is a bug. */
#include "common/print.h"

int start(void) {
    volatile unsigned char* kernel_byte = (volatile unsigned char*)0xFFFF800000001000ULL;
    print_str("reading kernel address 0xFFFF800000001000 from user mode\n");
    unsigned char value = *kernel_byte;
    print_str("BUG: the read succeeded and returned ");
    print_hex(value);
    print_str("\n");
    return 1;
}
