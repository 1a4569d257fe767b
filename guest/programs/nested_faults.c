/* A vectored handler that faults inside itself: every exception dispatches another, each on
 * the stack below the last, until the kernel has no room for the next frame. The process
 * must die of STATUS_STACK_OVERFLOW (0xC00000FD), not of the access violation that got it
 * there (issue 8, defect 10). */
#include <windows.h>

/* An address no allocation can ever cover (the first 64 KB never are). */
static volatile int* volatile null_page = (volatile int*)8;

static LONG WINAPI fault_again(EXCEPTION_POINTERS* pointers) {
    (void)pointers;
    null_page[2] = 1;
    return EXCEPTION_CONTINUE_SEARCH;
}

int start(void) {
    AddVectoredExceptionHandler(1, fault_again);
    *null_page = 1;
    return 0;
}
