/* __fastfail(7): the process ends at once with STATUS_STACK_BUFFER_OVERRUN (0xC0000409); no
 * exception handler runs (issue 8, defect 5: int 0x29 is a DPL3 gate). */
#include <windows.h>

#include "common/print.h"

static LONG WINAPI must_not_run(EXCEPTION_POINTERS* pointers) {
    (void)pointers;
    print_str("a handler ran\n");
    return EXCEPTION_CONTINUE_EXECUTION;
}

int start(void) {
    AddVectoredExceptionHandler(1, must_not_run);
    __asm__ volatile("movl $7, %%ecx\n int $0x29" ::: "rcx");
    print_str("still running\n");
    return 0;
}
