/* The kernel-service stubs, one per entry of ntoy/kernel_services.h: the ring-0 counterpart of
 * ntdll's system-call stubs. Not exported: drivers call the WDK's functions, which call these. */
#include "ntoskrnl_private.h"

/* One assembler line per source line; clang-format would split them. */
/* clang-format off */
#define NTOY_KS_STUB(number, name, argument_count)                  \
    __asm__("\t.text\n"                                             \
            "\t.p2align 4\n"                                        \
            "\t.globl " #name "\n"                                  \
            "\t.def " #name "; .scl 2; .type 32; .endef\n"          \
            #name ":\n"                                             \
            "\tmovq %rcx, %r10\n"                                   \
            "\tmovl $" #number ", %eax\n"                           \
            "\tsyscall\n"                                           \
            "\tret\n");
/* clang-format on */

NTOY_KERNEL_SERVICES(NTOY_KS_STUB)
