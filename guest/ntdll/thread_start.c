/* The first instruction of every thread: the kernel starts the initial thread here with the
 * executable's entry point and the PEB as arguments (see ntoy/process_layout.h). On Windows
 * the same export hands over to kernel32!BaseThreadInitThunk, whose net effect for a
 * process's only thread is this: run the entry point, then end the process with its result. */
#include "ntoy/ntdll_exports.h"

VOID RtlUserThreadStart(PTHREAD_START_ROUTINE StartAddress, PVOID Argument) {
    NTSTATUS exit_status = (NTSTATUS)StartAddress(Argument);
    /* Terminating ourselves does not return; loop rather than run off the end if it did. */
    for (;;) {
        NtTerminateProcess(NtCurrentProcess(), exit_status);
    }
}
