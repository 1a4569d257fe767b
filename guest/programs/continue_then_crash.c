/* A handler continues past a breakpoint (NtContinue), then the program faults and nobody
 * handles it: the process ends once, with one line on stderr, and nothing of it runs after
 * (issue 8, defect 8: the kernel went on serving the dead process). */
#include <windows.h>

/* An address no allocation can ever cover (the first 64 KB never are). */
static volatile int* volatile null_page = (volatile int*)8;

#include "common/print.h"

static LONG WINAPI skip_breakpoints(EXCEPTION_POINTERS* pointers) {
    if (pointers->ExceptionRecord->ExceptionCode != EXCEPTION_BREAKPOINT) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    pointers->ContextRecord->Rip += 1;
    return EXCEPTION_CONTINUE_EXECUTION;
}

int start(void) {
    AddVectoredExceptionHandler(1, skip_breakpoints);
    __asm__ volatile("int3");
    print_str("continued\n");
    *null_page = 1;
    print_str("ran after its end\n");
    return 0;
}
